"""Inference plumbing shared by the Python API, ``predict``, ``eval`` and ``export``.

checkpoint: rebuild a trained module from a checkpoint's saved config.
inputs: image files / arrays / tensors and the display they are shown on.
scoring: deterministic patches and chunked (bounded-memory) scoring of one pair.
"""

from hdr_iqa.inference.checkpoint import model_name, read_checkpoint, restore_module
from hdr_iqa.inference.inputs import ABSOLUTE, Image, display_preset, load_image, resolve_display
from hdr_iqa.inference.scoring import PairScorer, Patching, grid_positions, patch_terms

__all__ = [
    "ABSOLUTE",
    "Image",
    "PairScorer",
    "Patching",
    "display_preset",
    "grid_positions",
    "load_image",
    "model_name",
    "patch_terms",
    "read_checkpoint",
    "resolve_display",
    "restore_module",
]
