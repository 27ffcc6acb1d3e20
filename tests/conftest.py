"""Shared fixtures: the real ``conf/train.yaml`` composed with tiny CPU settings."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict

from hdr_iqa.data.datasets.synthetic import generate_synthetic
from hdr_iqa.utils.config import config_dir

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

TINY = [
    "model.sampling.train=1",
    "model.sampling.val=1",
    "model.sampling.test=2",
    "data.batch_size=4",
    "data.eval_batch_size=8",
    "data.num_workers=0",
    "trainer.max_epochs=1",
    "trainer.accelerator=cpu",
    "trainer.limit_train_batches=2",
    "trainer.limit_val_batches=1",
    "trainer.limit_test_batches=2",
    "trainer.enable_progress_bar=false",
    "~logger",
    "callbacks.model_summary=null",
    "callbacks.progress_bar=null",
]


@pytest.fixture(scope="session")
def synthetic_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the generated synthetic dataset (once per test session)."""
    data_dir = tmp_path_factory.mktemp("data")
    generate_synthetic(data_dir / "synthetic")
    return data_dir


def compose_config(
    config_name: str, overrides: list[str], output_dir: Path, data_dir: Path
) -> DictConfig:
    """Compose a config like the CLI does, with paths redirected to temporary directories."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        cfg = compose(config_name, overrides=overrides, return_hydra_config=True)
    with open_dict(cfg):
        cfg.paths.output_dir = str(output_dir)
        cfg.paths.log_dir = str(output_dir / "logs")
        cfg.paths.data_dir = str(data_dir)
        cfg.hydra.runtime.output_dir = str(output_dir)
    HydraConfig().set_config(cfg)
    with open_dict(cfg):
        del cfg.hydra  # the task function receives the config without the hydra node
    return cfg


@pytest.fixture
def make_cfg(tmp_path: Path, synthetic_data_dir: Path):
    """``make_cfg(*overrides)``: a tiny training config writing into ``tmp_path``."""

    def factory(*overrides: str, config_name: str = "train", tiny: bool = True) -> DictConfig:
        base = TINY if tiny else []
        return compose_config(config_name, [*base, *overrides], tmp_path, synthetic_data_dir)

    yield factory
    GlobalHydra.instance().clear()


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, synthetic_data_dir: Path):
    """One tiny PieAPP run (fit + test), shared by the tests of eval, predict, the API and
    export: ``.dir``, ``.ckpt`` (the tested checkpoint), ``.metrics``, ``.data_dir``."""
    from hdr_iqa.train import train

    run_dir = tmp_path_factory.mktemp("trained_run")
    overrides = [*TINY, "callbacks.model_checkpoint.save_last=false"]
    try:
        metrics = train(compose_config("train", overrides, run_dir, synthetic_data_dir))
    finally:
        GlobalHydra.instance().clear()
    ckpt = next((run_dir / "checkpoints").glob("epoch_*.ckpt"))
    return SimpleNamespace(dir=run_dir, ckpt=ckpt, metrics=metrics, data_dir=synthetic_data_dir)
