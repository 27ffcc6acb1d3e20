"""The photometric chain run on the device before the backbone, always in float32.

display model (display-encoded -> cd/m^2) -> PU21 -> normalisation scheme -> backbone mean/std.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from hdr_iqa.photometry.blocked import chain_blocked, lookup_blocked
from hdr_iqa.photometry.display import (
    EOTFS,
    PARAM_FIELDS,
    DisplayModel,
    display_to_luminance,
    jitter_display_params,
    luminance_to_display,
)
from hdr_iqa.photometry.normalization import SCHEMES, Scheme, pu_range
from hdr_iqa.photometry.pu21 import PU21, PU21Variant

SRGB_REFERENCE_DISPLAY = DisplayModel(peak=100.0, contrast=1000.0, gamma=2.2, ambient=0.0)
"""Display that shows absolute-luminance inputs in the non-PU ``srgb`` scheme."""


class PhotometricChain(nn.Module):
    """Turn dataset pixels into backbone inputs; runs in float32 even under autocast.

    Args:
        scheme: ``pmax``, ``n255`` or ``srgb`` (see :mod:`hdr_iqa.photometry.normalization`).
        pu_variant: PU21 parameter set.
        mean, std: per-channel backbone normalisation, applied after the scheme
            (ImageNet statistics for VGG-based PieAPP, 0.5/0.5 for ViT).
        jitter_display: apply each display's ``peak_std`` / ``ambient_std`` jitter in training.
        blocked: on a CPU, evaluate in place on cache-sized blocks
            (:mod:`hdr_iqa.photometry.blocked`, same values, several times faster).

    Shapes:
        images: (B, ..., 3, H, W), uint8 (display-encoded 0..255) or float (display-encoded
        [0, 1], or cd/m^2 for samples whose display is absolute); display: (B, NUM_PARAMS).
        Output: (B, ..., 3, H, W) float32.
    """

    def __init__(
        self,
        scheme: Scheme = "pmax",
        pu_variant: PU21Variant = "banding_glare",
        mean: Sequence[float] = (0.5, 0.5, 0.5),
        std: Sequence[float] = (0.5, 0.5, 0.5),
        jitter_display: bool = True,
        blocked: bool = True,
    ) -> None:
        super().__init__()
        if scheme not in SCHEMES:
            raise ValueError(f"Unknown normalisation scheme {scheme!r}; expected one of {SCHEMES}")
        self.scheme = scheme
        self.pu = PU21(pu_variant)
        self.jitter_display = jitter_display
        self.blocked = blocked
        offset, scale = pu_range(scheme, self.pu) if scheme != "srgb" else (0.0, 1.0)
        mean_t = torch.tensor(mean, dtype=torch.float64).view(3, 1, 1)
        std_t = torch.tensor(std, dtype=torch.float64).view(3, 1, 1)
        # x_out = ((V - offset) / scale - mean) / std = V * gain + bias  (one fused affine)
        self.register_buffer("gain", (1.0 / (scale * std_t)).float(), persistent=False)
        self.register_buffer("bias", (-(offset / scale + mean_t) / std_t).float(), persistent=False)
        self.register_buffer("srgb_reference", SRGB_REFERENCE_DISPLAY.params(), persistent=False)

    def forward(self, images: torch.Tensor, display: torch.Tensor) -> torch.Tensor:
        """(B, ..., 3, H, W) pixels and (B, NUM_PARAMS) displays -> (B, ..., 3, H, W) float32."""
        with torch.autocast(device_type=images.device.type, enabled=False):
            if self.training and self.jitter_display:
                display = jitter_display_params(display.float())
            if self._use_blocked(images):
                if images.dtype == torch.uint8 and per_channel(display):  # each of 256 levels
                    levels = torch.arange(256, dtype=torch.uint8).expand(len(display), 3, 1, 256)
                    table = self._vectorised(levels, display).flatten(2)  # (B, 3, 256)
                    return lookup_blocked(images, table)
                return chain_blocked(images, display, self.pu, self.gain, self.bias)
            return self._vectorised(images, display)

    def _use_blocked(self, images: torch.Tensor) -> bool:
        """The in-place blocked path: CPU, PU schemes, no autograd, not traced or exported."""
        return (
            self.blocked
            and images.device.type == "cpu"
            and self.scheme != "srgb"
            and not (torch.is_grad_enabled() and images.requires_grad)
            and not torch.jit.is_tracing()
            and not torch.jit.is_scripting()
            and not torch.onnx.is_in_onnx_export()
        )

    def _vectorised(self, images: torch.Tensor, display: torch.Tensor) -> torch.Tensor:
        """The chain as whole-tensor operations (CUDA, autograd, tracing and export)."""
        values = images.float()
        if images.dtype == torch.uint8:
            values = values.mul_(1.0 / 255.0)
        luminance = display_to_luminance(values, display)
        if self.scheme == "srgb":  # HDR code values (PQ, HLG) are shown like absolute ones
            eotf = display[:, PARAM_FIELDS.index("eotf")]
            hdr = (display[:, PARAM_FIELDS.index("absolute")] > 0) | (eotf >= EOTFS.index("pq"))
            absolute = hdr.reshape((-1,) + (1,) * (values.dim() - 1))
            shown = luminance_to_display(luminance, self.srgb_reference)
            encoded = torch.where(absolute, shown, values.clamp(0.0, 1.0))
        else:
            encoded = self.pu.encode(luminance)
        return torch.addcmul(self.bias, encoded, self.gain)

    def extra_repr(self) -> str:
        """The scheme and PU21 variant, for ``print(module)``."""
        return f"scheme={self.scheme!r}, pu_variant={self.pu.variant!r}"


def per_channel(display: torch.Tensor) -> bool:
    """True if every display of (B, NUM_PARAMS) acts on each channel alone (no HLG, BT.2020)."""
    eotf = display[:, PARAM_FIELDS.index("eotf")]
    wide = display[:, PARAM_FIELDS.index("bt2020")]
    return not bool(((eotf == EOTFS.index("hlg")) | (wide > 0)).any())


class LuminanceChain(nn.Module):
    """The display model alone: pixels -> emitted luminance in cd/m^2 (no PU21, no scaling).

    The input of metrics that model vision on absolute light themselves (ColorVideoVDP).
    Same shapes and input encodings as :class:`PhotometricChain`; output (B, ..., 3, H, W)
    float32 linear BT.709 RGB in cd/m^2, black level and screen reflections included.
    """

    def forward(self, images: torch.Tensor, display: torch.Tensor) -> torch.Tensor:
        """(B, ..., 3, H, W) pixels and (B, NUM_PARAMS) displays -> (B, ..., 3, H, W) cd/m^2."""
        with torch.autocast(device_type=images.device.type, enabled=False):
            values = images.float()
            if images.dtype == torch.uint8:
                values = values.mul_(1.0 / 255.0)
            return display_to_luminance(values, display.float())
