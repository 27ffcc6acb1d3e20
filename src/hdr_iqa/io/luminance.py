"""Checks on absolute-luminance pixels (cd/m^2): validity, and a warning for relative values."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from hdr_iqa.errors import DataError

RELATIVE_PEAK = 2.0
"""Peak (cd/m^2) at or below which an HDR file is taken to hold relative values: real scenes and
HDR displays peak far above 2 cd/m^2, while relative files are usually scaled to a peak of 1."""

_warned_dirs: set[str] = set()


class RelativeLuminanceWarning(UserWarning):
    """An HDR file's values look relative (e.g. peak near 1.0) rather than cd/m^2."""


def check_luminance(pixels: np.ndarray, path: str | Path) -> np.ndarray:
    """Reject NaN, infinite or negative luminance (returns ``pixels`` unchanged if valid)."""
    if not np.isfinite(pixels).all():
        bad = int((~np.isfinite(pixels)).sum())
        raise DataError(f"{path}: luminance contains {bad} NaN or infinite values")
    if (pixels < 0).any():
        raise DataError(
            f"{path}: luminance contains negative values (min {float(pixels.min()):.4g} cd/m^2)"
        )
    return pixels


def looks_relative(pixels: np.ndarray) -> bool:
    """True if the peak is at most :data:`RELATIVE_PEAK` cd/m^2 (values look relative).

    Example:
        >>> looks_relative(np.array([0.0, 0.5, 1.0])), looks_relative(np.array([0.1, 850.0]))
        (True, False)
    """
    return pixels.size > 0 and float(pixels.max()) <= RELATIVE_PEAK


def relative_message(peak: float, path: str | Path) -> str:
    """What to tell a user whose HDR file peaks at ``peak``."""
    return (
        f"{path}: HDR values look relative, not absolute (peak {peak:.4g}); they are read as "
        f"cd/m^2. Scale them to absolute luminance, e.g. pixels * 4000 / {peak:.4g} for a "
        "4000 cd/m^2 peak (a CSV dataset scales them with data.source.luminance_scale)"
    )


def warn_if_relative(pixels: np.ndarray, path: str | Path) -> None:
    """Warn (once per directory and process) when ``pixels`` look relative."""
    directory = str(Path(path).parent)
    if directory in _warned_dirs or not looks_relative(pixels):
        return
    _warned_dirs.add(directory)
    warnings.warn(
        relative_message(float(pixels.max()), path), RelativeLuminanceWarning, stacklevel=3
    )
