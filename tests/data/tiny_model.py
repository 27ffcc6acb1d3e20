"""A tiny full-/no-reference model so that every dataset config trains in a fraction of a second."""

from __future__ import annotations

import torch
from torch import nn

from hdr_iqa.models.base import IQAModel


class TinyIQA(IQAModel):
    """Mean-pooled 4x4 conv features of (dist - ref) (or of dist alone) -> linear score."""

    patch_size = 64

    def __init__(self, no_reference: bool = False) -> None:
        super().__init__()
        self.no_reference = no_reference
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 4, stride=4), nn.ReLU(), nn.AdaptiveAvgPool2d(1)
        )
        self.head = nn.Linear(8, 1)

    def _encode(self, patches: torch.Tensor) -> torch.Tensor:
        """(B, N, 3, P, P) -> (B, N, 8)."""
        return self.features(patches.flatten(0, 1)).flatten(1).view(*patches.shape[:2], -1)

    def forward_features(self, ref, dist, pos=None) -> dict[str, torch.Tensor]:
        dist_features = self._encode(dist)
        if ref is None or self.no_reference:
            return {"delta": dist_features}
        return {"delta": dist_features - self._encode(ref)}

    def forward_head(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.head(features["delta"]).squeeze(-1).mean(dim=1)

    def coral_features(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        return features["delta"]
