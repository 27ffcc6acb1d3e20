"""The model registry: one name per model module, matching the configs in conf/model/."""

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from hdr_iqa.errors import ConfigError
from hdr_iqa.models import DIQA, MODEL_REGISTRY, VTAMIQ, PieAPP, get_model_class, register_model
from hdr_iqa.utils.config import config_dir


def test_registry_and_model_configs_agree():
    files = (Path(config_dir()) / "model").glob("*.yaml")
    configs = {p.stem: OmegaConf.load(p) for p in files if not p.stem.startswith("_")}
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


def test_trained_models_share_the_module_wiring(make_cfg):
    """pieapp, vtamiq and diqa take the IQAModule wiring from conf/model/_module.yaml and set
    only what differs; the composed config has every setting, none left as ???."""
    from omegaconf import OmegaConf

    for name in ("pieapp", "vtamiq", "diqa"):
        own = OmegaConf.load(Path(config_dir()) / "model" / f"{name}.yaml")
        assert list(own.defaults) == ["_module", "_self_"] and "_target_" not in own, name
        model = make_cfg(f"model={name}").model
        assert model._target_ == "hdr_iqa.module.IQAModule", name
        assert not OmegaConf.missing_keys(model), name
