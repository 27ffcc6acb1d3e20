"""Code values of 16-bit containers that hold fewer significant bits (10- or 12-bit video).

16-bit PNG/TIFF files are read as ``k / 65535`` (float32 [0, 1]). HDR (PQ, HLG) images are
often 10- or 12-bit signals stored in such a container, either LSB-aligned (``k`` in
0..1023) or MSB-aligned (``k = code << 6``). With a display's ``bits`` set, :func:`container_values`
turns ``k`` back into the signal's code value ``code / (2**bits - 1)``, the value its EOTF takes.
"""

from __future__ import annotations

import numpy as np

from hdr_iqa.errors import DataError

CONTAINER_BITS = 16
SIGNAL_BITS = (10, 12, 16)
"""Significant bits a display may declare (16 = the container's full range)."""


def container_values(pixels: np.ndarray, bits: int | None, name: str) -> np.ndarray:
    """Display-encoded values of a ``bits``-bit signal stored in a 16-bit container.

    Args:
        pixels: (H, W, 3) float32 ``k / 65535`` as read from a 16-bit file (uint8 pixels, and
            any pixels when ``bits`` is None or 16, are returned unchanged).
        bits: significant bits of the signal (10 or 12).
        name: the file, named in errors.
    Returns:
        (H, W, 3) float32 code values in [0, 1]: ``k / (2**bits - 1)`` if every ``k`` fits in
        ``bits`` bits (LSB-aligned), else ``(k >> (16 - bits)) / (2**bits - 1)`` if every ``k``
        is a multiple of ``2**(16 - bits)`` (MSB-aligned).

    Example:
        >>> lsb = np.array([0, 512, 1023], np.float32) / 65535
        >>> msb = np.array([0, 512 << 6, 1023 << 6], np.float32) / 65535
        >>> container_values(lsb, 10, "a").tolist() == container_values(msb, 10, "b").tolist()
        True
    """
    if bits is None or bits == CONTAINER_BITS or pixels.dtype == np.uint8:
        return pixels
    if bits not in SIGNAL_BITS:
        raise DataError(f"{name}: bits must be one of {SIGNAL_BITS}, got {bits}")
    codes = np.rint(pixels.astype(np.float64) * (2**CONTAINER_BITS - 1)).astype(np.int64)
    top = 2**bits - 1
    shift = CONTAINER_BITS - bits
    if int(codes.max(initial=0)) <= top:
        signal = codes
    elif not (codes & ((1 << shift) - 1)).any():
        signal = codes >> shift
    else:
        raise DataError(
            f"{name}: 16-bit values (up to {int(codes.max())}) are not {bits}-bit code values: "
            f"neither all <= {top} (LSB-aligned) nor all multiples of {1 << shift} (MSB-aligned)"
        )
    return (signal / top).astype(np.float32)
