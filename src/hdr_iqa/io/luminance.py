"""Checks on absolute-luminance pixels (cd/m^2): validity, and a warning for relative values.

Read HDR data (:func:`clean_luminance`) must be finite and not all zero. Tiny negative values,
the rounding and noise of real HDR merges (the official PU-PieAPP example EXR has a minimum of
-2.1e-5 cd/m^2), are clamped to 0 with one :class:`NegativeLuminanceWarning` per file: tiny
means ``|min| <= max(NEGATIVE_FLOOR, NEGATIVE_FRACTION * peak)``, i.e. 0.005 cd/m^2 (PU21's
lowest luminance: darker values encode alike) or 1e-4 of the image's peak, whichever is larger.
Larger negative values are a DataError.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from hdr_iqa.errors import DataError

RELATIVE_PEAK = 2.0
"""Peak (cd/m^2) at or below which an HDR file is taken to hold relative values: real scenes and
HDR displays peak far above 2 cd/m^2, while relative files are usually scaled to a peak of 1."""

NEGATIVE_FLOOR = 0.005
"""Negative values down to -0.005 cd/m^2 (PU21's lowest luminance) are clamped to 0 on reading."""
NEGATIVE_FRACTION = 1e-4
"""... as are negative values down to -1e-4 x the image's peak, if that is lower."""
MAX_NEGATIVE_WARNINGS = 5
"""Files per process that get their own NegativeLuminanceWarning (the last one says so)."""

_warned_dirs: set[str] = set()
_warned_negative: set[str] = set()


class RelativeLuminanceWarning(UserWarning):
    """An HDR file's values look relative (e.g. peak near 1.0) rather than cd/m^2."""


def check_luminance(pixels: np.ndarray, path: str | Path) -> np.ndarray:
    """Reject NaN, infinite or negative luminance before writing: ``pixels`` (any shape, cd/m^2)
    are returned unchanged if valid, else a DataError names ``path``."""
    if not np.isfinite(pixels).all():
        bad = int((~np.isfinite(pixels)).sum())
        raise DataError(f"{path}: luminance contains {bad} NaN or infinite values")
    if (pixels < 0).any():
        raise DataError(
            f"{path}: luminance contains negative values (min {float(pixels.min()):.4g} cd/m^2)"
        )
    return pixels


class NegativeLuminanceWarning(UserWarning):
    """An HDR file held tiny negative values; they were clamped to 0."""


def clean_luminance(pixels: np.ndarray, path: str | Path) -> np.ndarray:
    """Read luminance (cd/m^2) made valid: tiny negatives clamped to 0, anything else bad refused.

    ``pixels``: any shape, float (cd/m^2), as read from ``path``.

    Returns ``pixels`` itself when nothing was clamped, else a clamped copy. Raises a DataError
    naming ``path`` for NaN/infinite values, negative values beyond the tolerance, or an image
    with no positive value.
    """
    if not np.isfinite(pixels).all():
        bad = int((~np.isfinite(pixels)).sum())
        raise DataError(f"{path}: luminance contains {bad} NaN or infinite values")
    if pixels.size == 0:
        raise DataError(f"{path}: the image has no pixels")
    peak, low = float(pixels.max()), float(pixels.min())
    negative = int((pixels < 0).sum())
    tolerance = max(NEGATIVE_FLOOR, NEGATIVE_FRACTION * peak)
    if -low > tolerance:
        raise DataError(
            f"{path}: luminance contains {negative} negative values (min {low:.4g} cd/m^2; "
            f"only values down to -{tolerance:.3g}, i.e. -max({NEGATIVE_FLOOR:g}, "
            f"{NEGATIVE_FRACTION:g} x peak {peak:.4g}), are clamped to 0)"
        )
    if peak <= 0:
        raise DataError(
            f"{path}: no pixel is above 0 cd/m^2 (an all-black image): not a usable HDR image "
            "(was it written from the wrong channel or scale?)"
        )
    if low >= 0:
        return pixels
    _warn_negative(path, negative, low, peak)
    return np.maximum(pixels, 0, dtype=pixels.dtype)


def _warn_negative(path: str | Path, count: int, low: float, peak: float) -> None:
    key = str(path)
    if key in _warned_negative or len(_warned_negative) >= MAX_NEGATIVE_WARNINGS:
        return
    _warned_negative.add(key)
    last = len(_warned_negative) == MAX_NEGATIVE_WARNINGS
    warnings.warn(
        f"{path}: {count} tiny negative luminance values (min {low:.3g} cd/m^2, peak "
        f"{peak:.4g}) clamped to 0"
        + (
            "; further files with tiny negative values are clamped without a warning"
            if last
            else ""
        ),
        NegativeLuminanceWarning,
        stacklevel=3,
    )


def looks_relative(pixels: np.ndarray) -> bool:
    """True if the peak is at most :data:`RELATIVE_PEAK` cd/m^2 (values look relative).

    Example:
        >>> looks_relative(np.array([0.0, 0.5, 1.0])), looks_relative(np.array([0.1, 850.0]))
        (True, False)
    """
    return pixels.size > 0 and float(pixels.max()) <= RELATIVE_PEAK


def relative_message(peak: float, path: str | Path) -> str:
    """What to tell a user whose HDR file ``path`` peaks at ``peak`` cd/m^2."""
    return (
        f"{path}: HDR values look relative, not absolute (peak {peak:.4g}); they are read as "
        f"cd/m^2. Scale them to absolute luminance, e.g. pixels * 4000 / {peak:.4g} for a "
        "4000 cd/m^2 peak (a CSV dataset scales them with data.source.luminance_scale)"
    )


def warn_if_relative(pixels: np.ndarray, path: str | Path) -> None:
    """Warn (once per directory and process) when ``pixels`` (cd/m^2) look relative."""
    directory = str(Path(path).parent)
    if directory in _warned_dirs or not looks_relative(pixels):
        return
    _warned_dirs.add(directory)
    warnings.warn(
        relative_message(float(pixels.max()), path), RelativeLuminanceWarning, stacklevel=3
    )
