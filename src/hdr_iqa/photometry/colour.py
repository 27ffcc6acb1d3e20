"""Colour primaries: luminance coefficients and the BT.2020 -> BT.709 linear-RGB conversion.

The networks' weights were trained on sRGB images, whose primaries are BT.709's, so the display
model hands them linear RGB in BT.709 primaries whatever the input: BT.2020 content (PQ / HLG
presets) is converted with :data:`BT2020_TO_BT709` and out-of-gamut (negative) components are
clipped to 0. Luminance is unchanged by the conversion for in-gamut colours.
"""

from __future__ import annotations

import torch

LUMA_BT709 = (0.2126, 0.7152, 0.0722)
"""Y of linear BT.709 / sRGB RGB (ITU-R BT.709-6)."""
LUMA_BT2020 = (0.2627, 0.6780, 0.0593)
"""Y of linear BT.2020 RGB (ITU-R BT.2020-2, BT.2100-2)."""

_PRIMARIES = {  # xy chromaticities of R, G, B; both with the D65 white point
    "bt709": ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060)),
    "bt2020": ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046)),
}
_D65 = (0.3127, 0.3290)


def rgb_to_xyz_matrix(primaries: str) -> torch.Tensor:
    """Normalised primary matrix (SMPTE RP 177) of ``bt709`` or ``bt2020``, (3, 3) float64."""
    xy = torch.tensor(_PRIMARIES[primaries], dtype=torch.float64)  # (3, 2)
    columns = torch.stack([xy[:, 0] / xy[:, 1], torch.ones(3), (1 - xy.sum(1)) / xy[:, 1]])
    white = torch.tensor([_D65[0] / _D65[1], 1.0, (1 - sum(_D65)) / _D65[1]], dtype=torch.float64)
    return columns * torch.linalg.solve(columns, white)  # scale each primary's column


BT2020_TO_BT709 = torch.linalg.solve(rgb_to_xyz_matrix("bt709"), rgb_to_xyz_matrix("bt2020"))
"""(3, 3) float64: linear BT.2020 RGB -> linear BT.709 RGB (rows: output R, G, B)."""
BT709_TO_BT2020 = torch.linalg.inv(BT2020_TO_BT709)
_Y_ROWS = {name: rgb_to_xyz_matrix(name)[1] for name in _PRIMARIES}
"""(3, 3) float64: linear BT.709 RGB -> linear BT.2020 RGB."""


def bt2020_to_bt709(rgb: torch.Tensor, channel_dim: int = -3) -> torch.Tensor:
    """Linear BT.2020 RGB -> linear BT.709 RGB (negative components clipped to 0).

    Args:
        rgb: linear RGB (any unit, e.g. cd/m^2), size 3 along ``channel_dim``.
    Returns:
        Same shape and dtype.

    Example:
        >>> white = torch.ones(3, 1, 1)
        >>> [round(x, 6) for x in bt2020_to_bt709(white).flatten().tolist()]
        [1.0, 1.0, 1.0]
    """
    return _convert(rgb, BT2020_TO_BT709, channel_dim)


def bt709_to_bt2020(rgb: torch.Tensor, channel_dim: int = -3) -> torch.Tensor:
    """Linear BT.709 RGB -> linear BT.2020 RGB (the inverse of :func:`bt2020_to_bt709`)."""
    return _convert(rgb, BT709_TO_BT2020, channel_dim)


def _convert(rgb: torch.Tensor, matrix: torch.Tensor, channel_dim: int) -> torch.Tensor:
    matrix = matrix.to(device=rgb.device, dtype=rgb.dtype)
    moved = rgb.movedim(channel_dim, -1)  # (..., 3)
    return (moved @ matrix.T).clamp_min(0.0).movedim(-1, channel_dim)


def luminance(rgb: torch.Tensor, primaries: str = "bt709", channel_dim: int = -3) -> torch.Tensor:
    """Y of linear RGB (same unit as ``rgb``), the channel axis reduced to size 1.

    The weights are the Y row of the primaries' normalised matrix, i.e. :data:`LUMA_BT709` /
    :data:`LUMA_BT2020` before the standards rounded them to 4 digits, so that the Y of a colour
    does not change (beyond float rounding) when it is converted between primaries.
    """
    shape = [1] * rgb.dim()
    shape[channel_dim] = 3
    weights = _Y_ROWS[primaries].to(device=rgb.device, dtype=rgb.dtype).view(shape)
    return (rgb * weights).sum(dim=channel_dim, keepdim=True)
