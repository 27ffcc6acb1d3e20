"""What every model provides to the training module."""

from __future__ import annotations

from collections.abc import Callable
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
    """Base class of the networks: plain torch, no Lightning, no Hydra.

    Inputs are patches already through the photometric chain (display model -> PU21 ->
    normalisation, see :mod:`hdr_iqa.photometry`), normalised with ``input_mean`` /
    ``input_std``: ``ref`` and ``dist`` (B, N, 3, P, P) float32 (B images, N patches each,
    P = ``patch_size``; N = 1 and P = the image size for whole-image metrics), and ``pos``
    (B, N, 2) the patch centres as (row, col) in (0, 1) of the image height and width.
    Scores are in the project's one direction: 0 = reference quality, larger = worse.

    The contract, in the order a forward pass uses it:

    * :meth:`forward_features` ``(ref, dist, pos) -> features``: everything up to the features
      that CORAL aligns, as a dict of tensors whose layout each model documents.
    * :meth:`forward_head` ``(features) -> score`` (B,) float32.
    * :meth:`coral_features` ``(features) -> (B, K, d)``: K rows of width d per image that
      DeepCORAL aligns across domains (e.g. PieAPP: K = 2N coarse patch features, d = 2048).
    * :meth:`training_loss` ``(features) -> (B,) | None``: optional model-specific loss per
      image; when given, training uses it instead of the IQA loss on the labels.
    * :meth:`forward` runs the three and returns an :class:`IQAOutput`.
    * :attr:`patch_terms` ``(features) -> (score * weight, weight)``, each (B*N,): optional;
      models whose image score is a weighted mean of per-patch scores provide it (scoring a
      dense grid of patches in chunks sums these terms); None for models that score a draw of
      patches as a whole (VTAMIQ, DIQA).
    * :meth:`convert_state_dict` ``(state) -> state``: renames a published weight layout to
      this model's keys (identity by default); :meth:`load_weights` then loads strictly.
    * :attr:`init_file_keys`: constructor arguments (``model.net.<key>`` settings) that name
      files read only to initialise the model (e.g. ``vgg16_weights``, ``weights``); restoring
      a checkpoint clears them, since the checkpoint holds the trained weights.

    Class attributes: ``input_mean`` / ``input_std`` (per-channel normalisation the chain
    applies last), ``patch_size`` (P in pixels; None = whole images), ``no_reference``
    (the model scores ``dist`` alone and gets ``ref=None`` at evaluation; during training it
    gets the reference when :attr:`training_needs_reference`).
    """

    input_mean: ClassVar[tuple[float, float, float]] = IMAGENET_MEAN
    input_std: ClassVar[tuple[float, float, float]] = IMAGENET_STD
    patch_size: ClassVar[int]
    no_reference: ClassVar[bool] = False
    init_file_keys: ClassVar[tuple[str, ...]] = ()
    """``model.net`` keys naming initialisation files, cleared when a checkpoint is restored."""
    patch_terms: Callable[[dict[str, torch.Tensor]], tuple[torch.Tensor, torch.Tensor]] | None = (
        None
    )
    """Optional ``(features) -> (score * weight, weight)``, each (B*N,), for models whose image
    score is ``sum(score * weight) / sum(weight)`` over its patches; None otherwise."""

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
        """Features of a batch: ref, dist (B, N, 3, P, P), pos (B, N, 2) -> a dict of tensors
        (layout per model), input to :meth:`forward_head` and :meth:`coral_features`."""
        raise NotImplementedError

    def forward_head(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        """Score (B,) float32 from :meth:`forward_features`' output (0 = reference quality)."""
        raise NotImplementedError

    def coral_features(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        """The (B, K, d) rows DeepCORAL aligns (their covariance over B*K rows is matched)."""
        raise NotImplementedError

    def training_loss(self, features: dict[str, torch.Tensor]) -> torch.Tensor | None:
        """Per-sample model-specific loss (B,), or None to train on the labels."""
        return None

    def forward(
        self, ref: torch.Tensor | None, dist: torch.Tensor, pos: torch.Tensor | None = None
    ) -> IQAOutput:
        """ref, dist (B, N, 3, P, P), pos (B, N, 2) -> score (B,), CORAL features (B, K, d),
        optional training loss (B,)."""
        features = self.forward_features(ref, dist, pos)
        return IQAOutput(
            self.forward_head(features),
            self.coral_features(features),
            self.training_loss(features),
        )

    def convert_state_dict(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Rename a published layout's keys to this model's (identity by default).

        Args:
            state: a flat state dict as read from a file (``name -> tensor``).
        Returns:
            the state dict in this model's key names and shapes; layouts the model does not
            know pass through unchanged (the strict load then reports them).
        """
        return state

    def load_weights(self, path: str | Path, key: str = WEIGHTS_KEY) -> None:
        """Load a complete weights file strictly (``key`` names the setting in errors).

        Reads this project's checkpoints and state dicts, and the layouts
        ``convert_state_dict`` knows; see :func:`hdr_iqa.utils.weights.load_model_weights`.
        """
        from hdr_iqa.utils.weights import load_model_weights

        load_model_weights(self, path, key)
