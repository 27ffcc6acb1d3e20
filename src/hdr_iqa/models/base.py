"""What every model provides to the training module."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, NamedTuple

import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
WEIGHTS_KEY = "model.net.weights"
"""Config key of a model's complete weights file (quoted in loading errors)."""


class IQAOutput(NamedTuple):
    """Model output.

    Attributes:
        score: (B,) predicted quality in the project's direction (0 = reference quality,
            larger = worse), unbounded.
        features: (B, K, d) the features DeepCORAL aligns, K rows per sample (e.g. PieAPP:
            coarse features of the N reference and N distorted patches, K = 2N).
        loss: (B,) optional model-specific training loss per sample (e.g. DIQA's objective
            error-map loss, which needs no label). When present, the training module trains
            on it instead of the IQA loss between ``score`` and the label.
    """

    score: torch.Tensor
    features: torch.Tensor
    loss: torch.Tensor | None = None


class IQAModel(nn.Module):
    """Base class of the backbones: plain torch, no Lightning, no Hydra.

    Subclasses set the class attributes and implement ``forward_features`` (everything up to
    the features CORAL aligns), ``forward_head`` (features -> score) and ``coral_features``;
    optionally ``training_loss`` (features -> per-sample loss, see :class:`IQAOutput`).

    ``forward(ref, dist, pos)`` takes patches (B, N, 3, P, P) already through the photometric
    chain and their normalised centres (B, N, 2) and returns an :class:`IQAOutput`.
    No-reference models (``no_reference = True``) score ``dist`` alone and get ``ref=None``
    at evaluation; during training they get the reference when ``training_needs_reference``.
    A model whose ``training_loss`` needs no label sets ``training_needs_labels`` to False.

    Weights files are converted to this model's key names by ``convert_state_dict`` (e.g.
    published layouts) and loaded strictly by :meth:`load_weights`.
    """

    input_mean: ClassVar[tuple[float, float, float]] = IMAGENET_MEAN
    input_std: ClassVar[tuple[float, float, float]] = IMAGENET_STD
    patch_size: ClassVar[int]
    no_reference: ClassVar[bool] = False

    @property
    def training_needs_reference(self) -> bool:
        """Whether training batches must pass the reference (always for full-reference)."""
        return not self.no_reference

    @property
    def training_needs_labels(self) -> bool:
        """Whether training needs a label per sample (False for a label-free training loss,
        e.g. DIQA's objective phase): unlabelled training data is then allowed."""
        return True

    def forward_features(
        self, ref: torch.Tensor | None, dist: torch.Tensor, pos: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def forward_head(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def coral_features(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def training_loss(self, features: dict[str, torch.Tensor]) -> torch.Tensor | None:
        """Per-sample model-specific loss (B,), or None to train on the labels."""
        return None

    def forward(
        self, ref: torch.Tensor | None, dist: torch.Tensor, pos: torch.Tensor | None = None
    ) -> IQAOutput:
        features = self.forward_features(ref, dist, pos)
        return IQAOutput(
            self.forward_head(features),
            self.coral_features(features),
            self.training_loss(features),
        )

    def convert_state_dict(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Rename a published layout's keys to this model's (identity by default)."""
        return state

    def load_weights(self, path: str | Path, key: str = WEIGHTS_KEY) -> None:
        """Load a complete weights file strictly (``key`` names the setting in errors).

        Reads this project's checkpoints and state dicts, and the layouts
        ``convert_state_dict`` knows; see :func:`hdr_iqa.utils.weights.load_model_weights`.
        """
        from hdr_iqa.utils.weights import load_model_weights

        load_model_weights(self, path, key)
