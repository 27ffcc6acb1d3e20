"""Portable Float Map (PFM): float32 RGB (``PF``) or grey (``Pf``), rows stored bottom to top.

Header: ``PF\\n<width> <height>\\n<scale>\\n``; a negative scale means little-endian samples.
Samples are read as stored, in cd/m^2: the scale's magnitude is ignored (most writers use 1).

Writing uses OpenCV's encoder (little-endian float32, bottom row first, scale ``-1``); reading
is done here, because OpenCV's decoder differs from this one in three ways that matter:

* it divides every sample by the scale's magnitude, while the format leaves the meaning of the
  scale to the application (Netpbm's pfm(5)); files with a scale other than +-1 would read as
  different numbers (and ``x / s * s`` does not give ``x`` back in float32);
* it requires a line break after each header field, where the format allows any white space
  (``PF 640 480 -1.0\\n`` is a valid header that OpenCV refuses);
* a truncated file gives None, not how many bytes were expected and found.

imageio (2.38, through Pillow) reads PFM files as uint8, so it is no alternative.
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from hdr_iqa.errors import DataError

_HEADER = re.compile(rb"\A(PF|Pf)\s+(\d+)\s+(\d+)\s+([-+0-9.eE]+)\s")


def read_pfm(path: Path) -> np.ndarray:
    """Read a PFM file as float32 (H, W, C), top row first: C = 3 (``PF``, RGB) or 1 (``Pf``).

    Values are returned as stored (taken as cd/m^2 by :func:`hdr_iqa.io.read_image`); big- and
    little-endian files are read alike. Raises a DataError naming ``path`` for a bad header or a
    truncated raster (with the byte counts).
    """
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
    pixels = np.frombuffer(body, dtype=dtype).reshape(height, width, channels)  # bottom row first
    return np.ascontiguousarray(pixels[::-1], dtype=np.float32)


def encode_pfm(pixels: np.ndarray) -> bytes:
    """PFM bytes of float pixels (cd/m^2), through OpenCV's encoder.

    Args:
        pixels: (H, W, 3) RGB, or (H, W) / (H, W, 1) grey; any float dtype (stored as float32).
    Returns:
        A ``PF`` (RGB) or ``Pf`` (grey) file: little-endian float32, bottom row first.

    Example:
        >>> encode_pfm(np.array([[0.5, 2.0]]))[:10]
        b'Pf\\n2 1\\n-1\\n'
    """
    pixels = np.asarray(pixels, dtype=np.float32)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    if pixels.ndim == 3 and pixels.shape[2] == 3:
        pixels = pixels[:, :, ::-1]  # RGB -> OpenCV's BGR
    elif pixels.ndim != 2:
        raise ValueError(f"PFM stores (H, W, 3) or (H, W) pixels, got shape {pixels.shape}")
    if pixels.size == 0:
        raise ValueError(f"PFM needs at least one pixel, got shape {pixels.shape}")
    ok, buffer = cv2.imencode(".pfm", np.ascontiguousarray(pixels))
    if not ok:
        raise ValueError("OpenCV could not encode the pixels as PFM")
    return buffer.tobytes()
