"""A callback that kills its own process with SIGKILL: a crash no code can clean up after."""

from __future__ import annotations

import os
import signal

import pytorch_lightning as pl

KILL_AT_STEP = "HDR_IQA_TEST_KILL_AT_STEP"
"""Environment variable: the global step (0-based) at whose start the process is killed."""


class KillAtStep(pl.Callback):
    """SIGKILL the process when the training step named by ``$HDR_IQA_TEST_KILL_AT_STEP`` is
    about to start. Inert without the variable, so resuming the run (which reuses its command
    line, this callback included) in the test process does not kill the tests."""

    def on_train_batch_start(self, trainer: pl.Trainer, *args: object) -> None:
        step = os.environ.get(KILL_AT_STEP)
        if step is not None and trainer.global_step == int(step):
            os.kill(os.getpid(), signal.SIGKILL)
