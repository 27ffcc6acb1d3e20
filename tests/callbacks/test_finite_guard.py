"""FiniteLossGuard: a NaN/Inf loss or gradient stops the run (one line, exit 1, no results), or
in skip mode leaves the weights and the optimizer state as they were."""

from __future__ import annotations

import re

import pytest
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from hdr_iqa.callbacks.finite_guard import FiniteLossGuard
from hdr_iqa.errors import ConfigError, TrainingDivergedError
from tests.helpers.commands import logged_errors, train_command

DIVERGE = ("model.optimizer.lr=1e6", "trainer.limit_train_batches=12")
"""The tiny network's loss overflows to NaN after a few steps at this learning rate."""
NAN_TERMS = r"non-finite loss (train/loss\w* = (nan|inf|-inf)(, )?)+"


def test_a_diverging_run_stops_with_one_line_naming_step_terms_and_files(
    tmp_path, synthetic_data_dir, capsys
):
    run_dir = tmp_path / "run"
    assert train_command(run_dir, synthetic_data_dir, *DIVERGE) == 1
    (line,) = logged_errors(capsys)
    assert line.startswith("TrainingDivergedError: "), line
    assert re.search(NAN_TERMS + r".* at global step \d+ \(epoch 0, batch \d+\)", line), line
    files = re.search(r"batch files: source: (\S+) \(ref (\S+)\)", line)
    assert files and "synthetic/sdr/" in files.group(1) and "synthetic/sdr/" in files.group(2)
    assert "target: " in line and "synthetic/hdr/" in line
    assert not (run_dir / "results").exists()  # no metrics.json, with n: 0 or otherwise
    assert not list(run_dir.glob("checkpoints/*.ckpt"))


def test_skip_mode_stops_after_max_skipped(tmp_path, synthetic_data_dir, capsys):
    overrides = ("callbacks.finite_guard.mode=skip", "callbacks.finite_guard.max_skipped=2")
    assert train_command(tmp_path / "run", synthetic_data_dir, *DIVERGE, *overrides) == 1
    output = logged_errors(capsys)
    (line,) = output
    assert line.startswith(
        "TrainingDivergedError: 3 training steps had a non-finite loss or gradient, more than "
        "callbacks.finite_guard.max_skipped=2; the last: non-finite loss train/loss"
    ), line
    assert not (tmp_path / "run/results").exists()


# ---------------------------------------------------------------------------- a bare Trainer
class Regression(pl.LightningModule):
    """A linear model on (x, y) batches; ``poison="grad"`` makes one batch's gradients NaN with a
    finite loss (d sqrt(u)/du at u = 0 is inf, times 0)."""

    def __init__(self, poison: str = "") -> None:
        super().__init__()
        torch.manual_seed(0)
        self.linear = torch.nn.Linear(2, 1)
        self.poison = poison

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.linear(x).squeeze(-1), y)
        if self.poison == "grad" and batch_idx == 1:
            loss = loss + torch.sqrt(self.linear.weight.sum() * 0).clamp(max=0)
        self.log("train/loss", loss)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.parameters(), lr=0.1)


def fit(module: Regression, x: torch.Tensor, guard: FiniteLossGuard) -> pl.Trainer:
    loader = DataLoader(TensorDataset(x, x.sum(dim=1)), batch_size=1)
    trainer = pl.Trainer(max_epochs=1, accelerator="cpu", logger=False, callbacks=[guard],
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False)  # fmt: skip
    trainer.fit(module, loader)
    return trainer


def test_skipped_steps_change_neither_weights_nor_optimizer_state():
    x = torch.arange(10.0).view(5, 2)
    poisoned = x.clone()
    poisoned[[1, 3], 0] = torch.nan  # two NaN losses among five steps
    guard = FiniteLossGuard(mode="skip", max_skipped=2)
    skipping = Regression()
    trainer = fit(skipping, poisoned, guard)
    clean = Regression()
    fit(clean, x[[0, 2, 4]], FiniteLossGuard())  # the same run without the poisoned samples
    assert guard.skipped == 2 and trainer.global_step == 5
    state = trainer.optimizers[0].state
    assert [float(state[p]["step"]) for p in skipping.parameters()] == [3.0, 3.0]  # not 5
    for ours, reference in zip(skipping.parameters(), clean.parameters(), strict=True):
        assert torch.isfinite(ours).all() and torch.equal(ours, reference)


def test_a_nan_gradient_with_a_finite_loss_is_caught_and_named():
    with pytest.raises(TrainingDivergedError) as raised:
        fit(Regression(poison="grad"), torch.ones(3, 2), FiniteLossGuard())
    message = str(raised.value)
    assert message.startswith(
        "non-finite gradient of linear.weight at global step 1 (epoch 0, batch 1); "
    ), message


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="mode must be one of"):
        FiniteLossGuard(mode="ignore")
    with pytest.raises(ConfigError, match="max_skipped must be >= 0"):
        FiniteLossGuard(max_skipped=-1)
