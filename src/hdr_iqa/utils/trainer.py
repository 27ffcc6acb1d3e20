"""Building the Lightning Trainer of a run from its config (one way, for train and eval)."""

from __future__ import annotations

from typing import Any

import hydra
import pytorch_lightning as pl
from omegaconf import DictConfig
from pytorch_lightning.callbacks import ModelCheckpoint

from hdr_iqa.utils.run import instantiate_callbacks, instantiate_group


def build_trainer(cfg: DictConfig, **overrides: Any) -> pl.Trainer:
    """``cfg.trainer`` with the ``callbacks`` and ``logger`` groups instantiated.

    Checkpointing is on only when a checkpoint callback is configured (``callbacks.
    model_checkpoint=null`` writes none); ``overrides`` go to the Trainer as they are.
    """
    callbacks = instantiate_callbacks(cfg)
    return hydra.utils.instantiate(
        cfg.trainer,
        callbacks=callbacks,
        logger=instantiate_group(cfg.get("logger")) or False,
        enable_checkpointing=any(isinstance(c, ModelCheckpoint) for c in callbacks),
        **overrides,
    )


def tested_checkpoint(cfg: DictConfig, trainer: pl.Trainer) -> str | None:
    """The checkpoint the test stage loads: ``ckpt_path`` when only testing; after fitting, the
    best epoch by the monitored metric (``test_ckpt=best``, when validation ran), else None (the
    weights at the end of training)."""
    if not cfg.get("train"):
        return cfg.get("ckpt_path")
    if cfg.get("test_ckpt") != "best":
        return None
    monitored = [c for c in trainer.checkpoint_callbacks if getattr(c, "monitor", None)]
    best = [c.best_model_path for c in monitored if c.best_model_path]
    return best[0] if best else None


def test_metrics(trainer: pl.Trainer, module: pl.LightningModule, datamodule: Any,
                 ckpt_path: str | None = None) -> dict[str, float]:  # fmt: skip
    """Run the test loop (the results callback prints and writes the results); returns every
    logged metric as a float."""
    trainer.test(model=module, datamodule=datamodule, ckpt_path=ckpt_path, verbose=False)
    return {k: float(v) for k, v in trainer.callback_metrics.items()}


test_metrics.__test__ = False  # not a pytest test
