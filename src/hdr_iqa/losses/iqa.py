"""Regression losses between predicted and target quality, in the project's direction.

* MAE: mean |prediction - target| (the paper code's DA loss).
* Pearson: (1 - r) / 2 in [0, 1], r the batch Pearson correlation. The paper code uses
  1 - clamp(r, 0, 1), which has no gradient while r < 0 (as it is at initialisation for an
  inverted ranking); this form keeps the gradient.
* Rank (paper code): mean over pairs i < j of
  max(0, -(y_i - y_j)(p_i - p_j) / (|y_i - y_j| + 1e-6)) / max(|p_i|, |p_j|).
"""

from __future__ import annotations

import torch
from torch import nn


def mae_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error; (B,), (B,) -> scalar."""
    return (prediction - target).abs().mean()


def pearson_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(1 - Pearson r) / 2 over the batch; (B,), (B,) -> scalar in [0, 1] (0 if B < 2).

    Example:
        >>> y = torch.tensor([0.1, 0.4, 0.2])
        >>> round(float(pearson_loss(3 * y + 1, y)), 4), round(float(pearson_loss(-y, y)), 4)
        (0.0, 1.0)
    """
    if prediction.numel() < 2:
        return prediction.sum() * 0.0
    p = prediction - prediction.mean()
    y = target - target.mean()
    r = (p * y).sum() / ((p.norm() + 1e-6) * (y.norm() + 1e-6))
    return (1.0 - r) / 2.0


def rank_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Pairwise ranking hinge of the paper code; (B,), (B,) -> scalar (0 if B < 2)."""
    if prediction.numel() < 2:
        return prediction.sum() * 0.0
    i, j = torch.triu_indices(prediction.numel(), prediction.numel(), offset=1)
    dy = target[i] - target[j]
    dp = prediction[i] - prediction[j]
    hinge = torch.relu(-dy * dp / (dy.abs() + 1e-6))
    scale = torch.maximum(prediction[i].abs(), prediction[j].abs()).clamp_min(1e-6)
    return (hinge / scale).mean()


class IQALoss(nn.Module):
    """Weighted sum ``mae * MAE + pearson * Pearson + rank * Rank``; (B,), (B,) -> scalar.

    Targets must be labelled (no NaN): the data module checks this per dataset, so the loss
    needs no masking (and no host synchronisation).
    """

    def __init__(self, mae: float = 1.0, pearson: float = 1.0, rank: float = 0.0) -> None:
        super().__init__()
        if min(mae, pearson, rank) < 0 or mae + pearson + rank == 0:
            raise ValueError(f"IQA loss weights must be >= 0, not all 0: {mae}, {pearson}, {rank}")
        self.weights = {"mae": mae, "pearson": pearson, "rank": rank}

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Weighted loss of (B,) predictions against (B,) targets, in float32; 0-d tensor."""
        prediction, target = prediction.float(), target.float()
        terms = (("mae", mae_loss), ("pearson", pearson_loss), ("rank", rank_loss))
        return sum(w * fn(prediction, target) for name, fn in terms if (w := self.weights[name]))

    def extra_repr(self) -> str:
        """The weights, e.g. ``mae=1.0, pearson=1.0, rank=0.0``."""
        return ", ".join(f"{k}={v}" for k, v in self.weights.items())
