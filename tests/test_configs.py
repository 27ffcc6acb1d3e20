"""Every option of every config group composes and instantiates."""

from pathlib import Path

import hydra
import pytest

from hdr_iqa.utils.config import config_dir
from tests.data.conftest import TINY_MODEL

CONF = Path(config_dir())


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


@pytest.mark.parametrize("norm", options("norm"))
@pytest.mark.parametrize("da", options("da"))
def test_model_norm_da_instantiate(make_cfg, norm, da):
    cfg = make_cfg(f"norm={norm}", f"da={da}", *TINY_MODEL)  # the network is not what varies
    module = hydra.utils.instantiate(cfg.model)
    assert module.chain.scheme == norm
    assert (module.coral is None) == (da == "none")


@pytest.mark.parametrize("display", options("display"))
def test_displays(make_cfg, display):
    model = hydra.utils.instantiate(make_cfg(f"display={display}").display)
    assert model.peak > 0


@pytest.mark.parametrize("group", ["logger", "callbacks", "trainer", "debug", "experiment"])
def test_group_options_compose(make_cfg, group):
    for option in options(group):
        cfg = make_cfg(f"{group}={option}", tiny=False)
        if group in ("logger", "callbacks") and cfg.get(group):
            for entry in cfg[group].values():
                if entry and "_target_" in entry:
                    assert hydra.utils.get_class(entry._target_)


def test_every_model_config_names_a_registered_model(make_cfg):
    from hdr_iqa.models import MODEL_REGISTRY

    for option in options("model"):
        target = make_cfg(f"model={option}").model.net._target_
        assert hydra.utils.get_class(target) in MODEL_REGISTRY.values()
