"""Benchmark input pairs: an SDR PNG pair and HDR EXR pairs of given sizes, made from
scikit-image's bundled sample image (nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from skimage import data as sample_images

from hdr_iqa.io import write_image


def _scene(height: int, width: int) -> np.ndarray:
    """(H, W, 3) float32 in [0, 1]: the astronaut sample image resized bilinearly."""
    image = torch.from_numpy(sample_images.astronaut()).permute(2, 0, 1)[None].float() / 255
    resized = torch.nn.functional.interpolate(image, size=(height, width), mode="bilinear")
    return resized[0].permute(1, 2, 0).clamp(0, 1).numpy()


def write_sdr_pair(directory: Path, height: int, width: int) -> tuple[Path, Path]:
    """An 8-bit PNG reference and its noisy copy, (ref, dist) paths."""
    rng = np.random.default_rng(0)
    scene = _scene(height, width)
    noisy = np.clip(scene + rng.normal(0, 0.04, scene.shape), 0, 1)
    ref, dist = directory / f"sdr_{width}x{height}_ref.png", directory / f"sdr_{width}x{height}.png"
    write_image(ref, (scene * 255).round().astype(np.uint8))
    write_image(dist, (noisy * 255).round().astype(np.uint8))
    return ref, dist


def write_hdr_pair(directory: Path, height: int, width: int) -> tuple[Path, Path]:
    """A float32 EXR reference in cd/m^2 (0.05 to 4000) and its noisy copy, (ref, dist)."""
    rng = np.random.default_rng(1)
    luminance = (10 ** (_scene(height, width) * 4.9 - 1.3)).astype(np.float32)
    noisy = luminance * rng.lognormal(0, 0.05, luminance.shape).astype(np.float32)
    ref, dist = directory / f"hdr_{width}x{height}_ref.exr", directory / f"hdr_{width}x{height}.exr"
    write_image(ref, luminance)
    write_image(dist, noisy)
    return ref, dist
