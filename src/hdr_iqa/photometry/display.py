"""Display models: display-encoded pixel values V in [0, 1] -> emitted luminance in cd/m^2.

Gain-offset-gamma (GOG) model, reference-spec section 2::

    black     = peak / contrast
    reflected = reflectivity * ambient / pi
    L(V) = (peak - black - g*reflected) * f(V) + black + reflected

with ``g = 1`` for the MATLAB PU21 model (``reflection="gog"``: reflections are folded into the
black level, white stays exactly ``peak``) and ``g = 0`` for the paper code's model
(``reflection="additive"``: reflections are added on top, white = peak + reflected).
``f`` is ``V ** gamma`` (``eotf="gamma"``; ``gamma=1`` is linear), the exact sRGB EOTF
(``"srgb"``) or the HLG EOTF with the system gamma of
:func:`~hdr_iqa.photometry.transfer.hlg_system_gamma` (``"hlg"``). PQ code values are
absolute: ``L(V) = clip(PQ(V), 0.005, peak) + black + reflected`` (``"pq"``). The PQ and
HLG forms are ColorVideoVDP's display models; the transfer functions are in
:mod:`hdr_iqa.photometry.transfer`.

Colour: ``colorspace="bt2020"`` (the PQ/HLG presets) marks BT.2020 primaries. The output is
always linear RGB in BT.709 primaries, which the networks' sRGB-trained weights expect
(:mod:`hdr_iqa.photometry.colour`); the HLG OOTF uses the BT.2020 luminance of the code values.
Channels are on axis -3 (``(..., 3, H, W)``); a tensor without a size-3 axis there is grey.

Each dataset sample carries its display as a parameter vector (:meth:`DisplayModel.params`), so a
batch may mix displays and luminance-encoded (HDR) samples; :func:`display_to_luminance` applies
them on the device in one pass. ``absolute=True`` marks values already in cd/m^2 (HDR files).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import torch

from hdr_iqa.photometry.colour import bt709_to_bt2020, bt2020_to_bt709
from hdr_iqa.photometry.transfer import (
    gamma_or_srgb_eotf,
    has_channels,
    hlg_eotf,
    hlg_inverse_eotf,
    hlg_system_gamma,
    pq_eotf,
    pq_inverse_eotf,
    srgb_inverse_eotf,
)

PARAM_FIELDS = (
    "absolute", "eotf", "gog", "peak", "contrast", "gamma", "ambient", "reflectivity",
    "peak_std", "ambient_std", "bt2020",
)  # fmt: skip
"""Layout of the per-sample display parameter vector, shape (len(PARAM_FIELDS),)."""
NUM_PARAMS = len(PARAM_FIELDS)
_I = {name: i for i, name in enumerate(PARAM_FIELDS)}
MAX_AMBIENT_LUX = 25000.0
EOTFS = ("gamma", "srgb", "pq", "hlg")
"""EOTF names; the ``eotf`` parameter holds the index into this tuple."""
COLORSPACES = ("bt709", "bt2020")
PQ_MIN_LUMINANCE = 0.005
"""Lowest luminance of a PQ display before black and reflections (cd/m^2), as ColorVideoVDP."""


@dataclass(frozen=True)
class DisplayModel:
    """A display (or "absolute": values already in cd/m^2) that shows display-encoded values.

    Args:
        peak: white luminance in cd/m^2 (before reflections).
        contrast: peak / black ratio (e.g. 1000).
        gamma: exponent of the power EOTF (2.2 = "sRGB simple"; 1.0 = linear).
        ambient: ambient illuminance in lux.
        reflectivity: fraction of ambient light reflected by the screen (e.g. 0.005).
        eotf: ``"gamma"`` (power law), ``"srgb"`` (exact piecewise sRGB EOTF), ``"pq"``
            (SMPTE ST 2084, absolute) or ``"hlg"`` (BT.2100 hybrid log-gamma).
        colorspace: primaries of the code values, ``"bt709"`` (sRGB) or ``"bt2020"``.
        bits: significant bits of 16-bit PNG/TIFF files shown on this display: 10 or 12 for a
            10/12-bit signal in a 16-bit container (LSB- or MSB-aligned,
            :func:`hdr_iqa.io.container_values`); None = the full 16 bits.
        reflection: ``"additive"`` (paper code, white = peak + reflected) or ``"gog"`` (MATLAB).
        absolute: the data is already absolute luminance (cd/m^2); no display is applied.
        peak_std, ambient_std: std of per-sample Gaussian jitter of ``peak`` (cd/m^2) and
            ``ambient`` (lux) applied during training only (display augmentation).

    Example:
        >>> sdr = DisplayModel(peak=100, contrast=1000, gamma=2.2, ambient=100, reflectivity=0.005)
        >>> [round(x, 4) for x in sdr.to_luminance(torch.tensor([0.0, 0.5, 1.0])).tolist()]
        [0.2592, 22.0012, 100.1592]
    """

    peak: float = 100.0
    contrast: float = 1000.0
    gamma: float = 2.2
    ambient: float = 0.0
    reflectivity: float = 0.005
    eotf: Literal["gamma", "srgb", "pq", "hlg"] = "gamma"
    reflection: Literal["additive", "gog"] = "additive"
    absolute: bool = False
    peak_std: float = 0.0
    ambient_std: float = 0.0
    colorspace: Literal["bt709", "bt2020"] = "bt709"
    bits: int | None = None

    def __post_init__(self) -> None:
        if self.bits not in (None, 10, 12, 16):
            raise ValueError(f"display bits must be 10, 12, 16 or null, got {self.bits!r}")
        if self.eotf not in EOTFS:
            raise ValueError(f"display eotf must be one of {EOTFS}, got {self.eotf!r}")
        if self.colorspace not in COLORSPACES:
            raise ValueError(
                f"display colorspace must be one of {COLORSPACES}, got {self.colorspace!r}"
            )
        if self.reflection not in ("additive", "gog"):
            raise ValueError(
                f"display reflection must be 'additive' or 'gog', got {self.reflection!r}"
            )
        if not self.absolute:
            if self.peak <= 0 or self.contrast <= 1:
                raise ValueError(
                    f"display needs peak > 0 and contrast > 1, got peak={self.peak}, "
                    f"contrast={self.contrast}"
                )
            if not 0 <= self.ambient <= MAX_AMBIENT_LUX or not 0 <= self.reflectivity <= 1:
                raise ValueError(
                    f"display needs 0 <= ambient <= {MAX_AMBIENT_LUX} lux and "
                    f"0 <= reflectivity <= 1, got {self.ambient}, {self.reflectivity}"
                )

    @classmethod
    def absolute_luminance(cls) -> DisplayModel:
        """Marker for data already in absolute luminance (cd/m^2): the display is skipped."""
        return cls(absolute=True)

    @property
    def curve(self) -> str:
        """The EOTF in words, e.g. ``gamma 2.2``, ``sRGB``, ``PQ BT.2020``."""
        name = {"srgb": "sRGB", "pq": "PQ", "hlg": "HLG"}.get(self.eotf, f"gamma {self.gamma:g}")
        return name + (" BT.2020" if self.colorspace == "bt2020" else "")

    @property
    def black(self) -> float:
        """Black level without reflections, cd/m^2."""
        return self.peak / self.contrast

    @property
    def reflected(self) -> float:
        """Luminance reflected off the screen, cd/m^2."""
        return self.reflectivity * self.ambient / math.pi

    def params(self) -> torch.Tensor:
        """Parameter vector, float32 of shape (NUM_PARAMS,), laid out as :data:`PARAM_FIELDS`."""
        values = asdict(self)
        values["eotf"] = EOTFS.index(self.eotf)
        values["gog"] = self.reflection == "gog"
        values["bt2020"] = self.colorspace == "bt2020"
        return torch.tensor([float(values[name]) for name in PARAM_FIELDS], dtype=torch.float32)

    def to_luminance(self, values: torch.Tensor) -> torch.Tensor:
        """Display-encoded values in [0, 1] (any shape, RGB on axis -3) -> cd/m^2, float32."""
        return display_to_luminance(values, self.params().to(values.device))

    def to_display(self, luminance: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`to_luminance`: cd/m^2 -> display-encoded [0, 1] (clipped)."""
        return luminance_to_display(luminance, self.params().to(luminance.device))


