"""Train (and test) a model: ``python -m hdr_iqa.train model=pieapp norm=pmax da=coral``.

Reads ``conf/train.yaml``; every group (model, norm, da, data, display, trainer, logger, ...) can
be swapped or swept from the command line (``-m`` for multirun).
"""

from __future__ import annotations

import json
import logging

import hydra
import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import ModelCheckpoint

from hdr_iqa.callbacks import test_table
from hdr_iqa.callbacks.wandb import resume_wandb_run
from hdr_iqa.inference.baselines import evaluate_baselines
from hdr_iqa.inference.checkpoint import model_name, read_checkpoint
from hdr_iqa.module import CHECKPOINT_KEY
from hdr_iqa.utils.config import config_dir
from hdr_iqa.utils.devices import check_ddp_launch, gpu_slot
from hdr_iqa.utils.files import atomic_write_text
from hdr_iqa.utils.report import print_summary
from hdr_iqa.utils.resume import command_overrides, resumed_config
from hdr_iqa.utils.run import (
    instantiate_callbacks,
    instantiate_group,
    metric_value,
    run_directory_lock,
    run_task,
)

log = logging.getLogger(__name__)


def train(cfg: DictConfig) -> dict[str, float]:
    """Fit, then test the best checkpoint; returns every logged metric as a float.

    Resuming (``ckpt_path`` with ``train=true``) reuses the command-line overrides of the run
    that wrote the checkpoint (:func:`~hdr_iqa.utils.resume.resumed_config`).
    """
    with run_directory_lock(cfg.paths.output_dir):
        if cfg.get("ckpt_path"):  # a missing, empty, LFS-pointer or foreign file: one clear line
            saved = read_checkpoint(cfg.ckpt_path).get(CHECKPOINT_KEY, {}).get("overrides")
            if cfg.get("train"):
                cfg = resumed_config(cfg, saved, "train")
        return _train(cfg)


def _train(cfg: DictConfig) -> dict[str, float]:
    if cfg.get("seed") is not None:
        pl.seed_everything(cfg.seed, workers=True)
    output_dir = cfg.paths.output_dir
    check_ddp_launch(cfg.trainer)
    resume_wandb_run(cfg)  # resuming from a checkpoint continues its W&B run
    atomic_write_text(f"{output_dir}/config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
    datamodule = hydra.utils.instantiate(cfg.data)
    model = hydra.utils.instantiate(cfg.model, seed=cfg.get("seed"))
    model.run_config = OmegaConf.to_container(cfg, resolve=True)
    model.run_overrides = command_overrides()
    callbacks = instantiate_callbacks(cfg)
    trainer: pl.Trainer = hydra.utils.instantiate(
        cfg.trainer,
        callbacks=callbacks,
        logger=instantiate_group(cfg.get("logger")) or False,
        # no checkpoint callback configured (callbacks.model_checkpoint=null ...): none written
        enable_checkpointing=any(isinstance(c, ModelCheckpoint) for c in callbacks),
    )
    for logger in trainer.loggers:
        logger.log_hyperparams(model.run_config)
    if cfg.get("train"):
        trainer.fit(model=model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
    if cfg.get("test"):
        ckpt_path = tested_checkpoint(cfg, trainer)
        log.info("testing checkpoint: %s", ckpt_path or "current weights")
        title = f"Test metrics ({cfg.task_name})"
        metrics.update(
            run_test_and_report(trainer, model, datamodule, output_dir, title, ckpt_path)
        )
        if cfg.get("baselines") and trainer.is_global_zero:
            report_baselines(cfg, model, metrics, output_dir)
    return metrics


def report_baselines(
    cfg: DictConfig, model: pl.LightningModule, metrics: dict[str, float], output_dir: str
) -> None:
    """Print the trained model's test metrics beside those of the metrics ``cfg.baselines``
    (no training, same test pairs) and write them to ``<run>/results/baselines.json``."""
    tables = {model_name(cfg): test_table(metrics, model)}
    tables.update(evaluate_baselines(cfg, list(cfg.baselines), cfg.trainer))
    rows = {f"{name}: {data}": values for name, t in tables.items() for data, values in t.items()}
    print_summary(rows, output_dir, title="Trained model and metrics without training (test split)")
    atomic_write_text(f"{output_dir}/results/baselines.json", json.dumps(tables, indent=2))


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


def run_test_and_report(
    trainer: pl.Trainer,
    model: pl.LightningModule,
    datamodule: pl.LightningDataModule,
    output_dir: str,
    title: str,
    ckpt_path: str | None = None,
) -> dict[str, float]:
    """Run the test loop, print the metrics table (rank zero); returns the logged metrics."""
    trainer.test(model=model, datamodule=datamodule, ckpt_path=ckpt_path, verbose=False)
    test_metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
    table = test_table(test_metrics, model)
    if trainer.is_global_zero:
        print_summary(table, output_dir, title=title)
    return test_metrics


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="train")
def main(cfg: DictConfig) -> float | None:
    with gpu_slot(cfg):  # one free GPU per job when parallel jobs share a multi-GPU machine
        metrics = run_task(train, cfg)
    return metric_value(metrics, cfg.get("optimized_metric"))


if __name__ == "__main__":
    main()
