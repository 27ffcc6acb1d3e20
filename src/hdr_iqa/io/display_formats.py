"""Display-encoded formats (PNG, JPEG, BMP, TIFF) through OpenCV, read from bytes.

8-bit files come back as uint8, 16-bit ones as float32 in [0, 1]. A JPEG without its end-of-image
marker is reported as truncated (libjpeg would otherwise fill the missing rows with grey).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from hdr_iqa.errors import DataError

_JPEG = frozenset({".jpg", ".jpeg"})


def read_display(path: Path) -> np.ndarray:
    """Read a display-encoded image: (H, W, C) RGB(A) or (H, W) grey, uint8 (8-bit files) or
    float32 in [0, 1] (16-bit files, ``k / 65535``). Raises a DataError naming ``path``."""
    data = path.read_bytes()
    if path.suffix.lower() in _JPEG and not data.rstrip(b"\x00")[-2:] == b"\xff\xd9":
        raise DataError(f"{path}: truncated JPEG file (no end-of-image marker)")
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.size == 0:
        raise DataError(f"{path}: cannot decode image (truncated or not a {path.suffix} file)")
    if pixels.ndim == 3 and pixels.shape[2] >= 3:
        pixels = pixels[:, :, [2, 1, 0, 3][: pixels.shape[2]]]  # BGR(A) -> RGB(A)
    if pixels.dtype == np.uint8:
        return np.ascontiguousarray(pixels)
    if pixels.dtype == np.uint16:
        return pixels.astype(np.float32) / np.float32(65535.0)
    raise DataError(f"{path}: unsupported sample type {pixels.dtype} for a display-encoded image")


def encode_display(pixels: np.ndarray, suffix: str) -> bytes:
    """(H, W, 3) display-encoded RGB, uint8 (any format) or uint16 (PNG, TIFF) -> the bytes of
    a ``suffix`` file (e.g. ``".png"``)."""
    if pixels.dtype == np.uint16 and suffix.lower() not in (".png", ".tif", ".tiff"):
        raise ValueError(f"16-bit pixels can be written to PNG or TIFF, not {suffix}")
    if pixels.dtype not in (np.uint8, np.uint16):
        raise ValueError(
            f"display-encoded images are written from uint8/uint16, not {pixels.dtype}"
        )
    ok, buffer = cv2.imencode(suffix, np.ascontiguousarray(pixels[:, :, ::-1]))
    if not ok:
        raise ValueError(f"OpenCV could not encode the pixels as {suffix}")
    return buffer.tobytes()
