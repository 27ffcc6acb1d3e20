"""Display presets of ``conf/display/`` composed as the command line composes them."""

from pathlib import Path

import hydra
import pytest
from hydra import compose, initialize_config_dir

from hdr_iqa.photometry import DisplayModel
from hdr_iqa.utils.config import config_dir

PRESETS = sorted(p.stem for p in (Path(config_dir()) / "display").glob("*.yaml"))


@pytest.fixture(scope="session")
def display_presets() -> dict[str, DisplayModel]:
    """Every ``conf/display/<name>.yaml``, instantiated."""
    with initialize_config_dir(config_dir=config_dir(), version_base=None):
        configs = {name: compose(config_name=f"display/{name}").display for name in PRESETS}
    return {name: hydra.utils.instantiate(cfg) for name, cfg in configs.items()}
