"""Fabricated Hydra runs for the results tests: a multirun and a folder of (eval) runs."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from pathlib import Path

import yaml

SWEEP = ["norm=pmax,n255", "seed=0,1", "paths.data_dir=/data"]
VALUES = {("pmax", "0"): 0.80, ("pmax", "1"): 0.90, ("n255", "0"): 0.60, ("n255", "1"): 0.70}
"""Test SROCC on ``sdr`` of each (norm, seed) job (``hdr``: 0.1 less)."""


def write_run(run_dir: Path, overrides: list[str], srocc: float | None, model: str = "") -> Path:
    """One Hydra run directory: ``.hydra/overrides.yaml`` (and ``hydra.yaml`` with the model
    choice when ``model`` is given), and unless ``srocc`` is None ``results/metrics.json`` with
    the metrics of datasets ``sdr`` and ``hdr``."""
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra/overrides.yaml").write_text(yaml.safe_dump(overrides))
    if model:
        choices = {"hydra": {"runtime": {"choices": {"model": model}}}}
        (run_dir / ".hydra/hydra.yaml").write_text(yaml.safe_dump(choices))
    if srocc is None:
        return run_dir
    metrics = {
        name: {"n": 45, "srocc": srocc + offset, "krocc": 0.5, "plcc": 0.8, "rmse": 0.1,
               "plcc_fit": 0.9, "rmse_fit": None if name == "sdr" else 0.05}
        for name, offset in (("sdr", 0.0), ("hdr", -0.1))
    }  # fmt: skip
    (run_dir / "results").mkdir()
    (run_dir / "results/metrics.json").write_text(json.dumps({"test": metrics}))
    return run_dir


def make_sweep(
    root: Path,
    srocc: Mapping[tuple[str, str], float] = VALUES,
    missing: Collection[int] = (),
    failed: Collection[int] = (),
) -> Path:
    """A multirun directory like Hydra's: multirun.yaml and <job>/.hydra/overrides.yaml; jobs
    in ``missing`` never ran, jobs in ``failed`` have no results."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "multirun.yaml").write_text(yaml.safe_dump({"hydra": {"overrides": {"task": SWEEP}}}))
    for job, ((norm, seed), value) in enumerate(srocc.items()):
        if job not in missing:
            overrides = [f"norm={norm}", f"seed={seed}", "paths.data_dir=/data"]
            write_run(root / str(job), overrides, None if job in failed else value)
    return root


def make_eval_runs(root: Path) -> Path:
    """A folder of eval runs of two baselines (psnr on folds 0 and 1, pu_ssim), like
    ``logs/eval/runs``."""
    write_run(root / "psnr_f0", ["model=psnr", "data.fold=0"], 0.50, model="psnr")
    write_run(root / "psnr_f1", ["model=psnr", "data.fold=1"], 0.60, model="psnr")
    write_run(root / "pu_ssim", ["model=pu_ssim"], 0.70, model="pu_ssim")
    return root
