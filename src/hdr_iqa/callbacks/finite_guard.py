"""Never train on garbage: a step whose loss or gradients are NaN/Inf stops the run, or is skipped.

Checked at every optimizer step (``on_before_optimizer_step``, before Lightning clips gradients):

* the training loss of each (accumulated) batch, as ``training_step`` returned it, and, to name
  the culprit, the terms it logged (``train/loss``, ``train/loss_source``, ``train/loss_target``,
  ``train/loss_coral``);
* every parameter's gradient (not under ``16-mixed`` precision, whose gradient scaler skips
  overflowing steps and lowers its scale by design).

``mode: stop`` (default) raises :class:`~hdr_iqa.errors.TrainingDivergedError` naming the global
step, the non-finite terms or gradients and the batch's files; the command prints it as one line
and exits 1, before the optimizer applies the step, so no checkpoint or test result comes from
the diverged weights. ``mode: skip`` drops the step instead (every gradient is set to None, so
the optimizer neither updates the weights nor advances its state, e.g. Adam's step count; the
learning-rate schedule still advances) and counts it; more than ``max_skipped`` skipped steps in
a run stop it the same way. Under DDP all ranks take the same decision.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any, Literal

import pytorch_lightning as pl
import torch

from hdr_iqa.errors import ConfigError, TrainingDivergedError

log = logging.getLogger(__name__)
MODES = ("stop", "skip")
TERM_PREFIX = "train/loss"
"""Logged loss terms (``IQAModule.training_step``) that are named when the loss is non-finite."""
SHOWN = 3
"""Files per role, and parameters, quoted in a message."""


class FiniteLossGuard(pl.Callback):
    """Stop (``mode="stop"``) or skip (``mode="skip"``) steps with a NaN/Inf loss or gradient.

    Args:
        mode: ``stop`` ends the run at the first non-finite step; ``skip`` drops such steps.
        max_skipped: in ``skip`` mode, the most steps skipped in a run (one more stops it).
        check_gradients: also check every gradient (not only the loss).
    """

    def __init__(
        self,
        mode: Literal["stop", "skip"] = "stop",
        max_skipped: int = 10,
        check_gradients: bool = True,
    ) -> None:
        super().__init__()
        if mode not in MODES:
            raise ConfigError(f"callbacks.finite_guard.mode must be one of {MODES}, got {mode!r}")
        if max_skipped < 0:
            raise ConfigError(f"callbacks.finite_guard.max_skipped must be >= 0, got {max_skipped}")
        self.mode = mode
        self.max_skipped = max_skipped
        self.check_gradients = check_gradients
        self.skipped = 0
        self._terms: dict[str, float] = {}  # non-finite terms since the last optimizer step
        self._batches: list[tuple[int, Mapping]] = []  # (batch_idx, batch) since then

    # ------------------------------------------------------------------ hooks
    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        """Keep the batch and its index, to name its files if the step turns out non-finite."""
        self._batches.append((batch_idx, batch))

    def on_before_backward(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, loss: torch.Tensor
    ) -> None:
        """If the loss is NaN/Inf, note the non-finite logged loss terms (or the loss itself)."""
        if not bool(torch.isfinite(loss.detach()).all()):
            self._terms.update(nonfinite_terms(trainer.callback_metrics, loss))

    def on_before_optimizer_step(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        """Check the step's losses and gradients (one decision on all ranks); stop the run or skip
        the step."""
        terms, batches = self._terms, self._batches
        self._terms, self._batches = {}, []
        scaled = getattr(trainer.precision_plugin, "scaler", None) is not None
        gradients = nonfinite_gradients(pl_module) if self.check_gradients and not scaled else []
        local = bool(terms or gradients)
        if not trainer.strategy.reduce_boolean_decision(local, all=False):
            return
        problem = self._describe(trainer, terms, gradients, batches, local)
        if self.mode == "stop":
            raise TrainingDivergedError(
                f"{problem}; lower the learning rate (model.optimizer.lr), check these files, or "
                "skip such steps with callbacks.finite_guard.mode=skip"
            )
        optimizer.zero_grad(set_to_none=True)  # the optimizer skips parameters without a grad
        self.skipped += 1
        if self.skipped > self.max_skipped:
            raise TrainingDivergedError(
                f"{self.skipped} training steps had a non-finite loss or gradient, more than "
                f"callbacks.finite_guard.max_skipped={self.max_skipped}; the last: {problem}"
            )
        log.warning("skipped (%d of at most %d): %s", self.skipped, self.max_skipped, problem)

    def state_dict(self) -> dict[str, Any]:
        """``{"skipped": n}``, the steps skipped so far (saved in checkpoints)."""
        return {"skipped": self.skipped}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the count of skipped steps from a checkpoint."""
        self.skipped = int(state_dict.get("skipped", 0))

    # ------------------------------------------------------------------ messages
    def _describe(
        self,
        trainer: pl.Trainer,
        terms: dict[str, float],
        gradients: list[str],
        batches: list[tuple[int, Mapping]],
        local: bool,
    ) -> str:
        step = trainer.global_step
        where = f"global step {step} (epoch {trainer.current_epoch}"
        where += f", batch {batches[-1][0]})" if batches else ")"
        found = []
        if terms:
            found.append("loss " + ", ".join(f"{k} = {v}" for k, v in terms.items()))
        if gradients:
            shown = ", ".join(gradients[:SHOWN])
            more = f" and {len(gradients) - SHOWN} more" if len(gradients) > SHOWN else ""
            found.append(f"gradient of {shown}{more}")
        if not local:
            found.append("on another process")
        files = "; ".join(batch_files(trainer, batch) for _, batch in batches)
        return f"non-finite {' and '.join(found)} at {where}; batch files: {files or 'unknown'}"


