"""W&B extras on top of Lightning's ``WandbLogger`` (inert when no ``WandbLogger`` is attached).

* the split file (``splits.json``) as a ``splits`` artifact when training starts;
* after testing, a predicted-vs-target scatter plot per dataset (with the fitted logistic of
  the evaluation protocol), logged as an image and saved as ``results/scatter_<dataset>.png``;
* the W&B run id in every checkpoint (this callback's state), so that a run resumed with
  ``ckpt_path=...`` continues the same W&B run (:func:`resume_wandb_run`).

Losses per term, validation/test metrics and the learning rate reach W&B through ``self.log``;
the resolved config through ``logger.log_hyperparams`` in :mod:`hdr_iqa.train`. Everything works
offline (``WANDB_MODE=offline``): the run is stored under ``<run dir>/wandb/offline-run-*`` and
can be uploaded later with ``wandb sync``.
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

from hdr_iqa.data.records import QUALITY_DIRECTION
from hdr_iqa.metrics import Evaluation

log = logging.getLogger(__name__)
STATE_KEY = "WandbExtras"


def wandb_logger(trainer: pl.Trainer) -> WandbLogger | None:
    """The trainer's ``WandbLogger``, or None."""
    return next((lg for lg in trainer.loggers if isinstance(lg, WandbLogger)), None)


def scatter_figure(
    prediction: torch.Tensor, target: torch.Tensor, name: str, evaluation: Evaluation | None
) -> Any:
    """Matplotlib figure (Agg) of predictions vs targets, with the fitted map when there is one."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import numpy as np
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.5, 4.0), dpi=100, layout="constrained")
    axes = figure.subplots()
    x, y = prediction.double().numpy(), target.double().numpy()
    axes.scatter(x, y, s=10, alpha=0.7)
    title = f"{name}: n = {len(x)}"
    if evaluation is not None:
        title += f", SROCC {evaluation.srocc:.3f}, PLCC_fit {evaluation.plcc_fit:.3f}"
        if evaluation.fit.method != "none" and len(x):
            grid = np.linspace(x.min(), x.max(), 200)
            axes.plot(grid, evaluation.fit(grid), color="C1", label=evaluation.fit.method)
            axes.legend(loc="upper left")
    axes.set(xlabel="prediction", ylabel="target (larger = worse)", title=title)
    axes.title.set_fontsize(9)
    return figure


class WandbExtras(pl.Callback):
    """Splits artifact, scatter plots, run id in checkpoints (see the module docstring).

    Args:
        output_dir: the run directory (``splits.json`` and ``results/`` live there).
        plots: log the scatter plots after testing.
    """

    def __init__(self, output_dir: str | Path, plots: bool = True) -> None:
        super().__init__()
        self.output_dir = Path(output_dir)
        self.plots = plots
        self.run_id: str | None = None

    @property
    def state_key(self) -> str:
        return STATE_KEY

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        logger = wandb_logger(trainer)
        if logger is not None and trainer.is_global_zero:
            self.run_id = logger.experiment.id

    @rank_zero_only
    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
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

    @rank_zero_only
    def on_test_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        logger = wandb_logger(trainer)
        if logger is None or not self.plots:
            return
        import wandb

        evaluations = getattr(pl_module, "test_evaluations", {})
        images = {}
        for name, values in getattr(pl_module, "test_predictions", {}).items():
            figure = scatter_figure(
                values["prediction"], values["target"], name, evaluations.get(name)
            )
            path = self.output_dir / "results" / f"scatter_{name}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            figure.savefig(path)
            images[f"test/{name}/scatter"] = wandb.Image(str(path), caption=QUALITY_DIRECTION)
        if images:
            logger.experiment.log(images)

    def state_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
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
