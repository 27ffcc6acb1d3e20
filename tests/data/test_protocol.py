"""The test protocol: position conventions by hand, draws, the saved dict, legacy checkpoints."""

import pytest
import torch

from hdr_iqa.data.patches import sample_positions
from hdr_iqa.data.protocol import (
    LEGACY_POSITIONS,
    PatchProtocol,
    eval_generator,
    mirrored,
    patch_centres,
    saved_protocol,
)
from hdr_iqa.errors import ConfigError, DataError
from hdr_iqa.models.vtamiq import position_index


def test_paper_convention_by_hand():
    """(top + P/2) / (H - P/2): the VTAMIQ paper code's data/patch_sampling.py."""
    tops, lefts = torch.tensor([0, 100, 368]), torch.tensor([0, 250, 496])
    centres = patch_centres(tops, lefts, 384, 512, 16, "paper")
    rows = [8 / 376, 108 / 376, 376 / 376]
    cols = [8 / 504, 258 / 504, 504 / 504]
    assert centres.dtype == torch.float32
    assert centres[:, 0].tolist() == pytest.approx(rows, abs=1e-7)
    assert centres[:, 1].tolist() == pytest.approx(cols, abs=1e-7)


def test_centre_convention_by_hand():
    centres = patch_centres(torch.tensor([0, 48]), torch.tensor([0, 112]), 64, 128, 16, "centre")
    assert centres.flatten().tolist() == pytest.approx([8 / 64, 8 / 128, 56 / 64, 120 / 128])
    with pytest.raises(ConfigError, match="positions must be one of"):
        patch_centres(tops := torch.tensor([0]), tops, 64, 64, 16, "corner")


def test_the_conventions_differ_in_a_third_of_vtamiqs_position_cells():
    """The issue's measurement: with VTAMIQ's 24 x 24 position table, about 39% of the test
    patches of a 384x512 image fall in another cell under the paper code's normalisation."""
    tops, lefts = sample_positions(384, 512, 512, 16, torch.Generator().manual_seed(0))
    cells = {
        c: position_index(patch_centres(tops, lefts, 384, 512, 16, c), 24)
        for c in ("paper", "centre")
    }
    moved = (cells["paper"] != cells["centre"]).float().mean().item()
    assert 0.3 < moved < 0.5


def test_mirrored_corners_give_mirrored_centres():
    tops = torch.tensor([0, 10, 48])
    flipped = mirrored(tops, 64, 16)
    assert flipped.tolist() == [48, 38, 0]
    centre = patch_centres(tops, tops, 64, 64, 16, "centre")[:, 0]
    assert patch_centres(flipped, flipped, 64, 64, 16, "centre")[:, 0].tolist() == pytest.approx(
        (1 - centre).tolist()
    )


def test_cut_gives_each_draws_patches_and_centres():
    images = torch.randint(0, 256, (2, 70, 90, 3), dtype=torch.uint8)
    protocol = PatchProtocol(16, num_patches=5, repeats=3, seed=7)
    patches, pos = protocol.cut(images)
    assert patches.shape == (2, 3, 5, 3, 16, 16) and pos.shape == (3, 5, 2)
    for r in range(3):
        tops, lefts = protocol.corners(70, 90, r)
        expected = sample_positions(70, 90, 5, 16, eval_generator(7, 70, 90, r))
        assert torch.equal(tops, expected[0]) and torch.equal(lefts, expected[1])
        top, left = int(tops[0]), int(lefts[0])
        block = images[1, top : top + 16, left : left + 16].permute(2, 0, 1)
        assert torch.equal(patches[1, r, 0], block)
        assert torch.equal(pos[r], protocol.centres(tops, lefts, 70, 90))
    whole, centre = PatchProtocol(None).cut(images)
    assert whole.shape == (2, 1, 1, 3, 70, 90) and centre.tolist() == [[[0.5, 0.5]]]


def test_grid_protocol_is_one_draw():
    protocol = PatchProtocol(64, num_patches=1, repeats=4, stride=32)
    assert protocol.draws == 1
    tops, _ = protocol.corners(100, 150, 0)
    assert sorted(set(tops.tolist())) == [0, 32, 36]


def test_bad_protocols_and_small_images():
    with pytest.raises(ConfigError, match="patches and repeats must be >= 1"):
        PatchProtocol(16, num_patches=0)
    with pytest.raises(ConfigError, match="stride must be >= 1"):
        PatchProtocol(16, stride=0)
    with pytest.raises(DataError, match="image of 20x10 pixels is smaller"):
        PatchProtocol(16).corners(10, 20, 0)


def test_saved_dict_round_trip_and_legacy_checkpoints():
    protocol = PatchProtocol(16, num_patches=6, repeats=2, seed=3, positions="centre")
    assert PatchProtocol.from_dict(protocol.to_dict()) == protocol
    assert PatchProtocol.from_dict(protocol.to_dict(), repeats=5, stride=None).repeats == 5
    assert saved_protocol({"protocol": protocol.to_dict(), "config": {}}) == protocol
    legacy = {"config": {"seed": 1, "data": {"patch_size": 64, "patches": {"test": 9},
                                             "test_repeats": 2, "seed": 4}}}  # fmt: skip
    assert saved_protocol(legacy) == PatchProtocol(64, 9, 2, 4, positions=LEGACY_POSITIONS)
    assert LEGACY_POSITIONS == "centre"
