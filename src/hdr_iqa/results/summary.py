"""Tables of runs: one row per job and dataset, statistics per group, and the Markdown summary.

Metrics are the test metrics of :data:`hdr_iqa.metrics.METRIC_NAMES` (SROCC, KROCC, PLCC, RMSE,
PLCC_fit, RMSE_fit); the statistics over a group's jobs are mean, median and the sample std
(ddof = 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from hdr_iqa.metrics import METRIC_NAMES
from hdr_iqa.results.runs import Job, Sweep

STATS = ("mean", "median", "std")


def jobs_table(sweep: Sweep) -> pd.DataFrame:
    """One row per job and dataset: ``job``, the group keys, ``status`` (ok / failed),
    ``dataset``, the metrics, ``n`` and ``directory`` (failed jobs: one row without metrics)."""
    rows = []
    for job in sweep.jobs:
        base = {"job": job.name, **{k: _label(job, k) for k in sweep.group_keys}}
        where = {"directory": str(job.directory or "")}
        if not job.ok:
            rows.append({**base, "status": "failed", "dataset": "", **where})
            continue
        for dataset, values in job.metrics.items():
            metrics = {k: _number(values.get(k)) for k in (*METRIC_NAMES, "n")}
            rows.append({**base, "status": "ok", "dataset": dataset, **metrics, **where})
    return pd.DataFrame(rows)


def _label(job: Job, key: str) -> str:
    return job.model if key == "model" else job.settings.get(key, "")


def _number(value: object) -> float:
    return math.nan if value is None else float(value)


def summarise(jobs: pd.DataFrame, group_keys: Sequence[str]) -> pd.DataFrame:
    """Mean, median, std and the number of runs per group, dataset and metric (long format:
    one row per group, dataset and metric) of the ``ok`` rows of :func:`jobs_table`."""
    done = jobs[jobs["status"] == "ok"]
    keys = [*group_keys, "dataset"]
    long = done.melt(id_vars=keys, value_vars=list(METRIC_NAMES), var_name="metric")
    long["metric"] = pd.Categorical(long["metric"], categories=list(METRIC_NAMES), ordered=True)
    stats = long.groupby([*keys, "metric"], sort=False, observed=True)["value"].agg(
        mean="mean", median="median", std="std", runs="count"
    )
    return stats.reset_index()


def _cell(mean: float, std: float, median: float) -> str:
    if math.isnan(mean):
        return "-"
    spread = "" if math.isnan(std) else f" ± {std:.4f}"
    return f"{mean:.4f}{spread} ({median:.4f})"


def markdown(
    summary: pd.DataFrame, group_keys: Sequence[str], sweep: Sweep, over: Sequence[str]
) -> str:
    """The summary as a Markdown document: one table, one row per group and dataset, then the
    jobs that failed or never ran."""
    header = [*group_keys, "dataset", "runs", *(m.upper() for m in METRIC_NAMES)]
    lines = [
        f"# Summary: {', '.join(map(str, sweep.directories))}",
        "",
        f"Cells: mean ± std (median) over the runs of each group (test split); averaged over "
        f"{', '.join(over) if over else 'nothing'}. PLCC/RMSE: raw predictions; "
        "PLCC_FIT/RMSE_FIT: after the 5-parameter logistic fit.",
        "",
        "| " + " | ".join(header) + " |",
        "|"
        + "|".join("---" if i < len(group_keys) + 1 else "---:" for i in range(len(header)))
        + "|",
    ]
    keys = [*group_keys, "dataset"]
    for values, rows in summary.groupby(keys, sort=False, observed=True):
        values = values if isinstance(values, tuple) else (values,)
        by_metric = rows.set_index("metric")
        cells = [
            _cell(*(float(by_metric.loc[m, s]) for s in ("mean", "std", "median")))
            if m in by_metric.index
            else "-"
            for m in METRIC_NAMES
        ]
        runs = int(by_metric["runs"].max())
        labels = [str(v) if str(v) else "-" for v in values]
        lines.append("| " + " | ".join([*labels, str(runs), *cells]) + " |")
    lines += ["", *missing_lines(sweep)]
    return "\n".join(lines).rstrip() + "\n"


def missing_lines(sweep: Sweep) -> list[str]:
    """``Jobs with results: k of n.``, then one line per failed job and per job never run."""
    lines = []
    ok = sum(job.ok for job in sweep.jobs)
    total = len(sweep.jobs) + len(sweep.not_started)
    lines.append(f"Jobs with results: {ok} of {total}.")
    for job in sweep.failed:
        settings = ", ".join(f"{k}={job.settings.get(k)}" for k in sweep.swept)
        where = f" ({settings})" if settings else f" ({job.directory})"
        lines.append(f"- failed (no results/metrics.json): job {job.name}{where}")
    for combo in sweep.not_started:
        settings = ", ".join(f"{k}={v}" for k, v in combo.items())
        lines.append(f"- missing (never ran): {settings}")
    return lines


def group_label(row: Mapping[str, object], group_keys: Sequence[str]) -> str:
    """A group's name: its model, then its other settings (``pieapp, norm=pmax``).

    Example:
        >>> group_label({"model": "pieapp", "norm": "pmax", "da": ""}, ["model", "norm", "da"])
        'pieapp, norm=pmax'
    """
    parts = [
        str(row[k]) if k == "model" else f"{k}={row[k]}" for k in group_keys if str(row[k]) != ""
    ]
    return ", ".join(parts) or "all"
