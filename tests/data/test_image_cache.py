"""Decoded images: in-memory LRU and the memory-mapped decoded-file cache."""

import os

import numpy as np
import pytest
import torch

from hdr_iqa.data import PairDataset, PairRecord
from hdr_iqa.data.image_cache import DecodedFileCache, ImageCache
from hdr_iqa.errors import MissingFileError
from hdr_iqa.io import read_image, write_image
from hdr_iqa.photometry import DisplayModel


def _hdr_file(path, seed=0):
    rng = np.random.default_rng(seed)
    return write_image(path, rng.uniform(0.01, 4000, (40, 56, 3)).astype(np.float32))


def test_each_file_is_decoded_once_then_memory_mapped(tmp_path):
    image = _hdr_file(tmp_path / "a.exr")
    cache = DecodedFileCache(tmp_path / "decoded")
    first, second = cache.get(str(image)), cache.get(str(image))
    assert not isinstance(first, np.memmap) and isinstance(second, np.memmap)
    assert np.array_equal(second, read_image(image)) and second.dtype == np.float32
    assert len(list((tmp_path / "decoded").rglob("*.npy"))) == 1
    assert not list((tmp_path / "decoded").rglob("*.tmp"))


def test_a_changed_or_damaged_file_is_decoded_again(tmp_path):
    image = _hdr_file(tmp_path / "a.exr")
    cache = DecodedFileCache(tmp_path / "decoded")
    cache.get(str(image))
    cache = DecodedFileCache(tmp_path / "decoded")  # a new process: nothing mapped yet
    _hdr_file(image, seed=1)  # new content and modification time
    os.utime(image, ns=(1, 1))
    assert np.array_equal(cache.get(str(image)), read_image(image))
    cache.file_for(image).write_bytes(b"not an npy file")
    cache = DecodedFileCache(tmp_path / "decoded")
    assert np.array_equal(cache.get(str(image)), read_image(image))


def test_missing_image_keeps_its_clear_error(tmp_path):
    cache = ImageCache(directory=tmp_path / "decoded")
    with pytest.raises(MissingFileError, match=r"missing\.png: image file not found"):
        cache.get(str(tmp_path / "missing.png"))


@pytest.mark.parametrize("kind", ["sdr", "hdr"])
def test_dataset_items_are_identical_with_the_decoded_cache(tmp_path, kind):
    if kind == "hdr":
        ref, dist = _hdr_file(tmp_path / "r.exr"), _hdr_file(tmp_path / "d.exr", 1)
        display = DisplayModel.absolute_luminance()
    else:
        rng = np.random.default_rng(0)
        ref = write_image(tmp_path / "r.png", rng.integers(0, 256, (40, 56, 3), dtype=np.uint8))
        dist = write_image(tmp_path / "d.png", rng.integers(0, 256, (40, 56, 3), dtype=np.uint8))
        display = DisplayModel()
    record = PairRecord(str(ref), str(dist), 0.5, "c", display, kind)
    items = []
    for decoded_cache in (None, tmp_path / "decoded", tmp_path / "decoded"):  # decode, then map
        dataset = PairDataset([record], 16, 5, train=True, decoded_cache=decoded_cache)
        torch.manual_seed(0)
        items.append(dataset[0])
    for item in items[1:]:
        for key in ("ref", "dist", "pos"):
            assert torch.equal(item[key], items[0][key])
