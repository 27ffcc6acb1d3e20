"""Radiance RGBE (``.hdr``): 8-bit mantissas with a shared exponent, run-length encoded.

Decoding and encoding use OpenCV's codec. The header is read here as well, because OpenCV's
decoder ignores ``EXPOSURE`` and answers None, without a reason, for an XYZE file, a resolution
line other than ``-Y H +X W`` or a truncated file; those are reported by name, and the stored
values are divided by the product of all ``EXPOSURE=`` lines, as the format defines. The values
are then taken as cd/m^2. (Files from a calibrated Radiance renderer store radiance in
W/sr/m^2: multiply by 179 lm/W for luminance.) imageio (2.38) reads ``.hdr`` files as 8-bit
images, so it is no alternative.
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from hdr_iqa.errors import DataError

_MAGIC = (b"#?RADIANCE", b"#?RGBE")
_RESOLUTION = re.compile(rb"^-Y (\d+) \+X (\d+)$")


def _parse_header(data: bytes, path: Path) -> tuple[float, int, int]:
    """(exposure product, height, width) from the header; raises DataError if unusable."""
    if not data.startswith(_MAGIC):
        raise DataError(f"{path}: not a Radiance .hdr file (it must start with '#?RADIANCE')")
    end = data.find(b"\n\n")
    if end < 0:
        raise DataError(f"{path}: truncated Radiance header (no blank line before the size)")
    exposure = 1.0
    for line in data[:end].split(b"\n")[1:]:
        if line.startswith(b"FORMAT=") and line.strip() != b"FORMAT=32-bit_rle_rgbe":
            raise DataError(f"{path}: unsupported Radiance format {line.decode(errors='replace')}")
        if line.startswith(b"EXPOSURE="):
            try:
                exposure *= float(line.split(b"=", 1)[1])
            except ValueError:
                raise DataError(f"{path}: bad header line {line!r}") from None
    size_line = data[end + 2 :].split(b"\n", 1)[0]
    match = _RESOLUTION.match(size_line)
    if match is None:
        raise DataError(
            f"{path}: unsupported Radiance resolution line {size_line[:40]!r} "
            "(expected '-Y H +X W')"
        )
    if exposure <= 0:
        raise DataError(f"{path}: EXPOSURE must be > 0, got {exposure}")
    return exposure, int(match.group(1)), int(match.group(2))


def read_radiance(path: Path) -> np.ndarray:
    """Read a Radiance RGBE file as float32 (H, W, 3) RGB, divided by its EXPOSURE (cd/m^2)."""
    data = path.read_bytes()
    exposure, height, width = _parse_header(data, path)
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_ANYDEPTH | cv2.IMREAD_COLOR)
    if bgr is None or bgr.shape[:2] != (height, width):
        raise DataError(f"{path}: cannot decode Radiance pixels (truncated or corrupt file)")
    rgb = np.ascontiguousarray(bgr[:, :, ::-1], dtype=np.float32)
    return rgb / np.float32(exposure) if exposure != 1.0 else rgb


def encode_radiance(pixels: np.ndarray) -> bytes:
    """(H, W, 3) float RGB (cd/m^2, >= 0) -> Radiance RGBE bytes (run-length encoded, no
    EXPOSURE line; 8-bit mantissas sharing an exponent: errors below 1/128 of each pixel's
    largest channel)."""
    bgr = np.ascontiguousarray(np.asarray(pixels, dtype=np.float32)[:, :, ::-1])
    ok, buffer = cv2.imencode(".hdr", bgr)
    if not ok:
        raise ValueError("OpenCV could not encode the pixels as Radiance RGBE")
    return buffer.tobytes()
