"""Learning-rate schedules."""

from __future__ import annotations

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR


def decay_to(optimizer: Optimizer, total_steps: int, final_ratio: float = 0.01) -> LambdaLR:
    """Exponential decay from the initial LR to ``final_ratio`` times it over ``total_steps``.

    The paper code's "lambda" schedule: lr_k = lr_0 * r^k with r = final_ratio^(1/total_steps).

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        >>> scheduler = decay_to(opt, total_steps=25)
        >>> round(scheduler.lr_lambdas[0](1), 7)
        0.8317638
    """
    if total_steps < 1 or not 0 < final_ratio <= 1:
        raise ValueError(
            f"need total_steps >= 1 and 0 < final_ratio <= 1, got {total_steps}, {final_ratio}"
        )
    rate = final_ratio ** (1.0 / total_steps)
    return LambdaLR(optimizer, lambda step: rate ** min(step, total_steps))
