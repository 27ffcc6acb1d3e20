"""Read and write images in the units the photometric chain expects.

* Display-encoded files (PNG, JPEG, BMP, TIFF): 8-bit files are returned as uint8 (H, W, 3),
  16-bit ones as float32 in [0, 1]; the values are shown on a display model later.
* HDR files (OpenEXR): float32 (H, W, 3) absolute luminance in cd/m^2 (linear RGB).

Grayscale is replicated to RGB and alpha dropped. Every failure names the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import OpenEXR

from hdr_iqa.errors import DataError, MissingFileError

Encoding = Literal["display", "luminance"]
DISPLAY_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"})
LUMINANCE_SUFFIXES = frozenset({".exr"})


def image_encoding(path: str | Path) -> Encoding:
    """``"display"`` for display-encoded formats, ``"luminance"`` for HDR (cd/m^2) formats."""
    suffix = Path(path).suffix.lower()
    if suffix in DISPLAY_SUFFIXES:
        return "display"
    if suffix in LUMINANCE_SUFFIXES:
        return "luminance"
    known = sorted(DISPLAY_SUFFIXES | LUMINANCE_SUFFIXES)
    raise DataError(f"{path}: unsupported image format {suffix!r}; expected one of {known}")


def read_image(path: str | Path) -> np.ndarray:
    """Read an image as (H, W, 3): uint8 / float32 [0, 1] (display-encoded) or float32 cd/m^2."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path}: image file not found")
    if image_encoding(path) == "luminance":
        return _read_exr(path)
    return _read_display(path)


def _to_rgb(pixels: np.ndarray, path: Path) -> np.ndarray:
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    channels = pixels.shape[2]
    if channels == 1:
        return np.repeat(pixels, 3, axis=2)
    if channels in (3, 4):
        return pixels[:, :, :3]
    raise DataError(f"{path}: expected 1, 3 or 4 channels, found {channels}")


def _read_display(path: Path) -> np.ndarray:
    pixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.size == 0:
        raise DataError(f"{path}: cannot decode image (truncated or not a {path.suffix} file)")
    if pixels.ndim == 3:
        pixels = pixels[:, :, [2, 1, 0, 3][: pixels.shape[2]]] if pixels.shape[2] >= 3 else pixels
    pixels = _to_rgb(pixels, path)
    if pixels.dtype == np.uint8:
        return np.ascontiguousarray(pixels)
    if pixels.dtype == np.uint16:
        return (pixels.astype(np.float32) / 65535.0).copy()
    raise DataError(f"{path}: unsupported sample type {pixels.dtype} for a display-encoded image")


def _read_exr(path: Path) -> np.ndarray:
    try:
        with OpenEXR.File(str(path)) as exr:
            channels = {name: np.asarray(c.pixels) for name, c in exr.channels().items()}
    except Exception as error:  # the binding raises RuntimeError with no file context
        raise DataError(f"{path}: cannot read OpenEXR file ({error})") from error
    if "RGB" in channels:
        pixels = channels["RGB"]
    elif all(c in channels for c in "RGB"):
        pixels = np.stack([channels[c] for c in "RGB"], axis=-1)
    elif "Y" in channels:
        pixels = channels["Y"]
    else:
        raise DataError(f"{path}: no RGB or Y channels, found {sorted(channels)}")
    pixels = _to_rgb(np.asarray(pixels), path).astype(np.float32, copy=False)
    return check_luminance(np.ascontiguousarray(pixels), path)


def check_luminance(pixels: np.ndarray, path: str | Path) -> np.ndarray:
    """Reject NaN, infinite or negative luminance (returns ``pixels`` unchanged if valid)."""
    if not np.isfinite(pixels).all():
        raise DataError(f"{path}: luminance contains NaN or infinite values")
    if (pixels < 0).any():
        raise DataError(
            f"{path}: luminance contains negative values (min {float(pixels.min()):.4g} cd/m^2)"
        )
    return pixels


def write_image(path: str | Path, pixels: np.ndarray) -> Path:
    """Write (H, W, 3) pixels: uint8 to PNG/BMP/TIFF/JPEG, float cd/m^2 to EXR (half if float16).

    The file is written to a temporary name and renamed, so a killed write leaves no partial file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    if image_encoding(path) == "luminance":
        if pixels.dtype not in (np.float16, np.float32):
            pixels = pixels.astype(np.float32)
        header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
        with OpenEXR.File(header, {"RGB": np.ascontiguousarray(pixels)}) as exr:
            exr.write(str(tmp))
    else:
        if pixels.dtype != np.uint8:
            raise DataError(f"{path}: display-encoded images are written from uint8 pixels")
        if not cv2.imwrite(str(tmp), np.ascontiguousarray(pixels[:, :, ::-1])):
            raise DataError(f"{path}: cannot encode image")
    tmp.replace(path)
    return path
