"""Transfer functions, each written once: power law, sRGB, PQ (SMPTE ST 2084), HLG (BT.2100).

Names follow the standards: an *EOTF* turns code values (display-encoded, [0, 1]) into light
emitted by the display; its inverse turns light back into code values. All functions are pure
torch, work on any device and shape, and keep the input's floating dtype (float32 in the chain).
The power law and sRGB take ``out=``, which may be the input itself: the blocked CPU chain
evaluates them in place on cache-sized blocks.

* power law ``V ** gamma``: code [0, 1] <-> relative linear [0, 1].
* sRGB (IEC 61966-2-1): code [0, 1] <-> relative linear [0, 1].
* PQ (SMPTE ST 2084 / BT.2100): code [0, 1] <-> absolute luminance [0, 10000] cd/m^2.
* HLG (BT.2100): code [0, 1] <-> relative display light [0, 1] via the inverse OETF and the
  OOTF ``F_D = Y_s ** (gamma - 1) * E`` (``Y_s`` the BT.2020 luminance of the scene-linear RGB
  ``E``). The OOTF mixes channels: the colour channel is ``channel_dim`` (size 3); a tensor
  without such an axis is achromatic (``Y_s = E``). :func:`hlg_system_gamma` gives the system
  gamma the way ColorVideoVDP's HLG display does (BT.2100's peak term plus the BBC WHP 369
  ambient term above 1000 cd/m^2).
"""

from __future__ import annotations

import math

import torch

from hdr_iqa.photometry.colour import LUMA_BT2020

PQ_M1 = 2610 / 16384
PQ_M2 = 2523 / 4096 * 128
PQ_C1 = 3424 / 4096
PQ_C2 = 2413 / 4096 * 32
PQ_C3 = 2392 / 4096 * 32
PQ_PEAK = 10000.0
"""Luminance of PQ code value 1, cd/m^2."""

HLG_A = 0.17883277
HLG_B = 1 - 4 * HLG_A
HLG_C = 0.5 - HLG_A * math.log(4 * HLG_A)
HLG_REFERENCE_AMBIENT = 5.0
"""Ambient (lux) at which the BBC WHP 369 correction of the HLG system gamma is zero."""
HLG_MIN_AMBIENT = 1.0
"""Ambient (lux) below which the correction is held (it has no limit at 0 lux)."""


SRGB_KNEE = 0.04045
"""sRGB code value where the linear toe ``V / 12.92`` meets the power curve."""
SRGB_SLOPE = 12.92
SRGB_EXPONENT = 2.4
_SRGB_OFFSET = 0.055 / 1.055


