"""Wall-clock timing of the training and test loops, by stage."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

import pytorch_lightning as pl
import torch

STAGES = ("data", "chain", "forward", "backward", "optimizer")
"""Stages of a training step: data wait (loader + host-to-device copy + loop overhead), the
photometric chain, forward (network and losses), backward, optimiser (clipping included)."""


def now(device: torch.device, sync: bool) -> float:
    """``time.perf_counter()``, after waiting for queued GPU work when ``sync``."""
    if sync and device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def bare_network_seconds(
    pipeline: Any,
    ref: torch.Tensor | None,
    dist: torch.Tensor,
    pos: torch.Tensor,
    display: torch.Tensor,
    repeats: int = 1,
) -> float:
    """Seconds of ``pipeline.net`` alone on (B, R, N, 3, P, P) patches: the chain is applied
    beforehand and all B*R draws go through the network in one pass (best of ``repeats`` after
    a warm-up pass), the baseline the scoring paths are compared with. Runs under the caller's
    autocast, if any."""
    with torch.inference_mode():
        ref = ref if pipeline.full_reference else None
        inputs = pipeline.chained_draws(ref, dist, pos, display)
        times = []
        for _ in range(repeats + 1):
            start = now(dist.device, sync=True)
            pipeline.net(*inputs)
            times.append(now(dist.device, sync=True) - start)
    return min(times[1:])


class StepTimer(pl.Callback):
    """Records each training step's stages, and the test loop's batch times.

    Args:
        sync: synchronise the GPU at every stage boundary (exact stage attribution, slightly
            slower steps); without it the GPU is only synchronised at the end of the steps in
            ``sync_after``, so only the time between those is exact.
        sync_after: training batch indices whose end is always synchronised.

    Attributes:
        steps: one dict per training step: ``{stage: seconds, "pairs": n, "end": t}``.
        test_batches: ``(end time, pairs)`` per test batch; ``test_start`` the loop's start.
    """

    def __init__(self, sync: bool = False, sync_after: tuple[int, ...] = ()) -> None:
        self.sync = sync
        self.sync_after = set(sync_after)
        self.steps: list[dict[str, float]] = []
        self.test_batches: list[tuple[float, int]] = []
        self.test_start = 0.0
        self._marks: dict[str, float] = {}
        self._chain = 0.0
        self._last_end: float | None = None
        self._hooks: list[Any] = []

    # -------------------------------------------------------------- chain (forward hooks)
    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        """Time ``pl_module.chain`` with forward pre/post hooks (registered once)."""
        if not self._hooks:
            chain = pl_module.chain
            self._hooks = [
                chain.register_forward_pre_hook(lambda *_: self._mark("chain_start", pl_module)),
                chain.register_forward_hook(lambda *_: self._add_chain(pl_module)),
            ]

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        """Remove the chain's timing hooks."""
        for hook in self._hooks:
            hook.remove()
        self._hooks = []

    def _mark(self, name: str, pl_module: pl.LightningModule) -> None:
        self._marks[name] = now(pl_module.device, self.sync)  # None: a pre-hook keeps the args

    def _add_chain(self, pl_module: pl.LightningModule) -> None:
        if pl_module.training:
            self._mark("chain_end", pl_module)
            self._chain += self._marks["chain_end"] - self._marks["chain_start"]

    # -------------------------------------------------------------- training
    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        """Start the step's clock; the seconds since the previous step ended are its data wait."""
        start = now(pl_module.device, self.sync)
        self._marks = {"start": start}
        self._data = 0.0 if self._last_end is None else start - self._last_end
        self._chain = 0.0

    def on_before_backward(self, trainer, pl_module, loss) -> None:
        """Mark the end of forward (network and losses) and the start of backward."""
        self._mark("backward", pl_module)

    def on_after_backward(self, trainer, pl_module) -> None:
        """Mark the end of backward and the start of the optimiser stage."""
        self._mark("optimizer", pl_module)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        """Append the step's stage times (seconds), pair count and end time to :attr:`steps`."""
        end = now(pl_module.device, self.sync or batch_idx in self.sync_after)
        marks = self._marks
        self.steps.append(
            {
                "data": self._data,
                "chain": self._chain,
                "forward": marks["backward"] - marks["start"] - self._chain,
                "backward": marks["optimizer"] - marks["backward"],
                "optimizer": end - marks["optimizer"],
                "pairs": float(sum(len(b["score"]) for b in batch.values())),
                "end": end,
            }
        )
        self._last_end = end

    # -------------------------------------------------------------- test
    def on_test_epoch_start(self, trainer, pl_module) -> None:
        """Clear :attr:`test_batches` and set :attr:`test_start` (GPU synchronised)."""
        self.test_batches = []
        self.test_start = now(pl_module.device, True)

    def on_test_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0):
        """Append ``(end time in seconds, pairs)`` to :attr:`test_batches` (GPU synchronised)."""
        self.test_batches.append((now(pl_module.device, True), len(batch["score"])))


def summarise_steps(steps: list[dict[str, float]], warmup: int) -> dict[str, float]:
    """Throughput and mean stage times (ms) of the steps after ``warmup``.

    Throughput is measured end to end, from the end of the last warm-up step to the end of the
    last step, so it includes everything between steps.
    """
    timed = steps[warmup:]
    if not timed or warmup < 1:
        raise ValueError(f"need warmup >= 1 and more steps than warmup, got {len(steps)} steps")
    elapsed = timed[-1]["end"] - steps[warmup - 1]["end"]
    pairs = sum(s["pairs"] for s in timed)
    means = defaultdict(float)
    for step in timed:
        for stage in STAGES:
            means[stage] += step[stage] * 1000 / len(timed)
    return {
        "pairs_per_s": pairs / elapsed,
        "step_ms": elapsed * 1000 / len(timed),
        "pairs_per_step": pairs / len(timed),
        **{f"{stage}_ms": means[stage] for stage in STAGES},
    }
