"""Human-readable summaries printed at the end of a run."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from hdr_iqa.metrics.iqa import METRIC_NAMES
from hdr_iqa.metrics.protocol import QUALITY_DIRECTION


def metrics_table(metrics: dict[str, dict[str, float]], title: str = "Test metrics") -> Table:
    """A table with one row per dataset: n, SROCC, KROCC, PLCC, RMSE, PLCC_FIT, RMSE_FIT."""
    table = Table(title=title, caption=f"quality direction: {QUALITY_DIRECTION}")
    table.add_column("dataset")
    table.add_column("n", justify="right")
    for name in METRIC_NAMES:
        table.add_column(name.upper(), justify="right")
    for dataset, values in metrics.items():
        n = values.get("n")
        table.add_row(
            dataset,
            "" if n is None else str(int(n)),
            *(_cell(values, k) for k in METRIC_NAMES),
        )
    return table


def _cell(values: dict, key: str) -> str:
    """A metric to 4 decimals; ``-`` when absent, ``nan`` when undefined (JSON null, NaN)."""
    if key not in values:
        return "-"
    return "nan" if values[key] is None else f"{values[key]:.4f}"


def print_summary(metrics: dict[str, dict[str, float]], output_dir: str, title: str) -> None:
    """Print :func:`metrics_table` (when there are metrics) and the run directory."""
    console = Console()
    if metrics:
        console.print(metrics_table(metrics, title))
    console.print(f"Run directory: {output_dir}")