def _offset_power(
    values: torch.Tensor,
    offset: torch.Tensor | float,
    exponent: torch.Tensor | float,
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """``(values * (1 - offset) + offset) ** exponent``, the base clipped at 0.

    sRGB's curve ``((V + 0.055) / 1.055) ** 2.4`` is ``offset = 0.055 / 1.055``, exponent 2.4;
    a power law is offset 0. ``out`` may be ``values`` (evaluated in place).
    """
    base = torch.add(torch.mul(values, 1 - offset, out=out), offset, out=out)
    return torch.pow(torch.clamp_min(base, 0.0, out=out), exponent, out=out)


def gamma_eotf(
    values: torch.Tensor, gamma: torch.Tensor | float, out: torch.Tensor | None = None
) -> torch.Tensor:
    """Power-law EOTF ``V ** gamma``: code values [0, 1] -> relative linear [0, 1].

    Args:
        values: code values in [0, 1], any shape.
        gamma: exponent (2.2 = "sRGB simple", 1.0 = linear), float or broadcastable tensor.
        out: tensor to write the result into; may be ``values`` itself (in place, no autograd).
    Returns:
        Same shape and dtype as ``values``.
    """
    return torch.pow(values, gamma, out=out)


def gamma_inverse_eotf(linear: torch.Tensor, gamma: torch.Tensor | float) -> torch.Tensor:
    """Inverse power law ``L ** (1 / gamma)``: relative linear [0, 1] -> code values [0, 1]."""
    return linear.pow(1.0 / gamma)


def srgb_eotf(values: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """Exact sRGB EOTF (IEC 61966-2-1): code values [0, 1] -> relative linear [0, 1].

    ``V / 12.92`` up to V = 0.04045, ``((V + 0.055) / 1.055) ** 2.4`` above.

    Args:
        values: code values in [0, 1], any shape.
        out: tensor to write the result into; may be ``values`` itself (in place, no autograd).
    Returns:
        Same shape and dtype as ``values``.

    Example:
        >>> [round(x, 6) for x in srgb_eotf(torch.tensor([0.0, 0.5, 1.0])).tolist()]
        [0.0, 0.214041, 1.0]
    """
    toe, linear_toe = values <= SRGB_KNEE, values / SRGB_SLOPE  # before `out` overwrites values
    curve = _offset_power(values, _SRGB_OFFSET, SRGB_EXPONENT, out=out)
    return torch.where(toe, linear_toe, curve, out=out)


def gamma_or_srgb_eotf(
    values: torch.Tensor, gamma: torch.Tensor | float, srgb: torch.Tensor | float
) -> torch.Tensor:
    """Per element :func:`gamma_eotf` or, where ``srgb`` is 1, :func:`srgb_eotf`, with one pow.

    For a batch that mixes power-law and sRGB displays without reading on the host which it
    holds: both curves are :func:`_offset_power`, so one pow serves both.

    Args:
        values: code values in [0, 1], any shape.
        gamma: exponent of the power law, float or tensor broadcastable to ``values``.
        srgb: 1.0 where the sRGB EOTF applies, 0.0 where the power law does (broadcastable).
    Returns:
        Relative linear light [0, 1], same shape and dtype as ``values``.
    """
    srgb, gamma = _as_tensor(srgb, values), _as_tensor(gamma, values)
    exponent = torch.where(srgb > 0, torch.full_like(srgb, SRGB_EXPONENT), gamma)
    linear = _offset_power(values, srgb * _SRGB_OFFSET, exponent)
    return torch.where((srgb > 0) & (values <= SRGB_KNEE), values / SRGB_SLOPE, linear)


def srgb_inverse_eotf(linear: torch.Tensor) -> torch.Tensor:
    """Inverse sRGB EOTF: relative linear [0, 1] (clipped) -> code values [0, 1], same shape."""
    linear = linear.clamp(0.0, 1.0)
    curve = 1.055 * linear.pow(1 / SRGB_EXPONENT) - 0.055
    return torch.where(linear <= 0.0031308, linear * SRGB_SLOPE, curve)  # the standard's knee


def pq_eotf(values: torch.Tensor) -> torch.Tensor:
    """PQ EOTF: code values [0, 1] (clipped) -> absolute luminance in cd/m^2, same shape.

    Example:
        >>> codes = torch.tensor([0.0, 0.508078, 0.751827, 1.0], dtype=torch.float64)
        >>> [round(x, 2) for x in pq_eotf(codes).tolist()]
        [0.0, 100.0, 1000.0, 10000.0]
    """
    e = values.clamp(0.0, 1.0).pow(1 / PQ_M2)
    return PQ_PEAK * ((e - PQ_C1).clamp_min(0.0) / (PQ_C2 - PQ_C3 * e)).pow(1 / PQ_M1)


def pq_inverse_eotf(luminance: torch.Tensor) -> torch.Tensor:
    """Inverse PQ EOTF: cd/m^2 (clipped to [0, 10000]) -> code values [0, 1], same shape."""
    y = (luminance.clamp(0.0, PQ_PEAK) / PQ_PEAK).pow(PQ_M1)
    return ((PQ_C1 + PQ_C2 * y) / (1 + PQ_C3 * y)).pow(PQ_M2)


def hlg_oetf(scene: torch.Tensor) -> torch.Tensor:
    """HLG OETF: scene-linear [0, 1] (clipped) -> code values [0, 1], same shape."""
    e = scene.clamp(0.0, 1.0)
    log_branch = HLG_A * torch.log((12 * e - HLG_B).clamp_min(1e-12)) + HLG_C
    return torch.where(e <= 1 / 12, (3 * e).sqrt(), log_branch)


def hlg_inverse_oetf(values: torch.Tensor) -> torch.Tensor:
    """Inverse HLG OETF: code values [0, 1] (clipped) -> scene-linear [0, 1], same shape."""
    v = values.clamp(0.0, 1.0)
    return torch.where(v <= 0.5, v * v / 3, (torch.exp((v - HLG_C) / HLG_A) + HLG_B) / 12)


def hlg_system_gamma(peak: torch.Tensor | float, ambient: torch.Tensor | float) -> torch.Tensor:
    """HLG system gamma of a display with ``peak`` cd/m^2 in ``ambient`` lux.

    1.2 up to 1000 cd/m^2; above, ``1.2 + 0.42 log10(peak / 1000) - 0.07623 log10(ambient / 5)``
    (BT.2100 note 5e and BBC WHP 369), as ColorVideoVDP's HLG display; ambient is held at
    :data:`HLG_MIN_AMBIENT` lux or more. Returns a float32 tensor of the broadcast shape of
    ``peak`` and ``ambient`` (0-d for two floats).

    Example:
        >>> round(hlg_system_gamma(1500.0, 10.0).item(), 5)
        1.25101
    """
    peak = peak if isinstance(peak, torch.Tensor) else _as_tensor(peak)
    ambient = _as_tensor(ambient, peak).clamp_min(HLG_MIN_AMBIENT)
    extended = (
        1.2
        + 0.42 * torch.log10(peak / 1000)
        - 0.07623 * torch.log10(ambient / HLG_REFERENCE_AMBIENT)
    )
    return torch.where(peak > 1000, extended, torch.full_like(extended, 1.2))


def _as_tensor(value: torch.Tensor | float, like: torch.Tensor | None = None) -> torch.Tensor:
    """``value`` as a tensor of ``like``'s dtype and device (float32 on the CPU by default);
    tensors are converted with ``.to`` so that a trace keeps them as inputs, not constants."""
    dtype = like.dtype if like is not None else torch.float32
    device = like.device if like is not None else None
    if isinstance(value, torch.Tensor):
        return value.to(dtype=dtype, device=device)
    return torch.tensor(value, dtype=dtype, device=device)


def _luma(rgb: torch.Tensor, channel_dim: int) -> torch.Tensor:
    """BT.2020 luminance along ``channel_dim`` (kept, size 1), or the values if not RGB."""
    if not has_channels(rgb, channel_dim):
        return rgb
    r, g, b = rgb.split(1, dim=channel_dim)
    return LUMA_BT2020[0] * r + LUMA_BT2020[1] * g + LUMA_BT2020[2] * b  # BT.2100's Y_s


def has_channels(values: torch.Tensor, channel_dim: int) -> bool:
    """True if ``values`` has an RGB axis (size 3) at ``channel_dim``."""
    if torch.jit.is_tracing():  # traced shapes are tensors; traced inputs are RGB
        return values.dim() >= 3
    return values.dim() >= (channel_dim + 1 if channel_dim >= 0 else -channel_dim) and (
        values.shape[channel_dim] == 3
    )


def hlg_eotf(
    values: torch.Tensor, gamma: torch.Tensor | float, channel_dim: int = -3
) -> torch.Tensor:
    """HLG EOTF without black level: code values [0, 1] -> relative display light [0, 1].

    Args:
        values: code values, colour on ``channel_dim`` (size 3), any shape otherwise.
        gamma: system gamma (:func:`hlg_system_gamma`), a float or broadcastable tensor.
        channel_dim: the RGB axis; tensors without a size-3 axis there are achromatic.
    Returns:
        ``Y_s ** (gamma - 1) * E``, same shape as ``values``.
    """
    scene = hlg_inverse_oetf(values)
    # black stays 0 (not 0 * inf = NaN) for a system gamma below 1 (very bright surrounds)
    luma = _luma(scene, channel_dim).clamp_min(1e-12)
    return luma.pow(_as_tensor(gamma, scene) - 1) * scene


def hlg_inverse_eotf(
    display: torch.Tensor, gamma: torch.Tensor | float, channel_dim: int = -3
) -> torch.Tensor:
    """Inverse of :func:`hlg_eotf`: relative display light [0, 1] -> code values [0, 1].

    Same arguments as :func:`hlg_eotf` (colour on ``channel_dim``); same shape as ``display``.
    """
    display = display.clamp(0.0, 1.0)
    gamma = _as_tensor(gamma, display)
    luma = _luma(display, channel_dim).clamp_min(1e-12)  # Y_d = Y_s ** gamma
    scene = display * luma.pow((1 - gamma) / gamma)
    return hlg_oetf(scene)
