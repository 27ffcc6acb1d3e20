"""Photometry: display models, PU21, normalisation schemes and the on-device chain (pure torch)."""

from hdr_iqa.photometry.chain import LuminanceChain, PhotometricChain
from hdr_iqa.photometry.display import (
    NUM_PARAMS,
    PARAM_FIELDS,
    DisplayModel,
    display_to_luminance,
    luminance_to_display,
)
from hdr_iqa.photometry.normalization import SCHEMES, normalize_pu, pu_range
from hdr_iqa.photometry.pu21 import L_MAX, L_MIN, PU21, PU21_PARAMS, pu21_decode, pu21_encode
from hdr_iqa.photometry.transfer import (
    hlg_eotf,
    hlg_inverse_eotf,
    pq_eotf,
    pq_inverse_eotf,
    srgb_eotf,
    srgb_inverse_eotf,
)

__all__ = [
    "L_MAX",
    "L_MIN",
    "NUM_PARAMS",
    "PARAM_FIELDS",
    "PU21",
    "PU21_PARAMS",
    "SCHEMES",
    "DisplayModel",
    "LuminanceChain",
    "PhotometricChain",
    "display_to_luminance",
    "hlg_eotf",
    "hlg_inverse_eotf",
    "luminance_to_display",
    "normalize_pu",
    "pq_eotf",
    "pq_inverse_eotf",
    "pu21_decode",
    "pu21_encode",
    "pu_range",
    "srgb_eotf",
    "srgb_inverse_eotf",
]
