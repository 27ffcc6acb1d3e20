"""Metrics that need no training (``model=psnr|ssim|pu_psnr|pu_ssim|cvvdp``) without a checkpoint.

``eval``, ``predict`` and the Python API build them from ``conf/model/<name>.yaml`` instead of
restoring a checkpoint; everything after that (test loop, scoring, results) is shared.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf, open_dict

from hdr_iqa.errors import ConfigError
from hdr_iqa.inference.checkpoint import model_name
from hdr_iqa.inference.inputs import config_option
from hdr_iqa.metrics.report import print_summary
from hdr_iqa.metrics.results import results_table
from hdr_iqa.models import MODEL_REGISTRY
from hdr_iqa.models.baselines import BASELINE_DIRECTION, BaselineMetric
from hdr_iqa.module import BaselineModule
from hdr_iqa.utils.files import atomic_write_text

DEFAULT_DISPLAY = "sdr_100"
"""Display of display-encoded data and inputs when a baseline run names none (train.yaml's)."""


def baseline_names() -> list[str]:
    """Registered models that need no training, e.g. ``['cvvdp', 'psnr', ...]``."""
    return sorted(n for n, c in MODEL_REGISTRY.items() if issubclass(c, BaselineMetric))


def is_baseline(name: object) -> bool:
    """True if ``name`` is a registered model that needs no training."""
    return isinstance(name, str) and name in baseline_names()


def build_baseline(run_config: Mapping[str, Any]) -> BaselineModule:
    """The module of ``run_config["model"]`` (a baseline's model config), in eval mode.

    Raises:
        ConfigError: the config is a model that needs training (then a checkpoint is needed).
    """
    model_config = copy.deepcopy(dict(run_config["model"]))
    name = model_name(dict(run_config))
    if not is_baseline(name):
        raise ConfigError(
            f"model={name} needs training: give ckpt_path=<checkpoint of a trained run> "
            f"(models that need none: {baseline_names()})"
        )
    module = hydra.utils.instantiate(model_config, _convert_="all")
    module.run_config = dict(run_config)
    return module.eval()


def baseline_config(name: str) -> dict[str, Any]:
    """A run config ``{"model": ..., "display": ...}`` of the baseline ``name``."""
    if not is_baseline(name):
        raise ConfigError(
            f"{name!r} is not a metric without training; those are {baseline_names()}"
        )
    return {
        "model": config_option("model", name),
        "display": config_option("display", DEFAULT_DISPLAY),
    }


def baseline_units(name: str) -> str:
    """What a baseline's scores are, e.g. ``'1 - SSIM (0 = reference quality)'``."""
    return BASELINE_DIRECTION[name].units


def evaluate_baselines(
    run_config: DictConfig, names: list[str], trainer_config: DictConfig
) -> dict[str, dict[str, dict[str, float]]]:
    """Test the metrics ``names`` on the test split of ``run_config``'s data.

    The data module is built from ``run_config.data`` with each baseline's own sampling (whole
    images), so the pairs are exactly those the trained model was tested on (same datasets,
    split settings and seed). Returns ``{name: {dataset: {metric: value}}}``; nothing is
    written (the trainer has no logger or callbacks).
    """
    limit = trainer_config.get("limit_test_batches")
    if isinstance(limit, int) and not isinstance(limit, bool):
        # whole images go one pair per batch: the same number of pairs as the trained model
        limit *= int(run_config.data.eval_batch_size)
    results = {}
    for name in names:
        run = copy.deepcopy(run_config)
        with open_dict(run):
            run.model = OmegaConf.create(config_option("model", name))
        module = build_baseline(OmegaConf.to_container(run, resolve=True))
        datamodule = hydra.utils.instantiate(run.data)
        trainer = hydra.utils.instantiate(
            trainer_config, callbacks=[], logger=False, enable_checkpointing=False,
            enable_progress_bar=False, enable_model_summary=False, limit_test_batches=limit,
        )  # fmt: skip
        trainer.test(module, datamodule=datamodule, verbose=False)
        results[name] = results_table(module.test_results)
    return results


def report_baselines(
    cfg: DictConfig, trained: dict[str, dict[str, Any]], output_dir: str | Path
) -> dict[str, dict[str, dict[str, Any]]]:
    """Test the metrics ``cfg.baselines`` on the pairs the trained model was tested on, print
    them beside its ``trained`` table and write ``<output_dir>/results/baselines.json``."""
    tables = {model_name(cfg): trained}
    tables.update(evaluate_baselines(cfg, list(cfg.baselines), cfg.trainer))
    rows = {f"{name}: {data}": values for name, t in tables.items() for data, values in t.items()}
    print_summary(rows, str(output_dir), "Trained model and metrics without training (test split)")
    atomic_write_text(f"{output_dir}/results/baselines.json", json.dumps(tables, indent=2))
    return tables
