"""Evaluate a checkpoint: ``python -m hdr_iqa.eval ckpt_path=... [data=<name>] [split=test]``.

Re-creates the model from the checkpoint's saved run config and runs the test loop of training
(same patches, same metrics) on the checkpoint's data, or on ``data=<name>`` / ``display=<name>``
/ ``split=<name>`` when given. A metric that needs no training is evaluated without a checkpoint
through the same loop: ``python -m hdr_iqa.eval model=pu_ssim data=upiq_hdr`` (same split
settings, ``data.fold``, ``data.split_file``; display ``sdr_100`` unless ``display=`` is given).

Writes ``config.yaml``, ``results/metrics.{json,csv}`` and
``results/predictions_<dataset>.csv`` (one row per pair) into a new eval run directory.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf, open_dict

from hdr_iqa.data import IQADataModule
from hdr_iqa.errors import ConfigError, DataError
from hdr_iqa.inference import model_name, read_checkpoint, restore_module
from hdr_iqa.inference.baselines import (
    DEFAULT_DISPLAY,
    baseline_names,
    build_baseline,
    is_baseline,
)
from hdr_iqa.inference.inputs import config_option
from hdr_iqa.train import run_test_and_report
from hdr_iqa.utils.config import config_dir
from hdr_iqa.utils.files import atomic_write_text
from hdr_iqa.utils.run import instantiate_callbacks, instantiate_group, run_task

log = logging.getLogger(__name__)
SPLITS = ("test", "val", "train", "all")


def evaluate(cfg: DictConfig) -> dict[str, float]:
    """Test the checkpoint ``cfg.ckpt_path``; returns the logged test metrics."""
    if cfg.split not in SPLITS:
        raise ConfigError(f"split must be one of {list(SPLITS)}, got {cfg.split!r}")
    if cfg.get("ckpt_path"):
        if cfg.get("model") is not None:
            raise ConfigError(
                "give ckpt_path=<checkpoint> (its model is the checkpoint's) or model=<name> of a "
                f"metric without training ({baseline_names()}), not both"
            )
        module = restore_module(read_checkpoint(cfg.ckpt_path), cfg.ckpt_path)
        run_cfg = eval_config(module.run_config, cfg)
    else:
        run_cfg = baseline_run_config(cfg)
        module = build_baseline(OmegaConf.to_container(run_cfg, resolve=True))
    output_dir = cfg.paths.output_dir
    atomic_write_text(f"{output_dir}/config.yaml", OmegaConf.to_yaml(run_cfg, resolve=True))
    what = cfg.get("ckpt_path") or "metric without training"
    log.info("evaluating %s (%s) on the %s split", what, model_name(run_cfg), cfg.split)
    datamodule = hydra.utils.instantiate(run_cfg.data)
    select_split(datamodule, cfg.split)
    trainer = hydra.utils.instantiate(
        run_cfg.trainer,
        callbacks=instantiate_callbacks(cfg),
        logger=instantiate_group(cfg.get("logger")) or False,
    )
    title = f"Test metrics ({model_name(run_cfg)}, {cfg.split} split)"
    return run_test_and_report(trainer, module, datamodule, output_dir, title)


def eval_config(saved: dict[str, Any], cfg: DictConfig) -> DictConfig:
    """The checkpoint's run config with the eval's paths and trainer, and data/display if given."""
    run = OmegaConf.create(saved)
    with open_dict(run):
        for key in ("paths", "callbacks", "logger", "extras", "task_name", "tags"):
            run[key] = cfg.get(key)
        run.ckpt_path, run.split = cfg.ckpt_path, cfg.split
        precision = (saved.get("trainer") or {}).get("precision")
        run.trainer = cfg.trainer
        if precision and not _overridden("trainer.precision"):
            run.trainer.precision = precision  # reproduce the run's numbers unless told otherwise
        if cfg.get("display") is not None:
            if cfg.get("data") is None:  # datasets shown on the run's display use the new one
                _repoint(run.data, saved.get("display"), "${display}")
            run.display = cfg.display
        if cfg.get("data") is not None:
            run.data = cfg.data  # interpolations (model.sampling, display) resolve against run
    return run


def baseline_run_config(cfg: DictConfig) -> DictConfig:
    """The eval config as the run config of a metric without training (``model=<name>``)."""
    if cfg.get("model") is None:
        raise ConfigError(
            "give ckpt_path=<checkpoint of a trained run>, or model=<name> of a metric without "
            f"training ({baseline_names()})"
        )
    if not is_baseline(model_name(cfg)):
        raise ConfigError(
            f"model={model_name(cfg)} needs training: give ckpt_path=<checkpoint of a trained "
            f"run> (models that need none: {baseline_names()})"
        )
    if cfg.get("data") is None:
        raise ConfigError(
            f"model={model_name(cfg)} has no checkpoint to take data from: give data=<name>"
        )
    run = copy.deepcopy(cfg)
    with open_dict(run):
        if run.get("display") is None:
            run.display = config_option("display", DEFAULT_DISPLAY)
    return run


def select_split(datamodule: IQADataModule, split: str) -> None:
    """Make the test loop run over ``split`` (``all``: every pair) of each dataset."""
    datamodule.prepare_data()
    datamodule.setup("test")
    for role, by_split in datamodule.records.items():
        if split == "all":
            by_split["test"] = [
                r for name in ("train", "val", "test") for r in by_split.get(name, [])
            ]
        elif split != "test":
            by_split["test"] = by_split.get(split, [])
        if not by_split["test"]:
            log.warning(
                "dataset %r has no pairs in its %s split", datamodule.sources[role].name, split
            )
    if not datamodule.eval_names:
        names = [s.name for s in datamodule.sources.values()]
        raise DataError(f"split={split}: no labelled pairs to evaluate in datasets {names}")


def _repoint(node: Any, old: Any, new: str) -> None:
    """Replace every sub-node of ``node`` equal to ``old`` by ``new`` (an interpolation)."""
    if old is None or not OmegaConf.is_dict(node):
        return
    for key in list(node.keys()):
        value = node[key]
        if OmegaConf.is_dict(value) and OmegaConf.to_container(value) == old:
            node[key] = new
        else:
            _repoint(value, old, new)


def _overridden(key: str) -> bool:
    """Whether ``key=...`` was given on the command line."""
    try:
        overrides = HydraConfig.get().overrides.task
    except ValueError:
        return False
    return any(o.lstrip("+~").split("=")[0] == key for o in overrides)


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="eval")
def main(cfg: DictConfig) -> None:
    run_task(evaluate, cfg)


if __name__ == "__main__":
    main()
