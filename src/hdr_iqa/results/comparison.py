"""The comparison plot of runs: one metric's mean +- std per group and dataset, jobs as dots."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from hdr_iqa.results.summary import group_label


def comparison_plot(
    jobs: pd.DataFrame, group_keys: Sequence[str], metric: str, path: str | Path
) -> Path:
    """Bar chart of ``metric`` from a :func:`~hdr_iqa.results.summary.jobs_table`: mean +- std
    (ddof = 1) per group and dataset, every job as a dot; written atomically to ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import numpy as np
    from matplotlib.figure import Figure

    path = Path(path)
    done = jobs[jobs["status"] == "ok"].copy()
    done["group"] = [group_label(row, group_keys) for _, row in done.iterrows()]
    groups = list(dict.fromkeys(done["group"]))
    datasets = list(dict.fromkeys(done["dataset"]))
    width = 0.8 / max(len(datasets), 1)
    figure = Figure(figsize=(max(4.0, 1.4 * len(groups) + 2), 4.0), layout="constrained")
    axes = figure.subplots()
    for d, dataset in enumerate(datasets):
        subset = done[done["dataset"] == dataset]
        stats = subset.groupby("group")[metric].agg(["mean", "std"]).reindex(groups)
        x = np.arange(len(groups)) + (d - (len(datasets) - 1) / 2) * width  # (groups,)
        axes.bar(x, stats["mean"], width, yerr=stats["std"].fillna(0), capsize=3, label=dataset)
        for g, group in enumerate(groups):
            points = subset.loc[subset["group"] == group, metric].to_numpy()
            axes.scatter(np.full(len(points), x[g]), points, s=12, color="black", zorder=3)
    axes.set_xticks(np.arange(len(groups)), groups, rotation=20, ha="right", fontsize=8)
    axes.set_ylabel(f"test {metric.upper()} (mean ± std)")
    axes.set_title(f"{metric.upper()} per model and setting (dots: runs)", fontsize=10)
    axes.axhline(0, color="grey", linewidth=0.5)
    axes.legend(title="dataset", fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".png")
    os.close(fd)
    try:
        figure.savefig(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path
