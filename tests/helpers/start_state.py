"""A callback that saves the network's weights as training starts (before the first step), so a
test can check what a run started from: ``+callbacks.start_state={_target_:
tests.helpers.start_state.SaveStateAtStart,path:'<file>'}``."""

from __future__ import annotations

import pytorch_lightning as pl
import torch


class SaveStateAtStart(pl.Callback):
    """``torch.save`` the module's ``net.state_dict()`` (on the CPU) at ``on_train_start``."""

    def __init__(self, path: str) -> None:
        self.path = path

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        state = {k: v.detach().cpu().clone() for k, v in pl_module.net.state_dict().items()}
        torch.save(state, self.path)
