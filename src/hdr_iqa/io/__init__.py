"""Image input/output: display-encoded formats and HDR (absolute luminance) formats."""

from hdr_iqa.io.code_values import container_values
from hdr_iqa.io.images import (
    DISPLAY_SUFFIXES,
    LUMINANCE_SUFFIXES,
    ImageInfo,
    describe_image,
    image_encoding,
    read_image,
    write_image,
)
from hdr_iqa.io.luminance import (
    NEGATIVE_FLOOR,
    NEGATIVE_FRACTION,
    RELATIVE_PEAK,
    NegativeLuminanceWarning,
    RelativeLuminanceWarning,
    check_luminance,
    clean_luminance,
    looks_relative,
)

__all__ = [
    "DISPLAY_SUFFIXES",
    "LUMINANCE_SUFFIXES",
    "NEGATIVE_FLOOR",
    "NEGATIVE_FRACTION",
    "RELATIVE_PEAK",
    "ImageInfo",
    "NegativeLuminanceWarning",
    "RelativeLuminanceWarning",
    "check_luminance",
    "clean_luminance",
    "container_values",
    "describe_image",
    "image_encoding",
    "looks_relative",
    "read_image",
    "write_image",
]