def nonfinite_terms(metrics: Mapping[str, Any], loss: torch.Tensor) -> dict[str, float]:
    """``{name: value}`` of the logged loss terms that are NaN/Inf (else ``{"loss": value}``)."""
    terms = {}
    for name, value in metrics.items():
        if name.startswith(TERM_PREFIX) and torch.is_tensor(value) and value.numel() == 1:
            number = float(value)
            if not math.isfinite(number):
                terms[name] = number
    return terms or {"loss": float(loss.detach().float().reshape(-1)[0])}


def nonfinite_gradients(module: torch.nn.Module) -> list[str]:
    """Names of the parameters whose gradient has a NaN or Inf (in parameter order)."""
    named = [(n, p.grad) for n, p in module.named_parameters() if p.grad is not None]
    if not named:
        return []
    peaks = torch.stack([g.detach().abs().amax().float() for _, g in named])  # NaN propagates
    if bool(torch.isfinite(peaks).all()):
        return []
    bad = (~torch.isfinite(peaks)).nonzero().flatten().tolist()
    return [named[i][0] for i in bad]


def batch_files(trainer: pl.Trainer, batch: Any) -> str:
    """``role: dist (ref r), ...`` for the pairs of a training batch ``{role: batch}``."""
    datamodule = getattr(trainer, "datamodule", None)
    records = getattr(datamodule, "records", {}) or {}
    parts = []
    for role, role_batch in batch.items() if isinstance(batch, Mapping) else []:
        index = role_batch.get("index") if isinstance(role_batch, Mapping) else None
        if index is None:
            continue
        indices = torch.as_tensor(index).reshape(-1).tolist()
        train = records.get(role, {}).get("train", [])
        names = [_record_files(train[i]) if i < len(train) else f"#{i}" for i in indices]
        more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
        parts.append(f"{role}: {', '.join(names[:SHOWN])}{more}")
    return "; ".join(parts)


def _record_files(record: Any) -> str:
    dist = " vs ".join(str(d) for d in (record.dist, getattr(record, "dist_b", None)) if d)
    return f"{dist} (ref {record.ref})" if getattr(record, "ref", None) else dist
