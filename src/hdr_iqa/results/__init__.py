"""Results of finished runs: read Hydra run directories, tabulate and plot their test metrics
(``python -m hdr_iqa.aggregate``)."""

from hdr_iqa.results.comparison import comparison_plot
from hdr_iqa.results.report import DEFAULT_OVER, aggregate
from hdr_iqa.results.runs import Job, Sweep, read_runs, read_sweep
from hdr_iqa.results.summary import group_label, jobs_table, markdown, summarise

__all__ = [
    "DEFAULT_OVER",
    "Job",
    "Sweep",
    "aggregate",
    "comparison_plot",
    "group_label",
    "jobs_table",
    "markdown",
    "read_runs",
    "read_sweep",
    "summarise",
]
