"""Jittered-grid patch sampling (reference-spec section 4.4)."""

import pytest
import torch

from hdr_iqa.data.patches import (
    extract_patches,
    gather_patches,
    grid_shape,
    sample_positions,
)


@pytest.mark.parametrize(
    ("h", "w", "n", "expected"), [(384, 512, 384, (18, 23)), (256, 256, 384, (20, 20))]
)
def test_grid_shape_matches_reference(h, w, n, expected):
    assert grid_shape(h, w, n) == expected


@pytest.mark.parametrize(
    ("h", "w", "n", "p"),
    [(384, 512, 384, 16), (192, 256, 96, 64), (64, 64, 5, 64), (70, 500, 40, 64)],
)
def test_positions_are_inside_distinct_cells_and_reproducible(h, w, n, p):
    tops, lefts = sample_positions(h, w, n, p, torch.Generator().manual_seed(3))
    assert tops.shape == lefts.shape == (n,)
    assert tops.min() >= 0 and tops.max() <= h - p and lefts.min() >= 0 and lefts.max() <= w - p
    again = sample_positions(h, w, n, p, torch.Generator().manual_seed(3))
    assert torch.equal(tops, again[0]) and torch.equal(lefts, again[1])
    rows, cols = grid_shape(h, w, n)
    if (h - p) / rows >= 4 and (w - p) / cols >= 4:  # cells resolvable: one patch per cell
        cell_r = ((tops.double() / (h - p)) * rows - 0.5).round()
        cell_c = ((lefts.double() / (w - p)) * cols - 0.5).round()
        assert len(set(zip(cell_r.tolist(), cell_c.tolist(), strict=True))) == n


def test_positions_cover_the_image():
    tops, lefts = sample_positions(384, 512, 384, 16, torch.Generator().manual_seed(0))
    assert tops.min() < 20 and tops.max() > 384 - 16 - 20
    assert lefts.min() < 20 and lefts.max() > 512 - 16 - 20


def test_image_smaller_than_patch_is_rejected():
    with pytest.raises(ValueError, match="32x48 pixels is smaller than the 64x64 patch"):
        sample_positions(32, 48, 4, 64)


def test_extract_patches_cuts_the_same_place_from_every_image():
    images = torch.arange(2 * 10 * 12 * 3).view(2, 10, 12, 3)  # (K, H, W, C)
    tops, lefts = torch.tensor([0, 6]), torch.tensor([3, 8])
    patches = extract_patches(images, tops, lefts, 4)
    assert patches.shape == (2, 2, 3, 4, 4)
    for k in range(2):
        for i in range(2):
            top, left = int(tops[i]), int(lefts[i])
            assert torch.equal(
                patches[k, i], images[k, top : top + 4, left : left + 4].permute(2, 0, 1)
            )


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_block_copies_equal_the_gather_for_tensors_and_arrays(dtype):
    generator = torch.Generator().manual_seed(0)
    images = (torch.rand((2, 70, 90, 3), generator=generator) * 255).to(dtype)
    tops, lefts = sample_positions(70, 90, 12, 16, generator)
    expected = gather_patches(images, tops, lefts, 16)
    assert torch.equal(extract_patches(images, tops, lefts, 16), expected)
    arrays = [image.numpy() for image in images]
    assert torch.equal(extract_patches(arrays, tops, lefts, 16), expected)
    with pytest.raises(IndexError, match=r"patch at \(60, 0\) is outside the 70x90 image"):
        extract_patches(arrays, torch.tensor([60]), torch.tensor([0]), 16)
