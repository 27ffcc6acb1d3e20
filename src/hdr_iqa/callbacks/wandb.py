"""W&B extras on top of Lightning's ``WandbLogger`` (inert when no ``WandbLogger`` is attached).

* the split file (``splits.json``) as a ``splits`` artifact when training starts;
* the run's name from its settings (:func:`hdr_iqa.utils.naming.run_name`, the
  ``${run_name:}`` resolver of ``conf/logger/wandb.yaml``), e.g. ``pieapp-pmax-coral-w0.025-f0-s1``;
* the W&B run id in every checkpoint (this callback's state), so that a run resumed with
  ``ckpt_path=...`` continues the same W&B run (:func:`resume_wandb_run`).

Losses per term, validation/test metrics and the learning rate reach W&B through ``self.log``;
the test scatter plots from :class:`~hdr_iqa.callbacks.ResultsWriter`; the resolved config
through ``logger.log_hyperparams`` in :mod:`hdr_iqa.train`. Everything works offline
(``WANDB_MODE=offline``): the run is stored under ``<run dir>/wandb/offline-run-*`` and can be
uploaded later with ``wandb sync``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, open_dict
from pytorch_lightning.loggers import WandbLogger
from pytorch_lightning.utilities import rank_zero_only

log = logging.getLogger(__name__)
STATE_KEY = "WandbExtras"


def wandb_logger(trainer: pl.Trainer) -> WandbLogger | None:
    """The trainer's ``WandbLogger``, or None."""
    return next((lg for lg in trainer.loggers if isinstance(lg, WandbLogger)), None)


class WandbExtras(pl.Callback):
    """Splits artifact and run id in checkpoints (see the module docstring).

    Args:
        output_dir: the run directory (``splits.json`` lives there).
    """

    def __init__(self, output_dir: str | Path) -> None:
        super().__init__()
        self.output_dir = Path(output_dir)
        self.run_id: str | None = None

    @property
    def state_key(self) -> str:
        """``"WandbExtras"``: the fixed key of this state in checkpoints (read by
        :func:`run_id_from_checkpoint`)."""
        return STATE_KEY

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        """Note the W&B run id (global rank zero, when a ``WandbLogger`` is attached)."""
        logger = wandb_logger(trainer)
        if logger is not None and trainer.is_global_zero:
            self.run_id = logger.experiment.id

    @rank_zero_only
    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Log ``splits.json`` as a ``splits`` artifact (rank zero; W&B only)."""
        logger = wandb_logger(trainer)
        datamodule = getattr(trainer, "datamodule", None)
        if logger is None or not getattr(datamodule, "splits", None):
            return
        import wandb

        path = datamodule.save_splits(self.output_dir)
        artifact = wandb.Artifact(
            f"splits-{logger.experiment.id}",
            type="splits",
            description="content ids of every split per dataset",
            metadata={"datasets": sorted(datamodule.splits)},
        )
        artifact.add_file(str(path), name="splits.json")
        logger.experiment.log_artifact(artifact)

    def state_dict(self) -> dict[str, Any]:
        """``{"run_id": id}`` (None without W&B), saved in checkpoints."""
        return {"run_id": self.run_id}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Take the checkpoint's run id unless this run already has one."""
        self.run_id = self.run_id or state_dict.get("run_id")


def run_id_from_checkpoint(path: str | Path) -> str | None:
    """The W&B run id a checkpoint was written by (None if it was not logged to W&B)."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    state = checkpoint.get("callbacks", {}).get(STATE_KEY) or {}
    return state.get("run_id")


def resume_wandb_run(cfg: DictConfig) -> str | None:
    """When resuming from ``cfg.ckpt_path`` with ``logger=wandb`` and no explicit
    ``logger.wandb.id``, set the id to the checkpoint's run so the same W&B run continues.

    Returns the id used (None when nothing changed).
    """
    wandb_cfg = (cfg.get("logger") or {}).get("wandb")
    ckpt_path = cfg.get("ckpt_path")
    if not wandb_cfg or not ckpt_path or wandb_cfg.get("id") or not Path(ckpt_path).is_file():
        return None
    run_id = run_id_from_checkpoint(ckpt_path)
    if run_id:
        with open_dict(cfg):
            cfg.logger.wandb.id = run_id
        log.info("resuming W&B run %s from %s", run_id, ckpt_path)
    return run_id
