"""Every option of every config group composes and instantiates."""

from pathlib import Path

import hydra
import pytest

from hdr_iqa.utils.config import config_dir
from tests.data.conftest import TINY_MODEL

CONF = Path(config_dir())


def options(group: str) -> list[str]:
    """The options of a config group (files starting with ``_`` are shared bases)."""
    return sorted(p.stem for p in (CONF / group).glob("*.yaml") if not p.stem.startswith("_"))


@pytest.mark.parametrize("norm", options("norm"))
@pytest.mark.parametrize("da", options("da"))
def test_model_norm_da_instantiate(make_cfg, norm, da):
    cfg = make_cfg(f"norm={norm}", f"da={da}", *TINY_MODEL)  # the network is not what varies
    module = hydra.utils.instantiate(cfg.model)
    assert module.chain.scheme == norm
    assert (module.coral is None) == (da == "none")


DISPLAYS = {  # option -> what it sets (peak in cd/m^2, contrast, jitter, EOTF, primaries, ...)
    "sdr_100": dict(peak=100.0, contrast=1000.0, peak_std=0.0, ambient_std=0.0,
                    reflection="additive"),
    "sdr_100_random": dict(peak=100.0, peak_std=10.0, ambient_std=25.0),
    "sdr_100_gog": dict(peak=100.0, reflection="gog", peak_std=0.0),
    "hdr_5000": dict(peak=5000.0, contrast=50000.0, peak_std=0.0, ambient_std=0.0),
    "hdr_5000_random": dict(peak=5000.0, contrast=50000.0, peak_std=500.0, ambient_std=25.0),
    "hdr_pq": dict(peak=1500.0, contrast=1e6, ambient=10.0, eotf="pq", colorspace="bt2020"),
    "hdr_hlg": dict(peak=1500.0, contrast=1e6, ambient=10.0, eotf="hlg", colorspace="bt2020"),
}  # fmt: skip
TRAINERS = {  # option -> the Trainer settings it is for
    "default": dict(accelerator="auto", devices=1, precision="32-true", strategy="auto"),
    "cpu": dict(accelerator="cpu", devices=1, precision="32-true"),
    "gpu": dict(accelerator="gpu", devices=1, precision="bf16-mixed"),
    "ddp": dict(accelerator="gpu", devices=4, strategy="ddp", sync_batchnorm=True,
                precision="bf16-mixed"),
    "ddp_sim": dict(accelerator="cpu", devices=2, strategy="ddp_spawn"),
}  # fmt: skip
LOGGERS = {  # option -> {entry: logger class}
    "csv": {"csv": "CSVLogger"},
    "tensorboard": {"tensorboard": "TensorBoardLogger"},
    "wandb": {"wandb": "WandbLogger"},
    "many": {"csv": "CSVLogger", "tensorboard": "TensorBoardLogger", "wandb": "WandbLogger"},
}
CALLBACKS = {  # option -> {entry: callback class}
    "default": {"model_checkpoint": "ModelCheckpoint", "last_checkpoint": "LastCheckpoint",
                "model_summary": "RichModelSummary", "progress_bar": "TQDMProgressBar",
                "results": "ResultsWriter", "wandb_extras": "WandbExtras",
                "finite_guard": "FiniteLossGuard"},
    "none": {},
    "early_stopping": {"early_stopping": "EarlyStopping"},
    "model_checkpoint": {"model_checkpoint": "ModelCheckpoint"},
    "model_summary": {"model_summary": "RichModelSummary"},
    "progress_bar": {"progress_bar": "TQDMProgressBar"},
    "results": {"results": "ResultsWriter"},
    "wandb_extras": {"wandb_extras": "WandbExtras"},
    "finite_guard": {"finite_guard": "FiniteLossGuard"},
}  # fmt: skip
DEBUGS = {  # option -> Trainer settings (every debug option: no logger, no checkpoints, 4 patches)
    "default": dict(max_epochs=1, detect_anomaly=True),
    "fdr": dict(fast_dev_run=True),
    "limit": dict(max_epochs=2, limit_train_batches=3, limit_val_batches=2, limit_test_batches=2),
    "overfit": dict(max_epochs=20, overfit_batches=1),
}


def classes(node) -> dict[str, str]:
    """{entry: class name} of a logger or callbacks node (null entries left out)."""
    return {
        name: hydra.utils.get_class(entry._target_).__name__
        for name, entry in (node or {}).items()
        if entry
    }


def test_displays(make_cfg):
    assert options("display") == sorted(DISPLAYS)
    for name, expected in DISPLAYS.items():
        model = hydra.utils.instantiate(make_cfg(f"display={name}").display)
        assert {k: getattr(model, k) for k in expected} == expected, name


def test_trainer_options(make_cfg):
    assert options("trainer") == sorted(TRAINERS)
    for name, expected in TRAINERS.items():
        trainer = make_cfg(f"trainer={name}", tiny=False).trainer
        assert {k: trainer[k] for k in expected} == expected, name


def test_logger_options(make_cfg):
    assert options("logger") == sorted(LOGGERS)
    for name, expected in LOGGERS.items():
        cfg = make_cfg(f"logger={name}", tiny=False)
        assert classes(cfg.logger) == expected, name
        for entry in cfg.logger.values():  # every logger writes into the run directory
            assert entry.save_dir.startswith(cfg.paths.output_dir), (name, entry.save_dir)


def test_callback_options(make_cfg):
    assert options("callbacks") == sorted(CALLBACKS)
    for name, expected in CALLBACKS.items():
        assert classes(make_cfg(f"callbacks={name}", tiny=False).callbacks) == expected, name
    cfg = make_cfg(tiny=False)  # the shipped default: best checkpoint by validation SROCC
    checkpoint = cfg.callbacks.model_checkpoint
    assert (checkpoint.monitor, checkpoint.mode) == ("val/srocc", "max")
    assert checkpoint.dirpath == f"{cfg.paths.output_dir}/checkpoints"


def test_debug_options(make_cfg):
    assert options("debug") == sorted(DEBUGS)
    for name, expected in DEBUGS.items():
        cfg = make_cfg(f"debug={name}", tiny=False)
        assert {k: cfg.trainer[k] for k in expected} == expected, name
        assert cfg.task_name == "debug" and not cfg.get("logger"), name
        callbacks = cfg.callbacks
        assert callbacks.model_checkpoint is None and callbacks.last_checkpoint is None, name
        sampling = cfg.model.sampling
        assert sampling.train == sampling.test == 4 and cfg.data.num_workers == 0, name


def test_experiment_options_set_their_tags(make_cfg):
    """Every experiment composes and tags its runs (the data and training of each are tested in
    tests/data/test_dataset_configs.py)."""
    for name in options("experiment"):
        tags = list(make_cfg(f"experiment={name}", tiny=False).tags)
        assert tags and tags != ["dev"], name  # not train.yaml's tag


def test_every_model_config_names_a_registered_model(make_cfg):
    from hdr_iqa.models import MODEL_REGISTRY

    for option in options("model"):
        target = make_cfg(f"model={option}").model.net._target_
        assert hydra.utils.get_class(target) in MODEL_REGISTRY.values()
