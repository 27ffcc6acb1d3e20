"""Image input/output: display-encoded formats and HDR (absolute luminance) formats."""

from hdr_iqa.io.images import (
    DISPLAY_SUFFIXES,
    LUMINANCE_SUFFIXES,
    check_luminance,
    image_encoding,
    read_image,
    write_image,
)

__all__ = [
    "DISPLAY_SUFFIXES",
    "LUMINANCE_SUFFIXES",
    "check_luminance",
    "image_encoding",
    "read_image",
    "write_image",
]
