"""Metrics that need no training, run through the same test protocol as the trained models.

``psnr`` and ``ssim`` compare display-encoded values (the ``srgb`` scheme of
:class:`~hdr_iqa.photometry.PhotometricChain`: SDR pixel values as they are, absolute luminance
shown on the 100 cd/m^2 reference SDR display first); ``pu_psnr`` and ``pu_ssim`` compare
PU21-encoded luminance scaled by the ``pmax`` scheme ([0.005, 10000] cd/m^2 -> [0, 1]), through
the project's display model. PSNR and SSIM are torchmetrics' (``torchmetrics.functional``); the
ColorVideoVDP baseline is in :mod:`hdr_iqa.models.cvvdp`.

Each baseline sees whole images (``sampling.patch_size: null``: one "patch" per image, see
:class:`~hdr_iqa.data.pair_dataset.PairDataset`), and its raw score is mapped to the project's
quality direction in one place, :data:`BASELINE_DIRECTION`.
"""

from __future__ import annotations

from typing import ClassVar, Literal, NamedTuple

import torch
from torch import nn
from torchmetrics.functional.image import (
    peak_signal_noise_ratio,
    structural_similarity_index_measure,
)

from hdr_iqa.models._registry import register_model
from hdr_iqa.models.base import IQAModel
from hdr_iqa.photometry import LuminanceChain, PhotometricChain

InputScheme = Literal["srgb", "pmax", "luminance"]


class Direction(NamedTuple):
    """How a baseline's raw score becomes a quality score: ``max(0, best - raw)``.

    Attributes:
        raw: what the library reports (name and unit); larger raw = better for every baseline.
        best: the raw score of a pair at reference quality (identical images).
    """

    raw: str
    best: float

    def to_quality(self, raw: torch.Tensor) -> torch.Tensor:
        """(B,) raw scores -> (B,) quality: 0 = reference quality, larger = worse."""
        return (self.best - raw).clamp_min(0.0)

    @property
    def units(self) -> str:
        """How the quality is computed, e.g. ``'100 - PSNR in dB (0 = reference quality)'``."""
        return f"{self.best:g} - {self.raw} (0 = reference quality)"


BASELINE_DIRECTION: dict[str, Direction] = {
    # PSNR of identical images is infinite; 100 dB caps it (float32 and 8-bit inputs cannot
    # resolve differences beyond that), so identical images score 0
    "psnr": Direction("PSNR in dB", 100.0),
    "pu_psnr": Direction("PSNR in dB", 100.0),
    # SSIM is 1 for identical images and at least -1
    "ssim": Direction("SSIM", 1.0),
    "pu_ssim": Direction("SSIM", 1.0),
    # ColorVideoVDP's just-objectionable-difference units: 10 = no visible difference
    "cvvdp": Direction("JOD", 10.0),
}
"""The one place where each baseline's score is mapped to the project's quality direction
(0 = reference quality, larger = worse); the evaluation's logistic fit absorbs the scale."""


class BaselineMetric(IQAModel):
    """A full-reference metric without parameters, scoring whole images.

    Subclasses set ``name`` (a key of :data:`BASELINE_DIRECTION`), ``scheme`` (the input the
    photometric chain gives it) and implement :meth:`raw_score`.

    ``forward(ref, dist)`` takes (B, N, 3, H, W) chain outputs (N = 1: the whole image) and
    returns the quality score (B,); the features are empty (B, 1, 0) (no domain adaptation).
    """

    name: ClassVar[str]
    scheme: ClassVar[InputScheme]
    patch_size: ClassVar[None] = None  # type: ignore[assignment]  # whole images
    input_mean = (0.0, 0.0, 0.0)
    input_std = (1.0, 1.0, 1.0)

    @property
    def direction(self) -> Direction:
        """This metric's mapping of raw scores to quality (:data:`BASELINE_DIRECTION`)."""
        return BASELINE_DIRECTION[self.name]

    def input_chain(self, **_: object) -> nn.Module:
        """The photometric chain in front of the metric (no display jitter: nothing trains)."""
        if self.scheme == "luminance":
            return LuminanceChain()
        return PhotometricChain(
            self.scheme, mean=self.input_mean, std=self.input_std, jitter_display=False
        )

    def raw_score(self, ref: torch.Tensor, dist: torch.Tensor) -> torch.Tensor:
        """The library's score (B,) of (B, 3, H, W) images (larger = better)."""
        raise NotImplementedError

    def forward_features(
        self, ref: torch.Tensor | None, dist: torch.Tensor, pos: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """ref, dist (B, N, 3, H, W) chain outputs -> ``raw``: the library's score (B,), the
        mean over the N images of each sample (N = 1: whole images), float32."""
        if ref is None:
            raise ValueError(f"{self.name} is a full-reference metric: the reference is missing")
        batch, patches = dist.shape[:2]
        with torch.autocast(device_type=dist.device.type, enabled=False):  # metrics in float32
            raw = self.raw_score(ref.flatten(0, 1).float(), dist.flatten(0, 1).float())  # (B*N,)
        return {"raw": raw.view(batch, patches).mean(dim=1)}

    def forward_head(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        """Quality (B,): ``max(0, best - raw)``, 0 = reference quality."""
        return self.direction.to_quality(features["raw"])

    def coral_features(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        """No features to align: (B, 1, 0)."""
        return features["raw"].new_zeros(len(features["raw"]), 1, 0)


class _PSNR(BaselineMetric):
    def raw_score(self, ref: torch.Tensor, dist: torch.Tensor) -> torch.Tensor:
        return peak_signal_noise_ratio(dist, ref, data_range=1.0, reduction="none", dim=(1, 2, 3))


class _SSIM(BaselineMetric):
    def raw_score(self, ref: torch.Tensor, dist: torch.Tensor) -> torch.Tensor:
        return structural_similarity_index_measure(dist, ref, data_range=1.0, reduction="none")


@register_model("psnr")
class PSNR(_PSNR):
    """PSNR (torchmetrics) of display-encoded values in [0, 1]; quality = 100 dB - PSNR."""

    name, scheme = "psnr", "srgb"


@register_model("ssim")
class SSIM(_SSIM):
    """SSIM (torchmetrics; 11x11 Gaussian window) of display-encoded values; quality = 1 - SSIM."""

    name, scheme = "ssim", "srgb"


@register_model("pu_psnr")
class PUPSNR(_PSNR):
    """PSNR of PU21-encoded luminance / P_max (``pmax`` scheme); quality = 100 dB - PSNR."""

    name, scheme = "pu_psnr", "pmax"


@register_model("pu_ssim")
class PUSSIM(_SSIM):
    """SSIM of PU21-encoded luminance / P_max (``pmax`` scheme); quality = 1 - SSIM."""

    name, scheme = "pu_ssim", "pmax"
