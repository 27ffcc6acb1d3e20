"""Write the summary of runs: ``summary.md``, ``summary.csv``, ``jobs.csv``, ``comparison.png``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hdr_iqa.errors import ConfigError, DataError
from hdr_iqa.metrics import METRIC_NAMES
from hdr_iqa.results.comparison import comparison_plot
from hdr_iqa.results.runs import read_runs
from hdr_iqa.results.summary import jobs_table, markdown, missing_lines, summarise
from hdr_iqa.utils.files import atomic_write_text

DEFAULT_OVER = ("seed", "data.seed", "data.fold")
"""Settings averaged over by default (repeats: training seeds, split seeds, CV folds)."""


def aggregate(
    directories: str | Path | Sequence[str | Path],
    over: Sequence[str] = DEFAULT_OVER,
    metric: str = "srocc",
    out: str | Path | None = None,
) -> dict[str, Path]:
    """Summarise the runs in ``directories`` (multiruns, folders of runs or run directories).

    Jobs are grouped by model and swept settings except those in ``over`` (averaged over).
    Writes summary.md, summary.csv, jobs.csv and comparison.png (of ``metric``) into ``out``
    (default: ``<first directory>/aggregate``) and returns their paths by file name.
    """
    if metric not in METRIC_NAMES:
        raise ConfigError(f"metric must be one of {', '.join(METRIC_NAMES)}, got {metric!r}")
    if isinstance(directories, str | Path):
        directories = [directories]
    sweep = read_runs(directories)
    out = Path(out) if out else sweep.directory / "aggregate"
    jobs = jobs_table(sweep)
    if not any(job.ok for job in sweep.jobs):
        raise DataError(
            f"no job of {', '.join(map(str, sweep.directories))} has results/metrics.json; "
            + "; ".join(missing_lines(sweep)[1:4])
        )
    group_keys = [k for k in sweep.group_keys if k not in over]
    summary = summarise(jobs, group_keys)
    paths = {
        "summary.md": atomic_write_text(
            out / "summary.md", markdown(summary, group_keys, sweep, over)
        ),
        "summary.csv": atomic_write_text(out / "summary.csv", summary.to_csv(index=False)),
        "jobs.csv": atomic_write_text(out / "jobs.csv", jobs.to_csv(index=False)),
    }
    paths["comparison.png"] = comparison_plot(jobs, group_keys, metric, out / "comparison.png")
    return paths
