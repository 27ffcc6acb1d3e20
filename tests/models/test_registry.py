"""The model registry: one name per model module, matching the configs in conf/model/."""

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from hdr_iqa.errors import ConfigError
from hdr_iqa.models import DIQA, MODEL_REGISTRY, VTAMIQ, PieAPP, get_model_class, register_model
from hdr_iqa.utils.config import config_dir


def test_registry_and_model_configs_agree():
    configs = {p.stem: OmegaConf.load(p) for p in (Path(config_dir()) / "model").glob("*.yaml")}
    baselines = {"psnr", "ssim", "pu_psnr", "pu_ssim", "cvvdp"}
    assert set(configs) == set(MODEL_REGISTRY) == {"pieapp", "vtamiq", "diqa", *baselines}
    for name, cfg in configs.items():
        assert cfg.net._target_.rsplit(".", 1)[-1] == MODEL_REGISTRY[name].__name__


def test_lookup_by_name():
    assert [get_model_class(n) for n in ("pieapp", "vtamiq", "diqa")] == [PieAPP, VTAMIQ, DIQA]
    assert DIQA.no_reference and not VTAMIQ.no_reference
    with pytest.raises(ConfigError, match=r"unknown model 'vtamq'.*Did you mean 'vtamiq'"):
        get_model_class("vtamq")


def test_a_name_cannot_be_taken_twice():
    with pytest.raises(ValueError, match="'vtamiq' is already registered"):
        register_model("vtamiq")(PieAPP)
