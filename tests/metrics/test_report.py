"""The console table of test metrics."""

from rich.console import Console

from hdr_iqa.metrics.report import metrics_table


def test_undefined_and_absent_metrics_are_marked():
    """A dataset with one test pair has undefined correlations (JSON null): shown as nan."""
    table = metrics_table({"koniq": {"n": 1, "srocc": None, "rmse": 0.25}}, title="Test metrics")
    console = Console(width=200, record=True)
    console.print(table)
    row = next(line for line in console.export_text().splitlines() if "koniq" in line)
    cells = [c.strip() for c in row.split("│") if c.strip()]
    assert cells[:3] == ["koniq", "1", "nan"] and "0.2500" in cells and "-" in cells
