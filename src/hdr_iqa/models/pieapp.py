"""PieAPP (Prashnani et al., CVPR 2018) as used by PU-PieAPP and the HDR domain-adaptation paper.

Reference code: gfxdisp/pu_pieapp (official PU-PieAPP), ch-andrei/HDR-IQA-dom-adapt ([DA]);
reference-spec section 5. Patch-wise error scores weighted by learned patch weights::

    f, c = extractor(patch)            # multi-scale (120,832) and coarse (2,048) features
    s_i = fcs(f_dist - f_ref)          # per-patch error
    w_i = weights(c_dist - c_ref)      # per-patch weight (> 0 with the [DA] sigmoid)
    q   = sum_i w_i s_i / sum_i w_i    # image score, 0 = identical, larger = worse

CORAL aligns the coarse features of reference and distorted patches: (B, 2N, 2048).

Published weights load with ``weights=<file>``: the paper code's checkpoints and the official
PU-PieAPP file (whose weight branch has no sigmoid: set ``weight_sigmoid=False`` to reproduce its
outputs); their ``comparitor`` (sic) keys map to ``comparator`` (``weights-compat.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

import torch
from torch import nn

from hdr_iqa.errors import WeightsError
from hdr_iqa.models._registry import register_model
from hdr_iqa.models.base import IQAModel
from hdr_iqa.utils.weights import load_state_dict_file, rename_keys

EXTRACTOR_CHANNELS = ((3, 64), (64, 64), (64, 64), (64, 128), (128, 128), (128, 128),
                      (128, 256), (256, 256), (256, 256), (256, 512), (512, 512))  # fmt: skip
POOL_AFTER = (2, 4, 6, 8, 10)
"""2x2 max-pool follows these convolutions (1-based)."""
FEATURE_TAPS = (3, 5, 7, 9, 11)
"""Convolutions whose outputs form the multi-scale feature (64*32^2 + ... + 512*2^2 = 120,832)."""
FEATURE_DIM = 120_832
COARSE_DIM = 2_048
VGG16_SOURCES = (0, 2, 2, 5, 7, 7, 10, 12, 14, 17, 19)
"""torchvision ``vgg16().features`` index copied into conv1..conv11 (reference-spec 5.4)."""
PUBLISHED_KEY_MAP = ((r"^comparitor\.", "comparator."),)
"""[DA] PieAPP and official PU-PieAPP keys -> this model's (only the spelling differs;
``weights-compat.md`` sections 1 and 3)."""


class PieAPPExtractor(nn.Module):
    """11 conv3x3+ReLU layers with 5 max-pools (VGG-like, [DA] ``extractor``).

    ``forward``: (M, 3, 64, 64) normalised patches -> multi-scale features (M, 120832) (the
    flattened outputs of conv3, 5, 7, 9, 11) and coarse features (M, 2048) (conv11's).
    """

    def __init__(self) -> None:
        super().__init__()
        for i, (c_in, c_out) in enumerate(EXTRACTOR_CHANNELS, start=1):
            setattr(self, f"conv{i}", nn.Conv2d(c_in, c_out, 3, padding=1))
        self.pool = nn.MaxPool2d(2, 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(M, 3, 64, 64) -> features (M, 120832), coarse features (M, 2048)."""
        taps = []
        for i in range(1, len(EXTRACTOR_CHANNELS) + 1):
            x = torch.relu(getattr(self, f"conv{i}")(x))
            if i in FEATURE_TAPS:
                taps.append(x.flatten(1))
            if i in POOL_AFTER:
                x = self.pool(x)
        return torch.cat(taps, dim=1), taps[-1]  # (M, 120832), (M, 2048)


class _Scale(nn.Module):
    """x * factor (no parameters)."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor


class _AddEpsilon(_Scale):
    """x + factor (no parameters)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.factor


class PieAPPComparator(nn.Module):
    """Per-patch error score and weight from feature differences ([DA] ``comparitor``).

    ``fcs``: Linear(120832, 512) -> ReLU -> Linear(512, 1) -> x 0.01 -> Linear(1, 1);
    ``weights``: Linear(2048, 512) -> ReLU -> Linear(512, 1) -> [sigmoid] -> + 1e-6.
    """

    def __init__(self, weight_sigmoid: bool = True) -> None:
        super().__init__()
        self.fcs = nn.Sequential(
            nn.Linear(FEATURE_DIM, 512), nn.ReLU(), nn.Linear(512, 1), _Scale(0.01), nn.Linear(1, 1)
        )
        self.weights = nn.Sequential(
            nn.Linear(COARSE_DIM, 512),
            nn.ReLU(),
            nn.Linear(512, 1),
            nn.Sigmoid() if weight_sigmoid else nn.Identity(),
            _AddEpsilon(1e-6),
        )

    def forward(
        self, delta_features: torch.Tensor, delta_coarse: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(M, 120832), (M, 2048) feature differences (dist - ref) -> per-patch score (M,)
        (0 = identical, larger = worse) and weight (M,) (> 0 with the sigmoid)."""
        return self.fcs(delta_features).squeeze(-1), self.weights(delta_coarse).squeeze(-1)


@register_model("pieapp")
class PieAPP(IQAModel):
    """PieAPP on 64x64 patches of ImageNet-normalised inputs; 68,376,580 parameters.

    ``forward(ref, dist)``: ref, dist (B, N, 3, 64, 64) -> score (B,) = weighted mean of the N
    patch scores; CORAL features (B, 2N, 2048) = coarse features of each reference and
    distorted patch (rows ref_1, dist_1, ref_2, ...). ``pos`` is not used.

    Args:
        weight_sigmoid: sigmoid on the patch-weight branch (paper code [DA]); false matches
            the official PU-PieAPP weights.
        init: ``"default"`` (PyTorch initialisation), or ``"kaiming"`` (He-normal convolutions
            and a zero offset of the final calibration layer, so scores start centred at 0 =
            reference quality; PyTorch's default gives an almost constant score).
        vgg16_weights: optional local path of torchvision VGG16 weights (``.pth`` state dict)
            whose conv layers initialise the extractor as in [DA] (reference-spec 5.4).
        channels_last: run the convolutions in channels-last memory format (about 30% faster
            training on CPU, tensor cores on GPU). Other convolution kernels, so float32
            results differ from the default layout by rounding (about 2e-6 of full scale
            measured on CPU at random init); float64 results agree to about 1e-15.
        weights: optional local file with complete weights, loaded last: a checkpoint of this
            project, a paper-code checkpoint or the official PU-PieAPP file.
    """

    patch_size: ClassVar[int] = 64
    init_file_keys: ClassVar[tuple[str, ...]] = ("vgg16_weights", "weights")

    def __init__(
        self,
        weight_sigmoid: bool = True,
        init: Literal["default", "kaiming"] = "default",
        vgg16_weights: str | Path | None = None,
        channels_last: bool = True,
        weights: str | Path | None = None,
    ) -> None:
        super().__init__()
        self.channels_last = channels_last
        self.extractor = PieAPPExtractor()
        self.comparator = PieAPPComparator(weight_sigmoid)
        if init == "kaiming":
            for module in self.extractor.modules():
                if isinstance(module, nn.Conv2d):
                    nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                    nn.init.zeros_(module.bias)
            nn.init.zeros_(self.comparator.fcs[4].bias)
        elif init != "default":
            raise ValueError(f"PieAPP init must be 'default' or 'kaiming', got {init!r}")
        if vgg16_weights is not None:
            self.load_vgg16(vgg16_weights)
        if weights is not None:
            self.load_weights(weights)
        if channels_last:
            self.extractor.to(memory_format=torch.channels_last)

    def convert_state_dict(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Published layouts ([DA] checkpoints, the flattened official PU-PieAPP file) spell
        the comparator ``comparitor``: renamed by :data:`PUBLISHED_KEY_MAP`; same shapes."""
        return rename_keys(state, PUBLISHED_KEY_MAP)

    def load_vgg16(self, path: str | Path, key: str = "model.net.vgg16_weights") -> None:
        """Copy torchvision VGG16 conv weights into the extractor (``key`` names the setting)."""
        state = load_state_dict_file(path, key)
        for i, source in enumerate(VGG16_SOURCES, start=1):
            conv = getattr(self.extractor, f"conv{i}")
            for name in ("weight", "bias"):
                tensor = state.get(f"features.{source}.{name}")
                if tensor is None or tensor.shape != getattr(conv, name).shape:
                    found = "no such key" if tensor is None else tuple(tensor.shape)
                    raise WeightsError(
                        f"{key}: {path} is not torchvision VGG16 weights: expected key "
                        f"features.{source}.{name} of shape {tuple(getattr(conv, name).shape)}, "
                        f"found {found}"
                    )
                getattr(conv, name).data.copy_(tensor)

    def forward_features(
        self, ref: torch.Tensor | None, dist: torch.Tensor, pos: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """ref, dist: (B, N, 3, 64, 64) -> per-patch features.

        Returns ``feat_ref``, ``feat_dist`` (B*N, 120832), ``coarse_ref``, ``coarse_dist``
        (B*N, 2048) and ``shape`` = (B, N).
        """
        if ref is None:
            raise ValueError("PieAPP is a full-reference model: a reference image is required")
        batch, patches = dist.shape[:2]
        both = torch.cat((ref, dist)).flatten(0, 1)  # (2*B*N, 3, 64, 64)
        if self.channels_last:
            both = both.contiguous(memory_format=torch.channels_last)
        features, coarse = self.extractor(both)
        feat_ref, feat_dist = features.chunk(2)
        coarse_ref, coarse_dist = coarse.chunk(2)
        return {
            "feat_ref": feat_ref, "feat_dist": feat_dist,
            "coarse_ref": coarse_ref, "coarse_dist": coarse_dist,
            "shape": torch.Size((batch, patches)),
        }  # fmt: skip

    def patch_terms(self, features: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-patch (score * weight, weight), each (M,) with M = B*N: the image score is
        ``sum(score * weight) / sum(weight)`` over its patches, so chunks of patches add up."""
        score, weight = self.comparator(
            features["feat_dist"] - features["feat_ref"],
            features["coarse_dist"] - features["coarse_ref"],
        )
        return score * weight, weight  # (M,), (M,)

    def forward_head(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        """Weighted mean of per-patch scores: (B,)."""
        batch, patches = features["shape"]
        weighted, weight = self.patch_terms(features)
        return weighted.view(batch, patches).sum(1) / weight.view(batch, patches).sum(1)

    def coral_features(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        """Coarse features of the reference and distorted patches: (B, 2N, 2048)."""
        batch, patches = features["shape"]
        coarse = torch.stack((features["coarse_ref"], features["coarse_dist"]), dim=1)
        return coarse.view(batch, patches * 2, COARSE_DIM)  # rows: ref_1, dist_1, ref_2, ...
