"""Summarise runs: ``python -m hdr_iqa.aggregate <dir> [<dir> ...] [--over seed data.fold ...]``.

Each directory is a Hydra multirun (``<dir>/<job>/.hydra/overrides.yaml`` and
``<dir>/<job>/results/metrics.json``), a folder of runs (``logs/eval/runs``: each run a job) or
one run directory (a training run, or an eval run such as a baseline's ``python -m hdr_iqa.eval
model=pu_ssim ...``). The jobs of all of them are grouped by model (the run's ``model`` choice,
else its config's network) and the swept settings except the ones averaged over (``--over``:
seeds, folds and split seeds by default); swept are the settings a multirun sweeps, or those
that differ between the runs of a folder. Written into ``<first dir>/aggregate/`` (or ``--out``):

* ``summary.md`` and ``summary.csv``: per group and dataset, mean, median and std (ddof = 1)
  over the group's jobs of every test metric (SROCC, KROCC, PLCC, RMSE, PLCC_fit, RMSE_fit);
* ``jobs.csv``: one row per job and dataset with its model, swept settings, status, metrics
  and directory;
* ``comparison.png``: mean +- std of one metric (``--metric``, default SROCC) per group and
  dataset, with every job as a dot (baselines and trained models side by side).

A partly failed or interrupted sweep is summarised from the jobs that finished; the jobs that
failed (directory without results) or never started (expected from the sweep's overrides in
``multirun.yaml`` but absent) are listed in ``summary.md`` and on the console.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import math
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from hdr_iqa.errors import DataError, MissingFileError, UserError
from hdr_iqa.metrics import METRIC_NAMES
from hdr_iqa.utils.files import atomic_write_text

log = logging.getLogger(__name__)
DEFAULT_OVER = ("seed", "data.seed", "data.fold")
"""Settings averaged over by default (repeats: training seeds, split seeds, CV folds)."""
NOT_SETTINGS = ("hydra", "paths", "ckpt_path", "model")
"""Overrides that never make groups (where a run ran, its checkpoint; the model is its own key)."""
STATS = ("mean", "median", "std")


@dataclass
class Job:
    """One job directory of a sweep."""

    name: str
    settings: dict[str, str]
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    model: str = ""
    directory: Path | None = None

    @property
    def ok(self) -> bool:
        return bool(self.metrics)


@dataclass
class Sweep:
    """The jobs found in one or more directories, the swept keys, and the expected jobs that
    are absent."""

    directories: list[Path]
    jobs: list[Job]
    swept: list[str]
    not_started: list[dict[str, str]]

    @property
    def directory(self) -> Path:
        """The first directory (the default home of the summary)."""
        return self.directories[0]

    @property
    def failed(self) -> list[Job]:
        return [job for job in self.jobs if not job.ok]

    @property
    def group_keys(self) -> list[str]:
        """``model`` (when any job's is known), then the swept keys."""
        return (["model"] if any(job.model for job in self.jobs) else []) + self.swept


def _parse_overrides(lines: Sequence[str]) -> list:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    return OverridesParser.create().parse_overrides(list(lines))


def _job_settings(overrides: Sequence[str]) -> dict[str, str]:
    settings = {}
    for override in _parse_overrides(overrides):
        key = override.key_or_group
        if not key.startswith("hydra"):
            settings[key] = override.get_value_element_as_str()
    return settings


def _expected_from_multirun(directory: Path) -> tuple[list[str], list[dict[str, str]] | None]:
    """Swept keys and every expected combination (None when it cannot be enumerated)."""
    path = directory / "multirun.yaml"
    if not path.is_file():
        return [], None
    hydra_cfg = (yaml.safe_load(path.read_text()) or {}).get("hydra", {})
    task = (hydra_cfg.get("overrides") or {}).get("task") or []
    params = (hydra_cfg.get("sweeper") or {}).get("params") or {}
    swept, values = [], []
    try:
        for override in _parse_overrides(task):
            if override.is_sweep_override() and not override.key_or_group.startswith("hydra"):
                swept.append(override.key_or_group)
                values.append(list(override.sweep_string_iterator()))
    except Exception:  # an exotic sweep (e.g. glob): report the jobs that exist
        return swept, None
    if params:  # Optuna & co: sampled values, no enumerable grid
        return [*swept, *(k for k in params if k not in swept)], None
    return swept, [dict(zip(swept, combo, strict=True)) for combo in itertools.product(*values)]


def read_sweep(directory: str | Path) -> Sweep:
    """Every job of one multirun, runs folder or run directory (see :func:`read_runs`)."""
    return read_runs([directory])


def read_runs(directories: Sequence[str | Path]) -> Sweep:
    """Every job below ``directories`` with its model, settings and test metrics."""
    directories = [Path(d) for d in directories]
    jobs: list[Job] = []
    swept: list[str] = []
    not_started: list[dict[str, str]] = []
    for directory in directories:
        found, keys, missing = _read_directory(directory, prefix=len(directories) > 1)
        jobs += found
        swept += [k for k in keys if k not in swept and not _not_setting(k)]
        not_started += missing
    return Sweep(directories, jobs, swept, not_started)


def _read_directory(directory: Path, prefix: bool) -> tuple[list[Job], list[str], list[dict]]:
    """The jobs of one directory, its swept keys and its expected jobs that never ran."""
    if not directory.is_dir():
        raise MissingFileError(f"run or multirun directory not found: {directory}")
    if (directory / ".hydra/overrides.yaml").is_file():  # one run
        return [_read_job(directory, directory.name)], [], []
    files = sorted(directory.glob("*/.hydra/overrides.yaml"), key=_job_order)
    names = [f.parent.parent.name for f in files]
    jobs = [
        _read_job(f.parent.parent, f"{directory.name}/{name}" if prefix else name)
        for f, name in zip(files, names, strict=True)
    ]
    if not jobs:
        raise DataError(
            f"{directory} holds no Hydra jobs (expected <job>/.hydra/overrides.yaml below it, "
            "or .hydra/overrides.yaml in it)"
        )
    swept, expected = _expected_from_multirun(directory)
    if not swept:  # no multirun.yaml: the keys whose values differ between jobs
        keys = sorted({k for job in jobs for k in job.settings if not _not_setting(k)})
        swept = [k for k in keys if len({job.settings.get(k) for job in jobs}) > 1]
    not_started = []
    if expected is not None:
        seen = [{k: job.settings.get(k) for k in swept} for job in jobs]
        not_started = [combo for combo in expected if combo not in seen]
    return jobs, swept, not_started


def _read_job(job_dir: Path, name: str) -> Job:
    settings = _job_settings(yaml.safe_load((job_dir / ".hydra/overrides.yaml").read_text()) or [])
    metrics_file = job_dir / "results" / "metrics.json"
    metrics = {}
    if metrics_file.is_file():
        try:
            metrics = json.loads(metrics_file.read_text()).get("test", {})
        except json.JSONDecodeError as error:
            raise DataError(f"{metrics_file}: not valid JSON ({error})") from error
    return Job(name, settings, metrics, _job_model(job_dir, settings), job_dir)


def _job_model(job_dir: Path, settings: dict[str, str]) -> str:
    """The run's ``model`` choice (``.hydra/hydra.yaml``), else the registered name of its
    config's network (``config.yaml``; an eval run of a checkpoint), else ``model=`` given."""
    hydra_file, config_file = job_dir / ".hydra/hydra.yaml", job_dir / "config.yaml"
    if hydra_file.is_file():
        hydra_cfg = (yaml.safe_load(hydra_file.read_text()) or {}).get("hydra") or {}
        choice = ((hydra_cfg.get("runtime") or {}).get("choices") or {}).get("model")
        if choice:
            return str(choice)
    if config_file.is_file():
        config = yaml.safe_load(config_file.read_text()) or {}
        if isinstance(config.get("model"), dict):
            from hdr_iqa.inference import model_name

            return model_name(config)
    return settings.get("model", "")


def _not_setting(key: str) -> bool:
    return any(key == k or key.startswith(f"{k}.") for k in NOT_SETTINGS)


def _job_order(path: Path) -> tuple[int, str]:
    name = path.parent.parent.name
    return (int(name), name) if name.isdigit() else (sys.maxsize, name)


def jobs_table(sweep: Sweep) -> pd.DataFrame:
    """One row per job and dataset (failed jobs: one row without metrics)."""
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
    """Mean, median, std and the number of runs per group, dataset and metric (long format)."""
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


def markdown(summary: pd.DataFrame, group_keys: Sequence[str], sweep: Sweep, over: Sequence[str]):
    """The summary as a Markdown document: one table, one row per group and dataset."""
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
    lines += ["", *_missing_lines(sweep)]
    return "\n".join(lines).rstrip() + "\n"


def _missing_lines(sweep: Sweep) -> list[str]:
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


def comparison_plot(jobs: pd.DataFrame, group_keys: Sequence[str], metric: str, path: Path):
    """Bar chart of ``metric`` (mean +- std per group and dataset; dots: single jobs)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import numpy as np
    from matplotlib.figure import Figure

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
        x = np.arange(len(groups)) + (d - (len(datasets) - 1) / 2) * width
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


def aggregate(
    directories: str | Path | Sequence[str | Path],
    over: Sequence[str] = DEFAULT_OVER,
    metric: str = "srocc",
    out: str | Path | None = None,
) -> dict[str, Path]:
    """Write summary.md, summary.csv, jobs.csv and comparison.png of the runs in
    ``directories`` (one or several); returns their paths."""
    if metric not in METRIC_NAMES:
        raise UserError(f"--metric must be one of {', '.join(METRIC_NAMES)}, got {metric!r}")
    if isinstance(directories, str | Path):
        directories = [directories]
    sweep = read_runs(directories)
    out = Path(out) if out else sweep.directory / "aggregate"
    jobs = jobs_table(sweep)
    if not any(job.ok for job in sweep.jobs):
        raise DataError(
            f"no job of {', '.join(map(str, sweep.directories))} has results/metrics.json; "
            + "; ".join(_missing_lines(sweep)[1:4])
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hdr_iqa.aggregate",
        description="Summarise sweeps and runs (trained models and baselines) in one table and "
        "plot: mean, median, std over folds and seeds.",
    )
    parser.add_argument(
        "directories", nargs="+", metavar="directory",
        help="a multirun (logs/train/multiruns/<date>), a folder of runs (logs/eval/runs) or a run",
    )  # fmt: skip
    parser.add_argument(
        "--over", nargs="*", default=list(DEFAULT_OVER),
        help=f"settings averaged over (default: {' '.join(DEFAULT_OVER)})",
    )  # fmt: skip
    parser.add_argument("--metric", default="srocc", help="metric of the comparison plot")
    parser.add_argument(
        "--out", default=None, help="output directory (default: <first directory>/aggregate)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        paths = aggregate(args.directories, args.over, args.metric, args.out)
    except UserError as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(paths["summary.md"].read_text())
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
