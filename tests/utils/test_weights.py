"""Weight files: containers, key maps of published layouts, strict loading and its errors."""

import hydra
import pytest
import torch
from torch import nn

from hdr_iqa.errors import MissingFileError, WeightsError
from hdr_iqa.models import PieAPP
from hdr_iqa.models.pieapp import EXTRACTOR_CHANNELS
from hdr_iqa.utils.weights import (
    flatten_state_dict,
    load_model_weights,
    load_state_dict_file,
    vtamiq_from_paper_code,
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


def test_vtamiq_map_leaves_other_layouts_alone():
    state = {"vit.cls_token": torch.zeros(1)}
    assert vtamiq_from_paper_code(state) == state


# ---------------------------------------------------------------------------- PieAPP layouts
def published_pieapp_state() -> dict[str, torch.Tensor]:
    """[DA] PieAPP / official PU-PieAPP keys and shapes (weights-compat.md sections 1, 3)."""
    generator = torch.Generator().manual_seed(0)
    rand = lambda *shape: torch.randn(shape, generator=generator) * 0.01  # noqa: E731
    state = {}
    for i, (c_in, c_out) in enumerate(EXTRACTOR_CHANNELS, start=1):
        state[f"extractor.conv{i}.weight"] = rand(c_out, c_in, 3, 3)
        state[f"extractor.conv{i}.bias"] = rand(c_out)
    # the 512 x 120,832 layer as a broadcast view: a random tensor of the right shape whose file
    # stays small (torch.save stores the 512 values once)
    state["comparitor.fcs.0.weight"] = rand(512, 1).expand(512, 120_832)
    state.update({
        "comparitor.fcs.0.bias": rand(512), "comparitor.fcs.2.weight": rand(1, 512),
        "comparitor.fcs.2.bias": rand(1), "comparitor.fcs.4.weight": rand(1, 1),
        "comparitor.fcs.4.bias": rand(1), "comparitor.weights.0.weight": rand(512, 2048),
        "comparitor.weights.0.bias": rand(512), "comparitor.weights.2.weight": rand(1, 512),
        "comparitor.weights.2.bias": rand(1),
    })  # fmt: skip
    assert len(state) == 32 and sum(v.numel() for v in state.values()) == 68_376_580
    return state


def test_paper_code_pieapp_checkpoint_through_the_config(make_cfg, tmp_path):
    state = published_pieapp_state()
    torch.save({"model_state_dict": state, "epoch": 5, "SROCC": 0.8}, tmp_path / "best.pth")
    module = hydra.utils.instantiate(make_cfg(f"model.net.weights={tmp_path / 'best.pth'}").model)
    loaded = module.net.state_dict()
    for key, value in state.items():
        assert torch.equal(loaded[key.replace("comparitor.", "comparator.")], value), key


def test_official_pu_pieapp_file_without_sigmoid(tmp_path):
    state = published_pieapp_state()
    nested = {part: {k.split(".", 1)[1]: v for k, v in state.items() if k.startswith(part)}
              for part in ("extractor", "comparitor")}  # fmt: skip
    torch.save(nested, tmp_path / "pupieapp_weights.pt")
    model = PieAPP(weight_sigmoid=False, weights=tmp_path / "pupieapp_weights.pt")
    assert torch.equal(model.extractor.conv7.weight, state["extractor.conv7.weight"])
    # the official weight branch: Linear -> ReLU -> Linear -> + 1e-6 (no sigmoid)
    delta = torch.randn(5, 2048)
    hidden = torch.relu(
        delta @ state["comparitor.weights.0.weight"].T + state["comparitor.weights.0.bias"]
    )
    expected = (
        hidden @ state["comparitor.weights.2.weight"].T + state["comparitor.weights.2.bias"] + 1e-6
    )
    _, weight = model.comparator(torch.zeros(5, 120_832), delta)
    assert torch.allclose(weight, expected.squeeze(-1), atol=1e-6)


def test_mismatched_pieapp_file_names_the_key(tmp_path):
    state = published_pieapp_state()
    del state["comparitor.weights.2.bias"]
    torch.save(state, tmp_path / "pieapp.pth")
    expected = (r"model.net.weights: .*pieapp.pth does not match PieAPP \(32 entries expected\): "
                r"missing keys: comparator.weights.2.bias$")  # fmt: skip
    with pytest.raises(WeightsError, match=expected):
        PieAPP(weights=tmp_path / "pieapp.pth")
