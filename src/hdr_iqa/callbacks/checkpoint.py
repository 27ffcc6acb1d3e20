"""``checkpoints/last.ckpt``: the state at the end of the last epoch, optionally also mid-epoch."""

from __future__ import annotations

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ModelCheckpoint


class LastCheckpoint(ModelCheckpoint):
    """Keep one checkpoint, ``<dirpath>/<filename>.ckpt``, of the latest training state.

    It is written at the end of every training epoch (after that epoch's validation) and, with
    ``every_n_train_steps=N``, also every N optimizer steps, so a killed run loses at most N
    steps; resuming from it (``ckpt_path=<run>/checkpoints/last.ckpt``) is exact either way
    (:mod:`hdr_iqa.data.sampling`). Lightning's ``save_last`` only copies the checkpoints its
    monitored top-k saves, which is the last *improving* epoch, not the last one.

    Args:
        dirpath: the run's checkpoint directory.
        filename: file name without ``.ckpt``.
        every_n_train_steps: also save every N steps (None or 0: at epoch ends only).
    """

    def __init__(
        self, dirpath: str, filename: str = "last", every_n_train_steps: int | None = None
    ) -> None:
        super().__init__(
            dirpath=dirpath,
            filename=filename,
            monitor=None,
            save_top_k=1,
            every_n_train_steps=every_n_train_steps or None,
            save_on_train_epoch_end=True,
            enable_version_counter=False,
        )

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Save at every epoch end, also with ``every_n_train_steps`` (unless this step is saved
        already)."""
        if not self._every_n_train_steps:
            super().on_train_epoch_end(trainer, pl_module)
        elif not self._should_skip_saving_checkpoint(trainer):  # not saved at this step yet
            self._save_topk_checkpoint(trainer, self._monitor_candidates(trainer))