def _expand(params: torch.Tensor, field: str, ndim: int) -> torch.Tensor:
    """params (..., NUM_PARAMS) -> the field, shaped to broadcast against a (B, ...) tensor."""
    column = params[..., _I[field]]
    return column.reshape(column.shape + (1,) * (ndim - column.dim()))


def jitter_display_params(params: torch.Tensor, generator: torch.Generator | None = None):
    """Per-sample Gaussian jitter of peak and ambient (training-time display augmentation).

    Args:
        params: (B, NUM_PARAMS) display parameters.
    Returns:
        (B, NUM_PARAMS) with peak ~ N(peak, peak_std) (kept >= 10% of nominal) and
        ambient ~ N(ambient, ambient_std) clipped to [0, 25000] lux.
    """
    out = params.clone()
    noise = torch.randn(
        (params.shape[0], 2), device=params.device, dtype=params.dtype, generator=generator
    )
    peak = params[:, _I["peak"]]
    out[:, _I["peak"]] = (peak + noise[:, 0] * params[:, _I["peak_std"]]).maximum(0.1 * peak)
    ambient = params[:, _I["ambient"]] + noise[:, 1] * params[:, _I["ambient_std"]]
    out[:, _I["ambient"]] = ambient.clamp(0.0, MAX_AMBIENT_LUX)
    return out


