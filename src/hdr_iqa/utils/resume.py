"""The configuration of a resumed training: the original command line, then the new one."""

from __future__ import annotations

import logging

import hydra
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig

log = logging.getLogger(__name__)


def command_overrides() -> list[str]:
    """This run's command-line overrides (Hydra's own ``hydra.*`` ones excluded)."""
    if not HydraConfig.initialized():
        return []
    return list(HydraConfig.get().overrides.task)


def override_key(override: str) -> str:
    """The key or group an override sets (``+a.b=1``, ``~a.b`` and ``a.b=2`` all give ``a.b``)."""
    return OverridesParser.create().parse_overrides([override])[0].key_or_group


def merge_overrides(saved: list[str], current: list[str]) -> list[str]:
    """``saved`` without the keys ``current`` sets, then ``current`` (the new command wins)."""
    keys = {override_key(o) for o in current}
    return [o for o in saved if override_key(o) not in keys] + list(current)


def resumed_config(cfg: DictConfig, saved: list[str] | None, config_name: str) -> DictConfig:
    """``cfg`` composed again with the overrides of the run that wrote the checkpoint first.

    ``python -m hdr_iqa.train ckpt_path=<run>/checkpoints/last.ckpt`` then continues the run as
    it was started (same model, data, schedule, seed), while overrides given now still apply
    (e.g. ``trainer.max_epochs=40`` to train longer). Outside a Hydra application (tests that
    compose a config themselves) ``cfg`` is returned as it is.
    """
    if not saved or not GlobalHydra.instance().is_initialized():
        return cfg
    current = command_overrides()
    merged = merge_overrides(saved, current)
    if merged == current:
        return cfg
    log.info("resuming with the run's overrides: %s", " ".join(saved))
    return hydra.compose(config_name, overrides=merged)
