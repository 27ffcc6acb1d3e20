"""A 2-rank gloo worker for the CORAL-over-ranks test (kept light: the spawned ranks import it)."""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.distributed as dist

from hdr_iqa.losses import CoralLoss

ROWS, DIM = 12, 6


def features(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.nn.Linear]:
    """Source and target inputs (2 * ROWS, DIM) and a linear layer producing the features."""
    generator = torch.Generator().manual_seed(seed)
    source = torch.randn(2 * ROWS, DIM, generator=generator)
    target = 2 * torch.randn(2 * ROWS, DIM, generator=generator) + 1
    layer = torch.nn.Linear(DIM, DIM)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(DIM, DIM, generator=generator))
        layer.bias.zero_()
    return source, target, layer


def coral_gradient(source, target, layer, sync_ranks: bool) -> tuple[float, torch.Tensor]:
    """CORAL loss of the layer's features and its gradient w.r.t. the layer's weight."""
    layer.zero_grad()
    loss = CoralLoss(sync_ranks=sync_ranks)(layer(source), layer(target))
    loss.backward()
    return float(loss.detach()), layer.weight.grad.clone()


def rank_worker(rank: int, world_size: int, port: int, output_dir: str) -> None:
    """Rank ``rank`` takes its ROWS of each domain; saves (loss, DDP-averaged gradient)."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    try:
        source, target, layer = features(0)
        shard = slice(rank * ROWS, (rank + 1) * ROWS)
        results = {}
        for sync in (True, False):
            loss, grad = coral_gradient(source[shard], target[shard], layer, sync)
            dist.all_reduce(grad)  # what DDP does with parameter gradients: the mean over ranks
            results[sync] = (loss, grad / world_size)
        torch.save(results, Path(output_dir) / f"rank_{rank}.pt")
    finally:
        dist.destroy_process_group()