def _black_and_reflected(params: torch.Tensor, ndim: int) -> tuple[torch.Tensor, ...]:
    peak = _expand(params, "peak", ndim)
    black = peak / _expand(params, "contrast", ndim)
    reflected = _expand(params, "reflectivity", ndim) * _expand(params, "ambient", ndim) / math.pi
    gain = peak - black - _expand(params, "gog", ndim) * reflected
    return gain, black + reflected


def _branches(params: torch.Tensor) -> tuple[bool, bool, bool]:
    """Whether any sample is PQ, HLG, BT.2020: read on a CPU (free); on other devices (where
    reading would synchronise with the host) and while tracing, all three are evaluated."""
    if (
        params.device.type != "cpu"
        or torch.jit.is_tracing()
        or torch.jit.is_scripting()
        or torch.onnx.is_in_onnx_export()
    ):
        return True, True, True
    eotf, bt2020 = params[..., _I["eotf"]], params[..., _I["bt2020"]]
    pq = bool((eotf == EOTFS.index("pq")).any())
    return pq, bool((eotf == EOTFS.index("hlg")).any()), bool((bt2020 > 0).any())


def display_to_luminance(values: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    """Apply per-sample displays on the device.

    Args:
        values: (B, ...) display-encoded values in [0, 1] (RGB on axis -3 for colour), or cd/m^2
            for samples whose display is ``absolute`` (those pass through unchanged).
        params: (B, NUM_PARAMS) or (NUM_PARAMS,) display parameters (see :data:`PARAM_FIELDS`).
    Returns:
        (B, ...) float32 luminance in cd/m^2 (linear BT.709 RGB for colour).
    """
    values = values.float()
    ndim = values.dim()
    encoded = values.clamp(0.0, 1.0)
    eotf = _expand(params, "eotf", ndim)
    srgb = (eotf == EOTFS.index("srgb")).float()
    linear = gamma_or_srgb_eotf(encoded, _expand(params, "gamma", ndim), srgb)
    gain, offset = _black_and_reflected(params, ndim)
    any_pq, any_hlg, any_wide = _branches(params)
    if any_hlg:
        gamma = hlg_system_gamma(_expand(params, "peak", ndim), _expand(params, "ambient", ndim))
        hlg = hlg_eotf(encoded, gamma.to(encoded.device))
        linear = torch.where(eotf == EOTFS.index("hlg"), hlg, linear)
    luminance = gain * linear + offset
    if any_pq:
        peak = _expand(params, "peak", ndim)
        pq = torch.minimum(pq_eotf(encoded).clamp_min(PQ_MIN_LUMINANCE), peak) + offset
        luminance = torch.where(eotf == EOTFS.index("pq"), pq, luminance)
    if any_wide and has_channels(luminance, -3):
        wide = _expand(params, "bt2020", ndim) > 0
        luminance = torch.where(wide, bt2020_to_bt709(luminance), luminance)
    return torch.where(_expand(params, "absolute", ndim) > 0, values, luminance)


def luminance_to_display(luminance: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    """Inverse display: cd/m^2 -> display-encoded values in [0, 1] (clipped to the gamut).

    Args:
        luminance: (B, ...) luminance in cd/m^2 (linear BT.709 RGB on axis -3 for colour).
        params: (B, NUM_PARAMS) or (NUM_PARAMS,) display parameters (must not be ``absolute``).
    Returns:
        (B, ...) float32 display-encoded values; luminance outside [black, white] is clipped.
    """
    luminance = luminance.float()
    ndim = luminance.dim()
    any_pq, any_hlg, any_wide = _branches(params)
    if any_wide and has_channels(luminance, -3):
        wide = _expand(params, "bt2020", ndim) > 0
        luminance = torch.where(wide, bt709_to_bt2020(luminance), luminance)
    gain, offset = _black_and_reflected(params, ndim)
    linear = ((luminance - offset) / gain).clamp(0.0, 1.0)
    encoded = linear.pow(1.0 / _expand(params, "gamma", ndim))
    eotf = _expand(params, "eotf", ndim)
    encoded = torch.where(eotf == EOTFS.index("srgb"), srgb_inverse_eotf(linear), encoded)
    if any_hlg:
        gamma = hlg_system_gamma(_expand(params, "peak", ndim), _expand(params, "ambient", ndim))
        hlg = hlg_inverse_eotf(linear, gamma.to(linear.device))
        encoded = torch.where(eotf == EOTFS.index("hlg"), hlg, encoded)
    if any_pq:
        pq = pq_inverse_eotf(torch.minimum(luminance - offset, _expand(params, "peak", ndim)))
        encoded = torch.where(eotf == EOTFS.index("pq"), pq, encoded)
    return encoded
