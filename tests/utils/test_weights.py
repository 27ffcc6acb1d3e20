"""Weight files: containers, key renaming, strict loading and its errors (the published layouts
of each model are tested beside it, in tests/models/)."""

import pytest
import torch
from torch import nn

from hdr_iqa.errors import MissingFileError, WeightsError
from hdr_iqa.utils.weights import (
    flatten_state_dict,
    load_model_weights,
    load_state_dict_file,
    rename_keys,
)


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 1)
        self.fc = nn.Linear(2, 1)


# ---------------------------------------------------------------------------- containers
def test_lightning_checkpoint_keeps_the_backbone():
    stored = {"state_dict": {"net.fc.bias": torch.ones(1), "other.x": torch.zeros(1)},
              "pytorch-lightning_version": "2.6.6", "epoch": 3}  # fmt: skip
    assert list(flatten_state_dict(stored)) == ["fc.bias"]


def test_paper_code_checkpoint_and_nested_files_are_flattened():
    paper = {"model_state_dict": {"a.b": torch.ones(1)}, "epoch": 2, "SROCC": 0.9,
             "optimizer": {"state": {}}}  # fmt: skip
    nested = {
        "extractor": {"conv1.weight": torch.ones(1)},
        "comparitor": {"fcs.0.bias": torch.ones(1)},
    }
    assert list(flatten_state_dict(paper)) == ["a.b"]
    assert list(flatten_state_dict(nested)) == ["extractor.conv1.weight", "comparitor.fcs.0.bias"]


def test_round_trip_of_a_plain_state_dict(tmp_path):
    original, copy = Tiny(), Tiny()
    torch.save(original.state_dict(), tmp_path / "tiny.pth")
    load_model_weights(copy, tmp_path / "tiny.pth", "some.key")
    x = torch.randn(3, 2)
    assert torch.equal(original.fc(x), copy.fc(x))
    assert torch.equal(original.conv.weight, copy.conv.weight)


def test_missing_file_names_key_and_path(tmp_path):
    with pytest.raises(
        MissingFileError, match=f"model.net.weights: weights file not found: {tmp_path}/no.pth"
    ):
        load_model_weights(Tiny(), tmp_path / "no.pth", "model.net.weights")


def test_unreadable_and_empty_files(tmp_path):
    (tmp_path / "junk.pth").write_text("not a checkpoint")
    with pytest.raises(WeightsError, match=r"some.key: cannot read weights file .*junk.pth"):
        load_state_dict_file(tmp_path / "junk.pth", "some.key")
    torch.save({"epoch": 1}, tmp_path / "empty.pth")
    with pytest.raises(WeightsError, match=r"some.key: .*empty.pth holds no tensors"):
        load_state_dict_file(tmp_path / "empty.pth", "some.key")


def test_mismatch_lists_missing_unexpected_and_wrong_shapes(tmp_path):
    state = Tiny().state_dict()
    state.pop("fc.bias")
    state["conv.weight"] = torch.zeros(3, 1, 1, 1)
    state["head.weight"] = torch.zeros(1)
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(WeightsError, match=(
        r"model.net.weights: .*bad.pth does not match Tiny \(4 entries expected\): "
        r"missing keys: fc.bias; unexpected keys: head.weight; "
        r"wrong shapes: conv.weight \(3, 1, 1, 1\) \(expected \(2, 1, 1, 1\)\)"
    )):  # fmt: skip
        load_model_weights(Tiny(), tmp_path / "bad.pth", "model.net.weights")


def test_rename_keys_applies_the_first_matching_rule_once():
    rules = [(r"^a\.(\d+)\.", r"b.\1."), (r"^a\.", "c."), (r"^b\.", "never.")]
    state = {"a.0.w": torch.zeros(1), "a.x": torch.ones(1), "z": torch.ones(1)}
    assert list(rename_keys(state, rules)) == ["b.0.w", "c.x", "z"]
