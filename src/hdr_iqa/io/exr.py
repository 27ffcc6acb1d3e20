"""OpenEXR through the ``OpenEXR`` package (OpenCV 5 wheels are built without EXR support)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import OpenEXR

from hdr_iqa.errors import DataError


def read_exr(path: Path) -> np.ndarray:
    """Read the RGB (or Y) channels of an OpenEXR file as float32 (H, W, 3) or (H, W, 1), as
    stored (taken as cd/m^2 by :func:`hdr_iqa.io.read_image`); alpha is dropped."""
    try:
        with OpenEXR.File(str(path)) as exr:
            channels = {name: np.asarray(c.pixels) for name, c in exr.channels().items()}
    except Exception as error:  # the binding raises RuntimeError/ValueError with no file context
        raise DataError(
            f"{path}: cannot read OpenEXR file, truncated or corrupt ({error})"
        ) from error
    if "RGB" in channels:
        pixels = channels["RGB"]
    elif "RGBA" in channels:
        pixels = channels["RGBA"][:, :, :3]
    elif all(c in channels for c in "RGB"):
        pixels = np.stack([channels[c] for c in "RGB"], axis=-1)
    elif "Y" in channels:
        pixels = channels["Y"][:, :, None]
    else:
        raise DataError(f"{path}: no RGB or Y channels, found {sorted(channels)}")
    return np.ascontiguousarray(pixels, dtype=np.float32)


def write_exr(path: Path, pixels: np.ndarray) -> None:
    """Write (H, W, 3) pixels (cd/m^2) as a ZIP-compressed scanline EXR: float16 stays half,
    float32 stays float, other dtypes are stored as float32."""
    if pixels.dtype not in (np.float16, np.float32):
        pixels = pixels.astype(np.float32)
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    with OpenEXR.File(header, {"RGB": np.ascontiguousarray(pixels)}) as exr:
        exr.write(str(path))
