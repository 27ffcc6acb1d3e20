"""Pairwise preference loss (PieAPP training data), in the project's error-like direction.

P(A preferred) = sigmoid(scale * (q_B - q_A)): A is preferred when its predicted error q_A is
smaller. The loss is the MAE between predicted and labelled probabilities (the paper code's
pairwise loss, with the sign corrected: reference-spec 7.5).
"""

from __future__ import annotations

import torch
from torch import nn


def preference_probability(
    q_a: torch.Tensor, q_b: torch.Tensor, scale: float = 1.0
) -> torch.Tensor:
    """P(A preferred) from error-like scores; (B,), (B,) -> (B,) in (0, 1).

    Example:
        >>> p = preference_probability(torch.tensor([0.0, 2.0]), torch.tensor([2.0, 0.0]))
        >>> [round(x, 4) for x in p.tolist()]
        [0.8808, 0.1192]
    """
    return torch.sigmoid(scale * (q_b - q_a))


class PreferenceLoss(nn.Module):
    """MAE between sigmoid(scale * (q_B - q_A)) and the labelled P(A preferred); -> scalar."""

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        if scale <= 0:
            raise ValueError(f"preference scale must be > 0, got {scale}")
        self.scale = scale

    def forward(self, q_a: torch.Tensor, q_b: torch.Tensor, prob_a: torch.Tensor) -> torch.Tensor:
        """MAE of predicted vs labelled P(A preferred); (B,) q_a, q_b, prob_a -> 0-d float32."""
        predicted = preference_probability(q_a.float(), q_b.float(), self.scale)
        return (predicted - prob_a.float()).abs().mean()

    def extra_repr(self) -> str:
        """``scale=<scale>``, for ``repr(module)``."""
        return f"scale={self.scale}"
