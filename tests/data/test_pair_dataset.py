import numpy as np
import pytest
import torch

from hdr_iqa.data import PairDataset, PairRecord
from hdr_iqa.errors import DataError
from hdr_iqa.io import read_image, write_image
from hdr_iqa.photometry import NUM_PARAMS, DisplayModel


def make_records(tmp_path, n=3, hdr=False):
    rng = np.random.default_rng(0)
    records = []
    for i in range(n):
        if hdr:
            ref = rng.uniform(0.01, 4000, (80, 96, 3)).astype(np.float32)
            paths = [
                write_image(tmp_path / f"r{i}.exr", ref),
                write_image(tmp_path / f"d{i}.exr", ref * 0.5),
            ]
            display = DisplayModel.absolute_luminance()
        else:
            ref = rng.integers(0, 256, (80, 96, 3), dtype=np.uint8)
            paths = [
                write_image(tmp_path / f"r{i}.png", ref),
                write_image(tmp_path / f"d{i}.png", 255 - ref),
            ]
            display = DisplayModel()
        records.append(
            PairRecord(
                str(paths[0]), str(paths[1]), 0.1 * i, f"c{i}", display, "hdr" if hdr else "sdr"
            )
        )
    return records


def test_item_shapes_and_types(tmp_path):
    item = PairDataset(
        make_records(tmp_path), patch_size=16, num_patches=5, train=False, repeats=3
    )[1]
    assert item["ref"].shape == item["dist"].shape == (3, 5, 3, 16, 16)
    assert item["ref"].dtype == torch.uint8 and item["pos"].shape == (3, 5, 2)
    assert item["display"].shape == (NUM_PARAMS,) and item["score"] == pytest.approx(0.1)
    assert torch.equal(item["dist"], 255 - item["ref"])  # same positions in ref and dist


def test_luminance_records_give_float_patches(tmp_path):
    item = PairDataset(make_records(tmp_path, hdr=True), 16, 4, train=True)[0]
    assert item["ref"].dtype == torch.float32 and item["ref"].max() > 1
    assert torch.allclose(item["dist"], item["ref"] * 0.5)


def test_evaluation_draws_are_reproducible_and_differ_per_repeat(tmp_path):
    records = make_records(tmp_path)
    a = PairDataset(records, 16, 6, train=False, repeats=2, seed=5)[2]
    b = PairDataset(records, 16, 6, train=False, repeats=2, seed=5)[2]
    assert torch.equal(a["pos"], b["pos"]) and torch.equal(a["ref"], b["ref"])
    assert not torch.equal(a["pos"][0], a["pos"][1])
    c = PairDataset(records, 16, 6, train=False, repeats=2, seed=6)[2]
    assert not torch.equal(a["pos"], c["pos"])


def test_size_mismatch_names_both_files(tmp_path):
    record = make_records(tmp_path, n=1)[0]
    write_image(record.dist, np.zeros((80, 90, 3), np.uint8))
    with pytest.raises(DataError, match=r"r0\.png is 96x80, .*d0\.png is 90x80"):
        PairDataset([record], 16, 2, train=False)[0]


def test_unreadable_image_is_named(tmp_path):
    record = make_records(tmp_path, n=1)[0]
    with open(record.ref, "wb") as handle:
        handle.write(b"not a png")
    with pytest.raises(DataError, match=r"r0\.png: not a PNG file \(it starts with b.not a pn"):
        PairDataset([record], 16, 2, train=False)[0]


def test_flipped_patches_are_the_mirrored_image_at_their_positions(tmp_path):
    """Training flips mirror ref and dist patches together, and ``pos`` follows the mirror."""
    (record,) = make_records(tmp_path, n=1)
    ref = read_image(record.ref)
    dist = read_image(record.dist)
    height, width, size = ref.shape[0], ref.shape[1], 16
    dataset = PairDataset([record], patch_size=size, num_patches=6, train=True, repeats=2)
    seen = set()
    for seed in range(12):
        torch.manual_seed(seed)
        item = dataset[0]
        matches = set()
        for flip_rows, flip_cols in [(a, b) for a in (False, True) for b in (False, True)]:
            steps = (-1 if flip_rows else 1, -1 if flip_cols else 1)
            shown = {
                k: image[:: steps[0], :: steps[1]] for k, image in (("ref", ref), ("dist", dist))
            }
            ok = True
            for r, n in np.ndindex(2, 6):
                row, col = item["pos"][r, n].tolist()
                # the default ("paper") convention: centre / (extent - P/2)
                top = round(row * (height - size / 2) - size / 2)
                left = round(col * (width - size / 2) - size / 2)
                for key in ("ref", "dist"):
                    region = shown[key][top : top + size, left : left + size].transpose(2, 0, 1)
                    ok &= region.shape[1:] == (size, size) and np.array_equal(
                        item[key][r, n].numpy(), region
                    )
            if ok:
                matches.add((flip_rows, flip_cols))
        assert len(matches) == 1, f"seed {seed}: patches match {matches}"
        seen |= matches
    assert len(seen) == 4  # every flip combination occurred


def test_10_bit_pq_records_give_the_signal_code_values(tmp_path):
    codes = np.random.default_rng(1).integers(0, 1024, (40, 48, 3)).astype(np.uint16)
    ref = write_image(tmp_path / "ref.png", codes << 6)  # MSB-aligned in 16 bits
    dist = write_image(tmp_path / "dist.png", codes)  # LSB-aligned
    display = DisplayModel(peak=1500, contrast=1e6, ambient=10, eotf="pq", bits=10)
    record = PairRecord(str(ref), str(dist), 0.0, "c", display, "hdr")
    item = PairDataset([record], patch_size=16, num_patches=4, train=False)[0]
    assert item["ref"].dtype == torch.float32 and torch.equal(item["ref"], item["dist"])
    top = item["ref"][0, 0] * 1023  # the first patch, (3, 16, 16)
    assert torch.allclose(top, top.round(), atol=1e-4) and top.max() > 900


def test_whole_image_sampling_gives_each_image_once(tmp_path):
    records = make_records(tmp_path)
    dataset = PairDataset(records, patch_size=None, num_patches=7, train=False, repeats=3)
    item = dataset[1]
    ref, dist = read_image(records[1].ref), read_image(records[1].dist)
    assert item["ref"].shape == item["dist"].shape == (1, 1, 3, 80, 96)
    assert torch.equal(item["ref"][0, 0], torch.from_numpy(ref).permute(2, 0, 1))
    assert torch.equal(item["dist"][0, 0], torch.from_numpy(dist).permute(2, 0, 1))
    assert item["pos"].tolist() == [[[0.5, 0.5]]]
