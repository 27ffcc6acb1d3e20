"""Training order and per-sample randomness as pure functions of (seed, epoch, position).

Resuming a run must continue exactly where it stopped, even after a SIGKILL in the middle of an
epoch. Random number generator *states* are hard to capture (worker processes, prefetching,
iterators created and thrown away by the trainer), so nothing in training depends on them:

* :class:`EpochSampler` draws each pass's shuffle from ``(seed, stream, epoch, pass)`` and gives
  every drawn sample its own seed; the dataset draws that sample's patch positions and flips
  from it (:func:`sample_generator`). A pass is one sweep over the dataset; a short source set
  cycles (several passes per epoch, reference-spec section 6.4).
* Under DDP the sampler shards each pass itself (padded to a multiple of the ranks, as
  :class:`~torch.utils.data.DistributedSampler` does), so the samples of a rank do not depend on
  the data loader's process layout.
* A run's position is ``(epoch, batches done in the epoch)``; the data module saves it in every
  checkpoint and, on resume, each sampler skips what was already trained on
  (:meth:`EpochSampler.resume_at`).
* The module reseeds the global torch RNG (dropout, stochastic depth, display jitter) at every
  step from ``(seed, global step, rank)`` (:func:`step_seed`).

Example:
    >>> sampler = EpochSampler(5, seed=0, stream=1)
    >>> first = [i for i, _ in sampler]
    >>> sorted(first), first == [i for i, _ in sampler]  # a pass is a function of its key
    ([0, 1, 2, 3, 4], True)
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import torch
from torch.utils.data import Sampler

SeededIndex = tuple[int, int]
"""A dataset key: (sample index, sample seed)."""


def derive_seed(*key: int) -> int:
    """A 63-bit seed from a tuple of non-negative integers (numpy's SeedSequence hashing).

    >>> derive_seed(0, 1) == derive_seed(0, 1), derive_seed(0, 1) == derive_seed(1, 0)
    (True, False)
    """
    state = np.random.SeedSequence([int(k) for k in key]).generate_state(2, np.uint32)
    return (int(state[0]) << 31) ^ int(state[1])


def sample_generator(seed: int) -> torch.Generator:
    """A CPU generator for one sample's random draws (patch positions, flips)."""
    return torch.Generator().manual_seed(seed)


def step_seed(seed: int, step: int, rank: int = 0) -> int:
    """The seed of the global RNG during training step ``step`` of rank ``rank``."""
    return derive_seed(seed, 0x5EED, step, rank)


class EpochSampler(Sampler[SeededIndex]):
    """Shuffled ``(index, sample_seed)`` keys of one training set, reproducible by position.

    Args:
        size: number of samples in the dataset.
        seed: the run's seed.
        stream: distinguishes datasets sharing a seed (e.g. 0 = source, 1 = target).
        num_replicas, rank: DDP sharding (each rank gets ``ceil(size / num_replicas)`` keys
            per pass).
        batch_size: samples per batch of this rank (used to turn batches into samples when
            resuming).

    The loop calls :meth:`set_epoch` at each epoch start (Lightning does so for every sampler
    that has it). Each ``iter()`` is one pass; a pass that ran to its end advances the pass
    counter, so a cycled loader sees a fresh shuffle, while an iterator thrown away before its
    end (the trainer creates one ahead of the epoch) does not.
    """

    def __init__(
        self,
        size: int,
        seed: int,
        stream: int = 0,
        num_replicas: int = 1,
        rank: int = 0,
        batch_size: int = 1,
    ) -> None:
        if size < 1:
            raise ValueError(f"EpochSampler needs at least one sample, got {size}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank {rank} out of range for {num_replicas} replicas")
        self.size = size
        self.seed = seed
        self.stream = stream
        self.num_replicas = num_replicas
        self.rank = rank
        self.batch_size = max(int(batch_size), 1)
        self.epoch = 0
        self.passes = 0  # completed passes in this epoch
        self._resume: tuple[int, int, int] | None = None  # (epoch, pass, samples to skip)

    def __len__(self) -> int:
        return math.ceil(self.size / self.num_replicas)

    @property
    def batches_per_pass(self) -> int:
        """Batches of one pass on this rank (the loader keeps its last, partial batch)."""
        return math.ceil(len(self) / self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Start epoch ``epoch`` (pass 0); a repeated call for the same epoch changes nothing."""
        if epoch != self.epoch:
            self.epoch = epoch
            self.passes = 0

    def resume_at(self, epoch: int, batches: int) -> None:
        """Continue epoch ``epoch`` after ``batches`` batches of it were trained on."""
        passes, within = divmod(int(batches), self.batches_per_pass)
        self.epoch = epoch
        self.passes = passes
        self._resume = (epoch, passes, within * self.batch_size)

    def keys(self, epoch: int, passes: int) -> list[SeededIndex]:
        """This rank's keys of pass ``passes`` of epoch ``epoch``, in order."""
        generator = torch.Generator().manual_seed(
            derive_seed(self.seed, self.stream, epoch, passes)
        )
        order = torch.randperm(self.size, generator=generator)
        seeds = torch.randint(0, 2**62, (self.size,), generator=generator)
        total = len(self) * self.num_replicas
        if total > self.size:  # pad by wrapping around, as DistributedSampler does
            extra = torch.arange(total - self.size) % self.size
            order, seeds = torch.cat([order, order[extra]]), torch.cat([seeds, seeds[extra]])
        order, seeds = order[self.rank :: self.num_replicas], seeds[self.rank :: self.num_replicas]
        return list(zip(order.tolist(), seeds.tolist(), strict=True))

    def __iter__(self) -> Iterator[SeededIndex]:
        epoch, passes = self.epoch, self.passes
        skip = 0
        if self._resume is not None and self._resume[:2] == (epoch, passes):
            skip = self._resume[2]
        keys = self.keys(epoch, passes)
        return self._run(keys[skip:], epoch, passes)

    def _run(self, keys: list[SeededIndex], epoch: int, passes: int) -> Iterator[SeededIndex]:
        yield from keys
        if (self.epoch, self.passes) == (epoch, passes):  # ran to its end: next pass
            self.passes += 1
            if self._resume is not None and self._resume[:2] <= (epoch, passes):
                self._resume = None
