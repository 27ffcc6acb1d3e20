"""Read the jobs of Hydra runs: a multirun, a folder of runs, or one run directory.

A job is a directory with ``.hydra/overrides.yaml`` (its command-line settings) and, when it
finished, ``results/metrics.json`` (its test metrics per dataset, written by the results
callback). A multirun's ``multirun.yaml`` names the swept keys and so the jobs expected.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from hdr_iqa.errors import DataError, MissingFileError

NOT_SETTINGS = ("hydra", "paths", "ckpt_path", "model")
"""Overrides that never make groups (where a run ran, its checkpoint; the model is its own key)."""


@dataclass
class Job:
    """One job directory: its settings (override key -> value as typed) and test metrics
    (dataset -> metric name -> value; empty when the job has no results)."""

    name: str
    settings: dict[str, str]
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    model: str = ""
    directory: Path | None = None

    @property
    def ok(self) -> bool:
        """True when the job wrote its test metrics."""
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
        """The jobs without results (failed or interrupted)."""
        return [job for job in self.jobs if not job.ok]

    @property
    def group_keys(self) -> list[str]:
        """``model`` (when any job's is known), then the swept keys."""
        return (["model"] if any(job.model for job in self.jobs) else []) + self.swept


def read_sweep(directory: str | Path) -> Sweep:
    """Every job of one multirun, runs folder or run directory (see :func:`read_runs`)."""
    return read_runs([directory])


def read_runs(directories: Sequence[str | Path]) -> Sweep:
    """Every job below ``directories`` with its model, settings and test metrics.

    With several directories, a job is named ``<directory name>/<job>``.
    """
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
