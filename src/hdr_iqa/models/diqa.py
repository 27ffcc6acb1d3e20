"""DIQA (Kim, Nguyen, Lee, "Deep CNN-Based Blind Image Quality Predictor", IEEE TNNLS 2019).

No-reference. Reference: ocampor/image-quality's TF2 tutorial ([IQ], the DIQA seed document);
reference-spec section 10. On grayscale inputs in a 0-255 range::

    I_hat  = I - up(down(blur(I)))            # high-pass "image normalisation"
    f      = 8 conv3x3 + ReLU (two stride 2)  # feature maps at 1/4 resolution, 128 channels
    phase "objective":  e = g(f(I_hat_d))      # g = conv1x1 -> predicted error map
        target  e_gt = |I_hat_r - I_hat_d|^p, p = 0.2
        reliability  r = 2 / (1 + exp(-alpha |I_hat_d|)) - 1, alpha = 0.2
        loss    mean(((e - e_gt) * r / mean(r))^2)  (targets resized to the 1/4 map, bilinear)
    phase "subjective": q = FC(ReLU(FC(GAP(f(I_hat_d)))))  # regressed on the labels

Phase one needs the reference for its target only; the score never sees it. Phase two starts
from phase one's feature extractor (``extractor_weights``). Parameters: f 381,200; objective
model (f + g) 381,329; subjective model (f + head) 397,841.

Inputs in this project are large patches (B, N, 3, P, P) after the photometric chain (display ->
PU21 -> scheme), scaled by 255 (mean 0, std 1/255) so that PU-normalised values span DIQA's 0-255
range; an image's score pools the feature maps of all its patches (the global average pool over
the sampled area), its phase-one score is the mean predicted error. CORAL aligns each patch's
pooled features (B, N, 128).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import nn

from hdr_iqa.errors import WeightsError
from hdr_iqa.models._registry import register_model
from hdr_iqa.models.base import WEIGHTS_KEY, IQAModel
from hdr_iqa.utils.weights import (
    load_state_dict_file,
    load_state_dict_strict,
    load_submodule_weights,
)

Phase = Literal["objective", "subjective"]
PHASES = ("objective", "subjective")
LUMA_WEIGHTS = (0.2989, 0.5870, 0.1140)
"""RGB -> gray weights of ``tf.image.rgb_to_grayscale``."""
BLUR_SIZE = 16
BLUR_SIGMA = 7 / 6
DOWNSCALE = 4
CHANNELS = ((1, 48, 1), (48, 48, 2), (48, 64, 1), (64, 64, 2),
            (64, 64, 1), (64, 64, 1), (64, 128, 1), (128, 128, 1))  # fmt: skip
"""(in, out, stride) of the eight 3x3 convolutions of f."""
PHASE_HEADS = {"objective": "error_head.", "subjective": "score_head."}
"""The key prefix that only a weights file of each phase holds (its head)."""


# ---------------------------------------------------------------------------- preprocessing
def gaussian_kernel(size: int = BLUR_SIZE, sigma: float = BLUR_SIGMA) -> torch.Tensor:
    """(size, size) normalised Gaussian centred at index round(size / 2), as in [IQ].

    Example:
        >>> k = gaussian_kernel()
        >>> round(float(k.sum()), 6), divmod(int(k.argmax()), 16)
        (1.0, (8, 8))
    """
    offsets = torch.arange(size, dtype=torch.float64) - round(size / 2)
    one_d = torch.exp(-(offsets**2) / (2 * sigma**2))
    kernel = one_d[:, None] * one_d[None, :]
    return (kernel / kernel.sum()).float()


def high_pass(gray: torch.Tensor) -> torch.Tensor:
    """DIQA's image normalisation: gray minus its low-pass version; (M, 1, H, W) -> same.

    Low-pass: Gaussian blur (16x16, sigma 7/6, zero 'SAME' padding as TF: 7 before, 8 after),
    bicubic down to floor(H/4) x floor(W/4), bicubic back up to H x W.
    """
    kernel = gaussian_kernel().to(gray)[None, None]
    before = (BLUR_SIZE - 1) // 2
    padded = F.pad(gray, (before, BLUR_SIZE - 1 - before, before, BLUR_SIZE - 1 - before))
    blurred = F.conv2d(padded, kernel)
    height, width = gray.shape[-2:]
    small = (max(height // DOWNSCALE, 1), max(width // DOWNSCALE, 1))
    low = F.interpolate(blurred, size=small, mode="bicubic", align_corners=False)
    low = F.interpolate(low, size=(height, width), mode="bicubic", align_corners=False)
    return gray - low


def error_map(ref_hp: torch.Tensor, dist_hp: torch.Tensor, p: float = 0.2) -> torch.Tensor:
    """Objective error map |I_hat_r - I_hat_d|^p (same shape as the inputs).

    Example:
        >>> error_map(torch.tensor([32.0, 5.0]), torch.tensor([0.0, 5.0])).tolist()
        [2.0, 0.0]
    """
    return (ref_hp - dist_hp).abs().pow(p)


def reliability_map(dist_hp: torch.Tensor, alpha: float = 0.2) -> torch.Tensor:
    """Averaged reliability r / mean(r), r = 2 / (1 + exp(-alpha |I_hat_d|)) - 1; (M, 1, H, W).

    Flat (textureless) regions get low reliability; a completely flat image gets 0 everywhere.
    """
    r = 2.0 * torch.sigmoid(alpha * dist_hp.abs()) - 1.0
    return r / r.mean(dim=(-2, -1), keepdim=True).clamp_min(1e-12)


# ---------------------------------------------------------------------------- model
def feature_extractor() -> nn.Sequential:
    """f: eight 3x3 'same' convolutions + ReLU; (M, 1, H, W) -> (M, 128, ceil(H/4), ceil(W/4))."""
    layers: list[nn.Module] = []
    for c_in, c_out, stride in CHANNELS:
        layers += [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1), nn.ReLU()]
    return nn.Sequential(*layers)


@register_model("diqa")
class DIQA(IQAModel):
    """DIQA, no-reference, in one of its two training phases.

    ``forward(ref, dist)``: dist (B, N, 3, P, P) (0-255 range; P a multiple of 4) -> score
    (B,) (phase one: mean predicted error; phase two: regressed score, both 0 = reference
    quality), CORAL features (B, N, 128) (each patch's pooled feature maps), and in phase
    one's training (``ref`` given) the error-map loss (B,). ``ref`` never enters the score.

    Args:
        phase: ``"objective"`` (f + g, trained on the error map; needs the reference in
            training) or ``"subjective"`` (f + score head, trained on the labels).
        p: exponent of the error-map target (0.2).
        alpha: reliability-map saturation (0.2, the tutorial's training value).
        extractor_weights: optional local file whose feature extractor ``features.*``
            initialises this model's: phase two starts from phase one's checkpoint.
        weights: optional local file with complete weights of this phase, loaded last.
    """

    no_reference: ClassVar[bool] = True
    input_mean: ClassVar[tuple[float, float, float]] = (0.0, 0.0, 0.0)
    input_std: ClassVar[tuple[float, float, float]] = (1 / 255, 1 / 255, 1 / 255)
    patch_size: ClassVar[int] = 128
    init_file_keys: ClassVar[tuple[str, ...]] = ("extractor_weights", "weights")
    luma: torch.Tensor

    def __init__(
        self,
        phase: Phase = "objective",
        p: float = 0.2,
        alpha: float = 0.2,
        extractor_weights: str | Path | None = None,
        weights: str | Path | None = None,
    ) -> None:
        super().__init__()
        if phase not in PHASES:
            raise ValueError(f"DIQA phase must be one of {PHASES}, got {phase!r}")
        self.phase = phase
        self.p = p
        self.alpha = alpha
        self.register_buffer("luma", torch.tensor(LUMA_WEIGHTS).view(1, 3, 1, 1), persistent=False)
        self.features = feature_extractor()
        if phase == "objective":
            self.error_head = nn.Conv2d(128, 1, 1)
        else:
            self.score_head = nn.Sequential(nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 1))
        for module in self.modules():  # Keras defaults: Glorot-uniform kernels, zero biases
            if isinstance(module, nn.Conv2d | nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)
        if extractor_weights is not None:
            load_submodule_weights(
                self.features, extractor_weights, "model.net.extractor_weights", "features."
            )
        if weights is not None:
            self.load_weights(weights)

    @property
    def training_needs_reference(self) -> bool:
        """Phase one's target is the error map between reference and distorted image."""
        return self.phase == "objective"

    @property
    def training_needs_labels(self) -> bool:
        """Phase one trains on the error map (no label); phase two regresses the labels."""
        return self.phase == "subjective"

    def load_weights(self, path: str | Path, key: str = WEIGHTS_KEY) -> None:
        """Complete weights of this phase, loaded strictly.

        The phase a file holds is read from its keys (:data:`PHASE_HEADS`); a file of the
        other phase is refused with the option that uses it (phase one's checkpoint starts
        phase two through ``model.net.extractor_weights``).

        Raises:
            WeightsError: the file holds the other phase, or neither phase's head.
        """
        state = self.convert_state_dict(load_state_dict_file(path, key))
        phase = stored_phase(state)
        if phase is None:
            heads = " or ".join(f"{prefix}* ({name})" for name, prefix in PHASE_HEADS.items())
            raise WeightsError(
                f"{key}: {path} holds no DIQA phase: expected the keys {heads}, found keys "
                f"such as {', '.join(sorted(state)[:6])}"
            )
        if phase != self.phase:
            found = next(k for k in state if k.startswith(PHASE_HEADS[phase]))
            hint = (
                f"start phase two from phase one with model.net.extractor_weights={path}"
                if phase == "objective"
                else "set model.net.phase=subjective to use it"
            )
            raise WeightsError(
                f"{key}: {path} holds DIQA's {phase} phase (key {found}), but "
                f"model.net.phase={self.phase}: {hint}"
            )
        load_state_dict_strict(self, state, path, key)

    def normalise(self, patches: torch.Tensor) -> torch.Tensor:
        """(M, 3, P, P) chain outputs (0-255 range) -> (M, 1, P, P) high-pass gray, float32."""
        with torch.autocast(device_type=patches.device.type, enabled=False):
            gray = (patches.float() * self.luma).sum(dim=1, keepdim=True)
            return high_pass(gray)

    def forward_features(
        self, ref: torch.Tensor | None, dist: torch.Tensor, pos: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """dist (and in phase one's training, ref): (B, N, 3, P, P) -> feature maps and targets.

        Returns ``maps`` (B*N, 128, P/4, P/4), ``pooled`` (B, N, 128), and in phase one
        ``error`` (B*N, 1, P/4, P/4); with a reference also ``target`` and ``reliability``.
        """
        batch, patches = dist.shape[:2]
        dist_hp = self.normalise(dist.flatten(0, 1))
        maps = self.features(dist_hp)
        out = {"maps": maps, "pooled": maps.mean(dim=(-2, -1)).view(batch, patches, -1)}
        if self.phase == "objective":
            out["error"] = self.error_head(maps)
            if ref is not None:
                ref_hp = self.normalise(ref.flatten(0, 1))
                size = maps.shape[-2:]
                out["target"] = F.interpolate(
                    error_map(ref_hp, dist_hp, self.p), size=size, mode="bilinear"
                )
                out["reliability"] = F.interpolate(
                    reliability_map(dist_hp, self.alpha), size=size, mode="bilinear"
                )
            elif self.training:
                raise ValueError(
                    "DIQA's objective phase needs the reference image in training (its target "
                    "is the error map between reference and distorted image)"
                )
        return out

    def forward_head(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B,) score: phase one the mean predicted error, phase two the regressed score."""
        batch = features["pooled"].shape[0]
        if self.phase == "objective":
            return features["error"].float().view(batch, -1).mean(dim=1)
        return self.score_head(features["pooled"].mean(dim=1)).squeeze(-1)

    def coral_features(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        """Globally pooled features of each distorted patch: (B, N, 128)."""
        return features["pooled"]

    def training_loss(self, features: dict[str, torch.Tensor]) -> torch.Tensor | None:
        """Phase one: reliability-weighted squared error-map error per image (B,)."""
        if "target" not in features:
            return None
        batch = features["pooled"].shape[0]
        weighted = (features["error"].float() - features["target"]) * features["reliability"]
        return weighted.square().view(batch, -1).mean(dim=1)


def stored_phase(state: dict[str, torch.Tensor]) -> Phase | None:
    """The DIQA phase whose head a state dict holds, None if neither or both.

    Example:
        >>> stored_phase({"features.0.weight": torch.zeros(1), "score_head.0.bias": torch.zeros(1)})
        'subjective'
    """
    found = [
        name for name, prefix in PHASE_HEADS.items() if any(k.startswith(prefix) for k in state)
    ]
    return found[0] if len(found) == 1 else None  # type: ignore[return-value]


def output_size(height: int, width: int) -> tuple[int, int]:
    """Size of DIQA's maps for a (height, width) input: (ceil(H/4), ceil(W/4))."""
    return math.ceil(height / DOWNSCALE), math.ceil(width / DOWNSCALE)
