"""Normalisation schemes that map PU21 values to the backbone's input range.

reference-spec section 3. With P = PU21 (banding_glare by default), P_min = P(0.005 cd/m^2):

* ``pmax``: x = (V - P_min) / (P(10000) - P_min), so [0.005, 10000] cd/m^2 -> [0, 1].
  The paper's recommended scheme.
* ``n255``: the paper's "255" scheme, named after the paper code's ``--n255`` flag. This project
  uses the definition the paper code actually computes: x = (V - P_min) / (P(100) - P_min), i.e.
  100 cd/m^2 -> exactly 1.0 and 10000 cd/m^2 -> 2.3223 (the README's /255 would give 1.0054).
* ``srgb``: the non-PU baseline. Display-encoded values are used as they are (V in [0, 1]);
  absolute-luminance inputs are first shown on a 100 cd/m^2 reference SDR display (gamma 2.2,
  contrast 1000), which clips highlights, as an SDR pipeline would.
"""

from __future__ import annotations

from typing import Literal

import torch

from hdr_iqa.photometry.pu21 import PU21, PU21Variant

Scheme = Literal["pmax", "n255", "srgb"]
SCHEMES: tuple[str, ...] = ("pmax", "n255", "srgb")


def pu_range(scheme: Scheme, pu: PU21) -> tuple[float, float]:
    """(offset, scale) in PU21 units such that x = (V - offset) / scale for a PU scheme."""
    if scheme == "pmax":
        return pu.p_min, pu.p_max - pu.p_min
    if scheme == "n255":
        return pu.p_min, pu.p_100 - pu.p_min
    raise ValueError(f"scheme {scheme!r} has no PU range; expected 'pmax' or 'n255'")


def normalize_pu(pu_values: torch.Tensor, scheme: Scheme, variant: PU21Variant = "banding_glare"):
    """PU21 values -> normalised values of a scheme (``pmax``: [0, 1]; ``n255``: [0, 2.32]).

    Any shape and float dtype in, the same out.

    Example:
        >>> v = PU21().encode(torch.tensor([100.0, 10000.0], dtype=torch.float64))
        >>> [round(x, 6) for x in normalize_pu(v, "n255").tolist()]
        [1.0, 2.322275]
    """
    offset, scale = pu_range(scheme, PU21(variant))
    return (pu_values - offset) / scale
