"""Shared fixtures: the real ``conf/train.yaml`` composed with tiny CPU settings."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict

from hdr_iqa.data.datasets.synthetic import generate_synthetic
from hdr_iqa.utils.config import config_dir

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
if "OMP_NUM_THREADS" not in os.environ:
    # One intra-op thread per process (also in the processes tests start: DDP ranks, sweep
    # jobs): on a 2-core machine shared with other jobs a second thread mostly waits for a core,
    # which makes small ops take milliseconds. Lightning sets the same after its first DDP launch.
    # OMP_NUM_THREADS=2 make test overrides it.
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)

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


def train_once(
    tmp_path_factory: pytest.TempPathFactory, data_dir: Path, name: str, *overrides: str
) -> SimpleNamespace:
    """One tiny training run (fit + test unless overridden) into a new temporary directory:
    ``.dir``, ``.ckpt`` (the best checkpoint, weights only), ``.metrics``, ``.data_dir``."""
    from hdr_iqa.train import train

    run_dir = tmp_path_factory.mktemp(name)
    weights_only = ["callbacks.model_checkpoint.save_weights_only=true"]  # no optimiser state
    try:
        cfg = compose_config("train", [*TINY, *weights_only, *overrides], run_dir, data_dir)
        metrics = train(cfg)
    finally:
        GlobalHydra.instance().clear()
    ckpt = next((run_dir / "checkpoints").glob("epoch_*.ckpt"))
    return SimpleNamespace(dir=run_dir, ckpt=ckpt, metrics=metrics, data_dir=data_dir)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, synthetic_data_dir: Path):
    """One tiny PieAPP run (fit + test), shared by the tests of training, eval, predict, the
    API and export; ``last.ckpt`` links to the tested ``epoch_*.ckpt``."""
    return train_once(
        tmp_path_factory,
        synthetic_data_dir,
        "trained_run",
        "callbacks.model_checkpoint.save_last=link",
    )


@pytest.fixture(scope="session")
def trained_tiny(tmp_path_factory: pytest.TempPathFactory, synthetic_data_dir: Path):
    """The tiny network (tests/data/tiny_model.py) trained by ``python -m hdr_iqa.train`` with the
    shipped logger and callbacks, tested on the whole test split (45 pairs per domain):
    ``.dir``, ``.ckpt`` (the tested best checkpoint), ``.data_dir``."""
    from tests.helpers.commands import train_command

    run_dir = tmp_path_factory.mktemp("trained_tiny") / "run"
    assert train_command(run_dir, synthetic_data_dir, "trainer.limit_test_batches=null") == 0
    ckpt = next((run_dir / "checkpoints").glob("epoch_*.ckpt"))
    return SimpleNamespace(dir=run_dir, ckpt=ckpt, data_dir=synthetic_data_dir)


TINY_VTAMIQ = [
    "model=vtamiq", "model.net.variant=vit_tiny_patch16_384", "model.net.depth=2",
    "model.net.num_groups=1", "model.net.num_rcabs=2", "model.net.reduction=4",
    "model.sampling.train=4", "model.sampling.test=6", "model.sampling.test_repeats=2",
]  # fmt: skip
"""A small VTAMIQ (width 192) with the default code paths; 2 seeded test draws of 6 patches."""


def train_vtamiq(
    tmp_path_factory: pytest.TempPathFactory, data_dir: Path, name: str, *overrides: str
) -> SimpleNamespace:
    """A tiny VTAMIQ run (fit + test), its backbone initialised from a timm ViT file that is
    deleted after training (restoring the checkpoint must not need it); ``.vit_weights``."""
    import timm

    vit_weights = tmp_path_factory.mktemp("vit") / "vit_tiny.pth"
    torch.manual_seed(0)
    torch.save(timm.create_model("vit_tiny_patch16_384").state_dict(), vit_weights)
    run = train_once(tmp_path_factory, data_dir, name, *TINY_VTAMIQ,
                     f"model.net.vit_weights={vit_weights}", *overrides)  # fmt: skip
    vit_weights.unlink()
    run.vit_weights = vit_weights
    return run


@pytest.fixture(scope="session")
def trained_vtamiq(tmp_path_factory: pytest.TempPathFactory, synthetic_data_dir: Path):
    """:func:`train_vtamiq` with the default settings (paper-code patch positions)."""
    return train_vtamiq(tmp_path_factory, synthetic_data_dir, "trained_vtamiq")


@pytest.fixture(scope="session")
def trained_diqa(tmp_path_factory: pytest.TempPathFactory, synthetic_data_dir: Path):
    """DIQA's two phases: ``.phase_one`` (objective, fit only) and the subjective run started
    from a copy of its checkpoint (``.extractor_weights``, deleted after training)."""
    small = ("model=diqa", "model.sampling.patch_size=64")
    phase_one = train_once(tmp_path_factory, synthetic_data_dir, "diqa_objective", *small,
                           "test=false", "callbacks.model_checkpoint.save_last=link")  # fmt: skip
    extractor = tmp_path_factory.mktemp("diqa_copy") / "phase_one.ckpt"
    shutil.copy(phase_one.dir / "checkpoints/last.ckpt", extractor)
    subjective = ("model.net.phase=subjective", f"model.net.extractor_weights={extractor}")
    run = train_once(tmp_path_factory, synthetic_data_dir, "diqa_subjective", *small, *subjective)
    extractor.unlink()
    run.phase_one, run.extractor_weights = phase_one, extractor
    return run
