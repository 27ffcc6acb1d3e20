"""PU21 perceptually uniform encoding of absolute luminance (Mantiuk & Azimi, PCS 2021).

Reference: gfxdisp/pu21 (MATLAB, "updated 06/02/2020"); constants at full precision, as in the
MATLAB code (the paper's Python port truncates some of them). See reference-spec section 1.

The textbook form ``V = p7 * (((p1 + p2*Y^p4) / (1 + p3*Y^p4))^p5 - p6)`` loses about four
digits to cancellation at low luminance in float32 (``r^p5`` is close to ``p6`` there). This
module evaluates the same function as ``V = p7*p6*expm1(p5*log1p((r - r0)/r0))`` with
``r0 = p6^(1/p5)``, where ``r - r0`` is formed from constants pre-computed in float64, which keeps
float32 within ~1e-7 relative of the float64 value over [0.01, 10000] cd/m^2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

PU21Variant = Literal["banding", "banding_glare", "peaks", "peaks_glare"]

L_MIN = 0.005
"""Lowest luminance PU21 is defined for (cd/m^2); darker values are clamped to it."""
L_MAX = 10000.0
"""Highest luminance PU21 is defined for (cd/m^2); brighter values are clamped to it."""

PU21_PARAMS: dict[str, tuple[float, ...]] = {
    "banding": (
        1.070275272, 0.4088273932, 0.153224308, 0.2520326168, 1.063512885, 1.14115047,
        521.4527484,
    ),
    "banding_glare": (
        0.353487901, 0.3734658629, 8.277049286e-05, 0.9062562627, 0.09150303166, 0.9099517204,
        596.3148142,
    ),
    "peaks": (
        1.043882782, 0.6459495343, 0.3194584211, 0.374025247, 1.114783422, 1.095360363,
        384.9217577,
    ),
    "peaks_glare": (
        816.885024, 1479.463946, 0.001253215609, 0.9329636822, 0.06746643971, 1.573435413,
        419.6006374,
    ),
}  # fmt: skip
"""Parameters p1..p7 of each PU21 variant; ``banding_glare`` is the recommended default."""


@dataclass(frozen=True)
class PU21:
    """PU21 encoder/decoder for one parameter set; pure torch, any device, batched.

    Works element-wise on tensors of any shape (per RGB channel for colour images) and keeps
    the input dtype (use float32 or float64; float16/bfloat16 inputs are computed in float32).

    Example:
        >>> pu = PU21("banding_glare")
        >>> round(pu.encode(torch.tensor([100.0], dtype=torch.float64)).item(), 7)
        256.3838973
        >>> round(pu.p_max, 4)
        595.3939
    """

    variant: PU21Variant = "banding_glare"

    def __post_init__(self) -> None:
        if self.variant not in PU21_PARAMS:
            raise ValueError(
                f"Unknown PU21 variant {self.variant!r}; expected one of {sorted(PU21_PARAMS)}."
            )

    @property
    def params(self) -> tuple[float, ...]:
        """(p1, ..., p7) of this variant."""
        return PU21_PARAMS[self.variant]

    @property
    def _derived(self) -> tuple[float, float, float]:
        """(r0, p1 - r0, p2 - r0*p3) in float64, where r0 = p6^(1/p5) is the ratio at V = 0."""
        p1, p2, p3, _, p5, p6, _ = self.params
        r0 = p6 ** (1.0 / p5)
        return r0, p1 - r0, p2 - r0 * p3

    def encode(self, luminance: torch.Tensor) -> torch.Tensor:
        """Absolute luminance (cd/m^2, any shape) -> PU21 values (about [0, 595] for banding_glare).

        Luminance is clamped to [0.005, 10000] first and the output to >= 0, as in MATLAB.
        """
        x = _compute_dtype(luminance)
        if torch.is_grad_enabled() and x.requires_grad:  # differentiable, out of place
            _, _, p3, p4, p5, p6, p7 = self.params
            r0, a, b = self._derived
            t = x.clamp(L_MIN, L_MAX).pow(p4)
            rel = (a + b * t) / (r0 * (1.0 + p3 * t))  # (r - r0) / r0
            v = torch.expm1(torch.log1p(rel) * p5) * (p7 * p6)
            return v.clamp_min(0.0).to(luminance.dtype)
        out = x.clone() if x is luminance else x
        return self.encode_(out).to(luminance.dtype)

    def encode_(self, x: torch.Tensor) -> torch.Tensor:
        """In-place :meth:`encode` of a float32/float64 tensor (no autograd); returns ``x``.

        One temporary of ``x``'s size; on a CPU, call it on cache-sized chunks for speed.
        """
        _, _, p3, p4, p5, p6, p7 = self.params
        r0, a, b = self._derived
        t = x.clamp_(L_MIN, L_MAX).pow_(p4)
        denominator = t.mul(p3).add_(1.0).mul_(r0)  # r0 * (1 + p3 t)
        rel = t.mul_(b).add_(a).div_(denominator)  # (r - r0) / r0
        return rel.log1p_().mul_(p5).expm1_().mul_(p7 * p6).clamp_min_(0.0)

    def decode(self, pu: torch.Tensor) -> torch.Tensor:
        """PU21 values (any shape) -> absolute luminance in cd/m^2 (inverse of :meth:`encode`)."""
        v = _compute_dtype(pu)
        p1, p2, p3, p4, p5, p6, p7 = self.params
        r0, _, _ = self._derived
        s = torch.expm1(torch.log1p(v.clamp_min(0.0) / (p7 * p6)) / p5)  # Vp / r0 - 1
        numerator = (r0 * s + (r0 - p1)).clamp_min(0.0)  # Vp - p1
        denominator = (p2 - p3 * r0) - (p3 * r0) * s  # p2 - p3 * Vp
        return (numerator / denominator).pow(1.0 / p4).to(pu.dtype)

    def _encode_scalar(self, luminance: float) -> float:
        return float(self.encode(torch.tensor([luminance], dtype=torch.float64))[0])

    @property
    def p_min(self) -> float:
        """PU value of the lowest luminance, P(0.005 cd/m^2)."""
        return self._encode_scalar(L_MIN)

    @property
    def p_max(self) -> float:
        """PU value of the highest luminance, P(10000 cd/m^2)."""
        return self._encode_scalar(L_MAX)

    @property
    def p_100(self) -> float:
        """PU value of 100 cd/m^2 (the SDR white the "255" normalisation maps to 1)."""
        return self._encode_scalar(100.0)


def _compute_dtype(x: torch.Tensor) -> torch.Tensor:
    """float64 stays float64; everything else is computed in float32."""
    if x.dtype == torch.float64:
        return x
    return x.to(torch.float32)


def pu21_encode(luminance: torch.Tensor, variant: PU21Variant = "banding_glare") -> torch.Tensor:
    """Functional form of :meth:`PU21.encode`: cd/m^2 -> PU21 units, same shape."""
    return PU21(variant).encode(luminance)


def pu21_decode(pu: torch.Tensor, variant: PU21Variant = "banding_glare") -> torch.Tensor:
    """Functional form of :meth:`PU21.decode`: PU21 units -> cd/m^2, same shape."""
    return PU21(variant).decode(pu)


__all__ = ["L_MAX", "L_MIN", "PU21", "PU21_PARAMS", "pu21_decode", "pu21_encode"]
