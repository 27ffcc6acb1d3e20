"""Inference plumbing shared by the Python API, ``predict``, ``eval`` and ``export``.

checkpoint: rebuild a trained module from a checkpoint's saved config.
inputs: image files / arrays / tensors and the display they are shown on.
baselines: metrics without training (PSNR, SSIM, PU21 variants, ColorVideoVDP) by name.
"""

from hdr_iqa.inference.checkpoint import model_name, read_checkpoint, restore_module
from hdr_iqa.inference.inputs import ABSOLUTE, Image, display_preset, load_image, resolve_display

__all__ = [
    "ABSOLUTE",
    "Image",
    "display_preset",
    "load_image",
    "model_name",
    "read_checkpoint",
    "resolve_display",
    "restore_module",
]
