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
It is the one implementation of the model (:func:`luminance_to_display` its inverse): the
vectorised chain calls it on batches, the blocked CPU chain in place on blocks of one sample. On
a CPU the parameters are read on the host (free there) and only the curves present are
evaluated; on a GPU and while tracing every curve is, and each sample selects its own.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import torch

from hdr_iqa.photometry.colour import bt709_to_bt2020, bt2020_to_bt709
from hdr_iqa.photometry.transfer import (
    gamma_eotf,
    gamma_inverse_eotf,
    gamma_or_srgb_eotf,
    has_channels,
    hlg_eotf,
    hlg_inverse_eotf,
    hlg_system_gamma,
    pq_eotf,
    pq_inverse_eotf,
    srgb_eotf,
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
_SRGB, _PQ, _HLG = (EOTFS.index(name) for name in ("srgb", "pq", "hlg"))
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


def jitter_display_params(
    params: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Per-sample Gaussian jitter of peak and ambient (training-time display augmentation).

    Args:
        params: (B, NUM_PARAMS) display parameters.
        generator: random generator of the jitter (default: torch's global one).
    Returns:
        (B, NUM_PARAMS) with peak ~ N(peak, peak_std) cd/m^2 (kept >= 10% of nominal) and
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


def _read(params: torch.Tensor | Sequence[float], ndim: int) -> _Params:
    """``params`` as the formulas take them (see :class:`_Params`), for (B, ...) values."""
    if not isinstance(params, torch.Tensor):
        return _host_params(tuple(params))
    if params.device.type != "cpu" or _tracing():
        return _Params(params, None, ndim)  # nothing read: every branch, selected per sample
    if params.dim() == 1:
        return _host_params(tuple(params.tolist()))
    return _Params(params, params.tolist(), ndim)  # a batch: the branches it needs


@functools.lru_cache(maxsize=256)
def _host_params(row: tuple[float, ...]) -> _Params:
    """One display read on the host; cached, as the blocked chain asks once per block."""
    return _Params(row, [row], 0)


class _Params:
    """Display parameters as the formulas take them: Python floats for one display read on the
    host (free on a CPU), else tensors that broadcast against (B, ...) values.

    ``kinds``: the EOTFs present, plus ``absolute`` and ``bt2020`` if any sample is (all of them
    when ``rows`` were not read: no host synchronisation on a GPU, nothing pruned while
    tracing); ``relative``: the curves in [0, 1] present; ``all_absolute``: every sample is;
    ``gain``, ``offset``: of the GOG model ``L = gain * f(V) + offset`` (module docstring).
    """

    def __init__(
        self,
        params: torch.Tensor | tuple[float, ...],
        rows: Sequence[Sequence[float]] | None,
        ndim: int,
    ) -> None:
        self._params, self._ndim = params, ndim
        self.host = not isinstance(params, torch.Tensor)
        self._floats = dict(zip(PARAM_FIELDS, params, strict=True)) if self.host else None
        if rows is None:
            self.kinds, self.all_absolute = frozenset(EOTFS) | {"absolute", "bt2020"}, False
        else:
            eotf, absolute, bt2020 = _I["eotf"], _I["absolute"], _I["bt2020"]
            self.kinds = frozenset(
                k for row in rows for k in _row_kinds(row[eotf], row[absolute], row[bt2020])
            )
            self.all_absolute = all(row[absolute] > 0 for row in rows)
        self.relative = [k for k in ("gamma", "srgb", "hlg") if k in self.kinds]
        black = self["peak"] / self["contrast"]
        reflected = self["reflectivity"] * self["ambient"] / math.pi
        self.gain = self["peak"] - black - self["gog"] * reflected
        self.offset = black + reflected

    def __getitem__(self, field: str) -> torch.Tensor | float:
        if self._floats is not None:
            return self._floats[field]
        column = self._params[..., _I[field]]  # (B,) or ()
        return column.reshape(column.shape + (1,) * (self._ndim - column.dim()))  # (B, 1, ...)


def _row_kinds(eotf: float, absolute: float, bt2020: float) -> tuple[str, ...]:
    return (EOTFS[int(eotf)],) + ("absolute",) * (absolute > 0) + ("bt2020",) * (bt2020 > 0)


def _tracing() -> bool:
    return torch.jit.is_tracing() or torch.jit.is_scripting() or torch.onnx.is_in_onnx_export()


def _minimum(values: torch.Tensor, bound: torch.Tensor | float) -> torch.Tensor:
    if isinstance(bound, torch.Tensor):
        return torch.minimum(values, bound)
    return values.clamp_max(bound)


def _hlg_gamma(p: _Params) -> torch.Tensor:
    return hlg_system_gamma(p["peak"], p["ambient"])


def display_to_luminance(
    values: torch.Tensor, params: torch.Tensor | Sequence[float], *, inplace: bool = False
) -> torch.Tensor:
    """Display-encoded values -> emitted luminance: the display model, per sample.

    The one implementation: the vectorised chain calls it on whole batches, the blocked CPU
    chain (:mod:`hdr_iqa.photometry.blocked`) on cache-sized blocks of one sample, in place.

    Args:
        values: (B, ...) display-encoded values in [0, 1] (RGB on axis -3 for colour), or cd/m^2
            for samples whose display is ``absolute`` (those pass through unchanged).
        params: (B, NUM_PARAMS) per-sample display parameters (see :data:`PARAM_FIELDS`), or
            (NUM_PARAMS,) for one display shared by all of ``values``, as a tensor or as the
            list of floats ``params.tolist()`` reads (once, for a loop over blocks).
        inplace: write the result into ``values`` (float32, no autograd) and return it.
    Returns:
        (B, ...) float32 luminance in cd/m^2 (linear BT.709 RGB for colour).
    """
    if inplace and values.dtype != torch.float32:
        raise TypeError(f"display_to_luminance(inplace=True) needs float32, got {values.dtype}")
    source, values = values, values if inplace else values.float()
    p = _read(params, values.dim())
    if p.all_absolute:
        return values if inplace or values is not source else values.clone()
    kinds = p.kinds
    out = values if inplace and "absolute" not in kinds else None  # absolute samples need values
    encoded = torch.clamp(values, 0.0, 1.0, out=out)
    luminance = None
    if p.relative:
        curve_out = out if "pq" not in kinds else None  # PQ still reads the code values
        linear = _relative_eotf(encoded, p, curve_out)
        luminance = torch.add(torch.mul(linear, p.gain, out=curve_out), p.offset, out=curve_out)
    if "pq" in kinds:  # absolute code values, clipped to the display's range
        pq = _minimum(pq_eotf(encoded).clamp_min(PQ_MIN_LUMINANCE), p["peak"]) + p.offset
        luminance = pq if luminance is None else torch.where(p["eotf"] == _PQ, pq, luminance)
    if "bt2020" in kinds and has_channels(luminance, -3):
        converted = bt2020_to_bt709(luminance)
        luminance = converted if p.host else torch.where(p["bt2020"] > 0, converted, luminance)
    if "absolute" in kinds:
        luminance = torch.where(p["absolute"] > 0, values, luminance)
    if inplace and luminance is not values:
        return values.copy_(luminance)
    return luminance


def _relative_eotf(encoded: torch.Tensor, p: _Params, out: torch.Tensor | None) -> torch.Tensor:
    """Relative light [0, 1] of the gamma / sRGB / HLG samples (``out``: as for the EOTFs)."""
    kinds = p.relative
    if kinds == ["gamma"]:
        return gamma_eotf(encoded, p["gamma"], out=out)
    if kinds == ["srgb"]:
        return srgb_eotf(encoded, out=out)
    hlg = hlg_eotf(encoded, _hlg_gamma(p)) if "hlg" in kinds else None
    if kinds == ["hlg"]:
        return hlg
    eotf = p["eotf"]  # a batch mixing curves: a tensor, selected per sample
    linear = gamma_or_srgb_eotf(encoded, p["gamma"], (eotf == _SRGB).float())
    return linear if hlg is None else torch.where(eotf == _HLG, hlg, linear)


def luminance_to_display(
    luminance: torch.Tensor, params: torch.Tensor | Sequence[float]
) -> torch.Tensor:
    """Inverse display: cd/m^2 -> display-encoded values in [0, 1] (clipped to the gamut).

    Args:
        luminance: (B, ...) luminance in cd/m^2 (linear BT.709 RGB on axis -3 for colour).
        params: (B, NUM_PARAMS) or (NUM_PARAMS,) display parameters, as for
            :func:`display_to_luminance` (not ``absolute``: those have no inverse).
    Returns:
        (B, ...) float32 display-encoded values; luminance outside [black, white] is clipped.
    """
    luminance = luminance.float()
    p = _read(params, luminance.dim())
    if "bt2020" in p.kinds and has_channels(luminance, -3):
        converted = bt709_to_bt2020(luminance)
        luminance = converted if p.host else torch.where(p["bt2020"] > 0, converted, luminance)
    inverses = {
        "gamma": lambda linear: gamma_inverse_eotf(linear, p["gamma"]),
        "srgb": srgb_inverse_eotf,
        "hlg": lambda linear: hlg_inverse_eotf(linear, _hlg_gamma(p)),
    }
    encoded = None
    if p.relative:
        linear = ((luminance - p.offset) / p.gain).clamp(0.0, 1.0)
        for kind in p.relative:  # a batch mixing curves: selected per sample
            code = inverses[kind](linear)
            is_kind = None if encoded is None else p["eotf"] == EOTFS.index(kind)
            encoded = code if is_kind is None else torch.where(is_kind, code, encoded)
    if "pq" in p.kinds:
        pq = pq_inverse_eotf(_minimum(luminance - p.offset, p["peak"]))
        encoded = pq if encoded is None else torch.where(p["eotf"] == _PQ, pq, encoded)
    return encoded
