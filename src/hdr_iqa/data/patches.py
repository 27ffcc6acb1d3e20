"""Patch sampling shared by VTAMIQ (16x16) and PieAPP (64x64), reference-spec section 4.4.

Positions are drawn on a jittered stratified grid, identical for the reference and the distorted
image, and patches are cut with one tensor gather (no per-patch Python loop).
"""

from __future__ import annotations

import math

import torch

JITTER = 0.4
"""Half-width of the uniform jitter of a patch inside its grid cell, in cells."""


def grid_shape(height: int, width: int, num_patches: int) -> tuple[int, int]:
    """(rows, cols) of the sampling grid: about square cells, rows * cols >= num_patches.

    Example:
        >>> grid_shape(384, 512, 384)
        (18, 23)
    """
    aspect = height / width
    cols = max(math.ceil(math.sqrt(num_patches / aspect)), 1)
    rows = max(math.ceil(cols * aspect), 1)
    while rows * cols < num_patches:  # guards rounding for extreme aspect ratios
        rows += 1
    return rows, cols


def sample_positions(
    height: int,
    width: int,
    num_patches: int,
    patch_size: int,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-left corners of ``num_patches`` patches on a jittered grid.

    Picks ``num_patches`` distinct cells uniformly, jitters each position by up to +-0.4 cell.

    Returns:
        (tops, lefts): int64 tensors of shape (N,), within [0, H - P] and [0, W - P].
    """
    if height < patch_size or width < patch_size:
        raise ValueError(
            f"image of {height}x{width} pixels is smaller than the {patch_size}x{patch_size} patch"
        )
    rows, cols = grid_shape(height, width, num_patches)
    cells = torch.randperm(rows * cols, generator=generator)[:num_patches]
    jitter = (torch.rand((2, num_patches), generator=generator) * 2 - 1) * JITTER
    u = ((cells // cols).double() + jitter[0] + 0.5) / rows
    v = ((cells % cols).double() + jitter[1] + 0.5) / cols
    tops = (u.clamp(0, 1) * (height - patch_size)).long()
    lefts = (v.clamp(0, 1) * (width - patch_size)).long()
    return tops, lefts


def patch_centres(
    tops: torch.Tensor, lefts: torch.Tensor, height: int, width: int, patch_size: int
) -> torch.Tensor:
    """Normalised patch centres (row, col) = centre / image extent, in (0, 1); shape (N, 2).

    (The paper code divides by ``H - P/2``; this project uses the plain centre / extent.)
    """
    half = patch_size / 2
    return torch.stack(((tops + half) / height, (lefts + half) / width), dim=-1).float()


def extract_patches(
    images: torch.Tensor, tops: torch.Tensor, lefts: torch.Tensor, patch_size: int
) -> torch.Tensor:
    """Cut patches at the same positions from a stack of images.

    Args:
        images: (K, H, W, C) stacked images in file (channels-last) layout, e.g. K = 2 for
            (ref, dist).
        tops, lefts: (N,) int64 top-left corners.
    Returns:
        (K, N, C, P, P) patches, same dtype as ``images``.
    """
    offsets = torch.arange(patch_size)
    rows = (tops[:, None] + offsets)[:, :, None]  # (N, P, 1)
    cols = (lefts[:, None] + offsets)[:, None, :]  # (N, 1, P)
    patches = images[:, rows, cols]  # (K, N, P, P, C)
    return patches.permute(0, 1, 4, 2, 3).contiguous()  # (K, N, C, P, P)
