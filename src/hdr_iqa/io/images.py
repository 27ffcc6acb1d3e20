"""Read and write images in the units the photometric chain expects.

=========================  ===================  ======================================
format                     suffixes             returned by :func:`read_image`
=========================  ===================  ======================================
PNG, JPEG, BMP, TIFF       display-encoded      uint8 (8-bit) or float32 in [0, 1] (16-bit)
OpenEXR                    ``.exr``             float32 absolute luminance, cd/m^2
Radiance RGBE              ``.hdr``             float32 cd/m^2 (stored values / EXPOSURE)
Portable Float Map         ``.pfm``             float32 cd/m^2
=========================  ===================  ======================================

Always (H, W, 3) RGB: grey is replicated, alpha dropped. An empty file, or one whose bytes are
of another format than its suffix says, is refused before decoding. HDR files with NaN, infinite
or (beyond a tiny tolerance, clamped) negative values, or no positive value, are rejected
(:func:`~hdr_iqa.io.luminance.clean_luminance`); one whose peak is at most 2 cd/m^2 gets a
:class:`~hdr_iqa.io.luminance.RelativeLuminanceWarning` saying how to scale it. Every failure
raises a :mod:`hdr_iqa.errors` type naming the file, whatever the decoder raised.
:func:`write_image` writes the format the suffix names (never a silently different one),
atomically.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from hdr_iqa.errors import DataError, MissingFileError
from hdr_iqa.io.containers import check_container
from hdr_iqa.io.display_formats import encode_display, read_display
from hdr_iqa.io.exr import read_exr, write_exr
from hdr_iqa.io.luminance import (
    check_luminance,
    clean_luminance,
    looks_relative,
    warn_if_relative,
)
from hdr_iqa.io.pfm import encode_pfm, read_pfm
from hdr_iqa.io.radiance import encode_radiance, read_radiance

Encoding = Literal["display", "luminance"]
DISPLAY_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"})
LUMINANCE_SUFFIXES = frozenset({".exr", ".hdr", ".pfm"})
_LUMINANCE_READERS = {".exr": read_exr, ".hdr": read_radiance, ".pfm": read_pfm}


def image_encoding(path: str | Path) -> Encoding:
    """``"display"`` for display-encoded formats, ``"luminance"`` for HDR (cd/m^2) formats.

    Example:
        >>> image_encoding("a/I01.PNG"), image_encoding("ref.exr")
        ('display', 'luminance')
    """
    suffix = Path(path).suffix.lower()
    if suffix in DISPLAY_SUFFIXES:
        return "display"
    if suffix in LUMINANCE_SUFFIXES:
        return "luminance"
    known = sorted(DISPLAY_SUFFIXES | LUMINANCE_SUFFIXES)
    raise DataError(f"{path}: unsupported image format {suffix!r}; expected one of {known}")


def read_image(path: str | Path, warn_relative: bool = True) -> np.ndarray:
    """Read an image as (H, W, 3): uint8 / float32 [0, 1] (display-encoded) or float32 cd/m^2."""
    path = Path(path)
    encoding = image_encoding(path)
    if not path.is_file():
        raise MissingFileError(f"{path}: image file not found")
    try:
        check_container(path)
        if encoding == "display":
            return _to_rgb(read_display(path), path)
        pixels = _to_rgb(_LUMINANCE_READERS[path.suffix.lower()](path), path)
    except DataError:
        raise
    except OSError as error:
        raise DataError(f"{path}: cannot read file ({error})") from error
    except (cv2.error, ValueError, RuntimeError, MemoryError) as error:  # the decoder's own
        raise DataError(f"{path}: cannot decode image ({error})") from error
    pixels = clean_luminance(pixels, path)
    if warn_relative:
        warn_if_relative(pixels, path)
    return pixels


def _to_rgb(pixels: np.ndarray, path: Path) -> np.ndarray:
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    channels = pixels.shape[2]
    if channels in (1, 2):  # grey (+ alpha)
        return np.ascontiguousarray(np.repeat(pixels[:, :, :1], 3, axis=2))
    if channels in (3, 4):
        return np.ascontiguousarray(pixels[:, :, :3])
    raise DataError(f"{path}: expected 1 to 4 channels, found {channels}")


def write_image(path: str | Path, pixels: np.ndarray) -> Path:
    """Write (H, W, 3) pixels in the format of the suffix.

    * ``.png .jpg .jpeg .bmp .tif .tiff``: uint8 (or uint16 for PNG/TIFF), display-encoded;
    * ``.exr``: float32 or float16 (half) cd/m^2; ``.hdr``: Radiance RGBE; ``.pfm``: float32.

    Luminance must be finite and >= 0. The file is written to a temporary name and renamed, so
    a killed write leaves no partial file.
    """
    path = Path(path)
    encoding = image_encoding(path)
    pixels = np.asarray(pixels)
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise DataError(f"{path}: expected (H, W, 3) pixels, got shape {pixels.shape}")
    suffix = path.suffix.lower()
    try:
        if encoding == "luminance":
            if not np.issubdtype(pixels.dtype, np.floating):
                raise ValueError(f"HDR images are written from float pixels, not {pixels.dtype}")
            check_luminance(pixels, path)
            data = None if suffix == ".exr" else _encode_luminance(pixels, suffix)
        else:
            data = encode_display(pixels, suffix)
    except ValueError as error:
        raise DataError(f"{path}: {error}") from error
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            if data is not None:
                handle.write(data)
        if data is None:
            write_exr(Path(tmp), pixels)
        os.replace(tmp, path)
    except (OSError, RuntimeError) as error:  # e.g. a full disk; OpenEXR raises RuntimeError
        Path(tmp).unlink(missing_ok=True)
        raise DataError(f"{path}: cannot write image ({error})") from error
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _encode_luminance(pixels: np.ndarray, suffix: str) -> bytes:
    return encode_radiance(pixels) if suffix == ".hdr" else encode_pfm(pixels)


@dataclass(frozen=True)
class ImageInfo:
    """What :func:`describe_image` read: format, units and value range.

    Attributes:
        path: the file.
        encoding: ``"display"`` (values shown on a display model) or ``"luminance"`` (cd/m^2).
        units: human-readable units of ``minimum``/``maximum``.
        height, width: size in pixels.
        minimum, maximum, median: over all channels, in ``units``.
        relative: HDR values that look relative (peak <= 2 cd/m^2).
    """

    path: str
    encoding: Encoding
    units: str
    height: int
    width: int
    minimum: float
    maximum: float
    median: float
    relative: bool


def describe_image(path: str | Path) -> ImageInfo:
    """Read ``path`` and say what it holds and in what units."""
    pixels = read_image(path, warn_relative=False)
    encoding = image_encoding(path)
    values = pixels.astype(np.float32) / (255.0 if pixels.dtype == np.uint8 else 1.0)
    return ImageInfo(
        path=str(path),
        encoding=encoding,
        units="cd/m^2" if encoding == "luminance" else "display-encoded [0, 1]",
        height=int(pixels.shape[0]),
        width=int(pixels.shape[1]),
        minimum=float(values.min()),
        maximum=float(values.max()),
        median=float(np.median(values)),
        relative=encoding == "luminance" and looks_relative(values),
    )
