"""What every model provides to the training module."""

from __future__ import annotations

from typing import ClassVar, NamedTuple

import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class IQAOutput(NamedTuple):
    """Model output.

    Attributes:
        score: (B,) predicted quality in the project's direction (0 = reference quality,
            larger = worse), unbounded.
        features: (B, K, d) the features DeepCORAL aligns, K rows per sample (e.g. PieAPP:
            coarse features of the N reference and N distorted patches, K = 2N).
    """

    score: torch.Tensor
    features: torch.Tensor


class IQAModel(nn.Module):
    """Base class of the backbones: plain torch, no Lightning, no Hydra.

    Subclasses set the class attributes and implement ``forward_features`` (everything up to
    the features CORAL aligns), ``forward_head`` (features -> score) and ``coral_features``.

    ``forward(ref, dist, pos)`` takes patches (B, N, 3, P, P) already through the photometric
    chain and their normalised centres (B, N, 2) and returns an :class:`IQAOutput`.
    """

    input_mean: ClassVar[tuple[float, float, float]] = IMAGENET_MEAN
    input_std: ClassVar[tuple[float, float, float]] = IMAGENET_STD
    patch_size: ClassVar[int]
    no_reference: ClassVar[bool] = False

    def forward_features(
        self, ref: torch.Tensor | None, dist: torch.Tensor, pos: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def forward_head(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def coral_features(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def forward(
        self, ref: torch.Tensor | None, dist: torch.Tensor, pos: torch.Tensor | None = None
    ) -> IQAOutput:
        features = self.forward_features(ref, dist, pos)
        return IQAOutput(self.forward_head(features), self.coral_features(features))
