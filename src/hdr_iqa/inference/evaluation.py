"""The run config and data of ``python -m hdr_iqa.eval`` (a checkpoint or a metric without
training, on its own data or on ``data=`` / ``display=`` / ``split=``)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf, open_dict

from hdr_iqa.data import IQADataModule
from hdr_iqa.data.protocol import saved_protocol
from hdr_iqa.errors import ConfigError, DataError
from hdr_iqa.inference.baselines import DEFAULT_DISPLAY, baseline_names, is_baseline
from hdr_iqa.inference.checkpoint import model_name
from hdr_iqa.inference.inputs import config_option

log = logging.getLogger(__name__)
SPLITS = ("test", "val", "train", "all")
"""What ``split=`` evaluates: a split of each dataset, or ``all`` its labelled pairs."""
EVAL_KEYS = ("paths", "callbacks", "logger", "extras", "task_name", "tags", "ckpt_path", "split")
"""Keys of the eval config that replace the run's."""


def eval_config(saved: Mapping[str, Any], cfg: DictConfig) -> DictConfig:
    """The run config of a checkpoint (its ``hdr_iqa`` entry) merged with the eval's settings.

    The run's config as composed (interpolations kept) takes the eval's paths, callbacks,
    loggers and trainer (the run's precision unless ``trainer.precision=`` is given; the run's
    ``paths.data_dir`` unless ``paths.data_dir=`` is given); ``data=`` and ``display=`` replace
    the run's groups, so datasets shown on ``${display}`` follow a new display exactly as in
    training, and the data's ``${model.sampling...}`` resolve against the checkpoint's model.
    Patch positions keep the checkpoint's convention (its saved protocol) unless
    ``data.positions=`` is given.
    """
    resolved = saved["config"]
    unresolved = saved.get("unresolved_config")
    if unresolved is None and cfg.get("display") is not None and cfg.get("data") is None:
        raise ConfigError(
            f"ckpt_path: {cfg.ckpt_path} was written before checkpoints kept the config as "
            "composed: give data=<name> with display=<name>"
        )
    run = OmegaConf.create(copy.deepcopy(unresolved or resolved))
    with open_dict(run):
        for key in EVAL_KEYS:
            run[key] = cfg.get(key)
        if not _overridden("paths.data_dir"):
            run.paths.data_dir = resolved["paths"]["data_dir"]
        run.trainer = cfg.trainer
        precision = (resolved.get("trainer") or {}).get("precision")
        if precision and not _overridden("trainer.precision"):
            run.trainer.precision = precision  # reproduce the run's numbers unless told otherwise
        for group in ("display", "data"):
            if cfg.get(group) is not None:
                run[group] = cfg[group]
        if not _overridden("data.positions"):  # the trained model's convention, whatever data
            run.data.positions = saved_protocol(saved).positions
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
    if split not in SPLITS:
        raise ConfigError(f"split must be one of {list(SPLITS)}, got {split!r}")
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


def _overridden(key: str) -> bool:
    """Whether ``key=...`` was given on the command line."""
    try:
        overrides = HydraConfig.get().overrides.task
    except ValueError:
        return False
    return any(o.lstrip("+~").split("=")[0] == key for o in overrides)
