"""Train (and test) a model: ``python -m hdr_iqa.train model=pieapp norm=pmax da=coral``.

Reads ``conf/train.yaml``; every group (model, norm, da, data, display, trainer, logger, ...) can
be swapped or swept from the command line (``-m`` for multirun).
"""

from __future__ import annotations

import logging

import hydra
import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf

from hdr_iqa.callbacks.wandb import resume_wandb_run
from hdr_iqa.inference.baselines import report_baselines
from hdr_iqa.inference.checkpoint import read_checkpoint
from hdr_iqa.metrics.results import results_table
from hdr_iqa.module import CHECKPOINT_KEY
from hdr_iqa.utils.config import config_dir
from hdr_iqa.utils.devices import check_ddp_launch, gpu_slot
from hdr_iqa.utils.files import atomic_write_text
from hdr_iqa.utils.resume import command_overrides, resumed_config
from hdr_iqa.utils.run import metric_value, run_directory_lock, run_task
from hdr_iqa.utils.trainer import build_trainer, test_metrics, tested_checkpoint

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
    check_ddp_launch(cfg.trainer)
    resume_wandb_run(cfg)  # resuming from a checkpoint continues its W&B run
    atomic_write_text(f"{cfg.paths.output_dir}/config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
    datamodule = hydra.utils.instantiate(cfg.data)
    model = hydra.utils.instantiate(cfg.model, seed=cfg.get("seed"))
    model.run_config = OmegaConf.to_container(cfg, resolve=True)
    model.unresolved_config = OmegaConf.to_container(cfg, resolve=False)
    model.run_overrides = command_overrides()
    trainer = build_trainer(cfg)
    for logger in trainer.loggers:
        logger.log_hyperparams(model.run_config)
    if cfg.get("train"):
        trainer.fit(model=model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
    if cfg.get("test"):
        ckpt_path = tested_checkpoint(cfg, trainer)
        log.info("testing checkpoint: %s", ckpt_path or "current weights")
        metrics.update(test_metrics(trainer, model, datamodule, ckpt_path))
        if cfg.get("baselines") and trainer.is_global_zero:
            report_baselines(cfg, results_table(model.test_results), cfg.paths.output_dir)
    return metrics


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="train")
def main(cfg: DictConfig) -> float | None:
    """``python -m hdr_iqa.train``: train and test; returns ``optimized_metric`` (for sweepers)."""
    with gpu_slot(cfg):  # one free GPU per job when parallel jobs share a multi-GPU machine
        metrics = run_task(train, cfg)
    return metric_value(metrics, cfg.get("optimized_metric"))


if __name__ == "__main__":
    main()
