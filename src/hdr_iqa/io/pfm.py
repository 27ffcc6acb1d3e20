"""Portable Float Map (PFM): float32 RGB (``PF``) or grey (``Pf``), rows stored bottom to top.

Header: ``PF\\n<width> <height>\\n<scale>\\n``; a negative scale means little-endian samples.
The scale's magnitude is ignored on reading (most writers use 1.0) and written as 1.0.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from hdr_iqa.errors import DataError

_HEADER = re.compile(rb"\A(PF|Pf)\s+(\d+)\s+(\d+)\s+([-+0-9.eE]+)\s")


def read_pfm(path: Path) -> np.ndarray:
    """Read a PFM file as float32 (H, W, C) with C = 3 (``PF``) or 1 (``Pf``), top row first."""
    data = path.read_bytes()
    match = _HEADER.match(data[:128])
    if match is None:
        raise DataError(
            f"{path}: not a PFM file (header must be 'PF' or 'Pf', width, height, scale)"
        )
    kind, width, height = match.group(1), int(match.group(2)), int(match.group(3))
    try:
        scale = float(match.group(4))
    except ValueError:
        raise DataError(f"{path}: PFM scale {match.group(4)!r} is not a number") from None
    channels = 3 if kind == b"PF" else 1
    expected = width * height * channels * 4
    body = data[match.end() : match.end() + expected]
    if len(body) < expected:
        raise DataError(
            f"{path}: truncated PFM file: expected {expected} bytes of {width}x{height}x"
            f"{channels} float32 pixels, found {len(body)}"
        )
    dtype = np.dtype("<f4" if scale < 0 else ">f4")
    pixels = np.frombuffer(body, dtype=dtype).reshape(height, width, channels)
    return np.ascontiguousarray(pixels[::-1], dtype=np.float32)


def encode_pfm(pixels: np.ndarray) -> bytes:
    """(H, W, 3) or (H, W) float pixels -> PFM bytes (little-endian float32, bottom row first)."""
    pixels = np.asarray(pixels, dtype="<f4")
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    if pixels.ndim == 2:
        kind = b"Pf"
    elif pixels.ndim == 3 and pixels.shape[2] == 3:
        kind = b"PF"
    else:
        raise ValueError(f"PFM stores (H, W, 3) or (H, W) pixels, got shape {pixels.shape}")
    height, width = pixels.shape[:2]
    header = kind + f"\n{width} {height}\n-1.0\n".encode()
    return header + np.ascontiguousarray(pixels[::-1]).tobytes()
