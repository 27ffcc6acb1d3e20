"""Summarise runs: ``python -m hdr_iqa.aggregate dirs=[<dir>,...] [over=[...]] [metric=srocc]
[out=<dir>]`` (keys: ``conf/aggregate.yaml``).

The README's older form works too: ``python -m hdr_iqa.aggregate <dir> [<dir> ...]
[--over seed data.fold ...] [--metric srocc] [--out <dir>]``.

Each directory is a Hydra multirun, a folder of runs (``logs/eval/runs``) or one run. Jobs are
grouped by model and swept settings except those averaged over (``over``); written into
``<first dir>/aggregate/`` (or ``out``): ``summary.md``, ``summary.csv``, ``jobs.csv`` and
``comparison.png`` (see :mod:`hdr_iqa.results`). Jobs that failed or never ran are listed.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import hydra
from omegaconf import DictConfig, ListConfig

from hdr_iqa.results import aggregate, read_runs, read_sweep
from hdr_iqa.utils.config import config_dir
from hdr_iqa.utils.legacy_args import LegacyForm
from hdr_iqa.utils.run import run_command, run_task

LEGACY = LegacyForm(
    "dirs", many=True, options={"--metric": "metric", "--out": "out"}, lists={"--over": "over"}
)
"""``<dir> ... --over k ... --metric m --out d`` -> ``dirs=[...] over=[...] metric=m out=d``."""


def summarise_runs(cfg: DictConfig) -> dict[str, Path]:
    """Write the summary of ``cfg.dirs``; print summary.md and the written files."""
    dirs = list(cfg.dirs) if isinstance(cfg.dirs, ListConfig) else [cfg.dirs]
    over = [str(key) for key in cfg.over or []]
    paths = aggregate([str(d) for d in dirs], over, str(cfg.metric), cfg.out)
    print(paths["summary.md"].read_text())
    for name, path in paths.items():
        print(f"{name}: {path}")
    return paths


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="aggregate")
def hydra_main(cfg: DictConfig) -> None:
    """Hydra entry point of ``python -m hdr_iqa.aggregate`` (``key=value`` overrides only)."""
    run_task(summarise_runs, cfg)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hdr_iqa.aggregate`` on ``argv`` (default: the command line); returns 0, a
    user error exits with code 1."""
    return run_command(hydra_main, argv, LEGACY)


__all__ = ["aggregate", "main", "read_runs", "read_sweep", "summarise_runs"]

if __name__ == "__main__":
    sys.exit(main())
