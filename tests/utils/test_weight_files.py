"""Unreadable weight files are named with what is wrong with them (empty, a Git LFS pointer,
truncated, pickled objects), never with the loaders' advice to load them unsafely."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import timm
import torch
from safetensors.torch import save_file

from hdr_iqa.errors import WeightsError
from hdr_iqa.inference import read_checkpoint
from hdr_iqa.models.vtamiq import load_timm_vit
from hdr_iqa.utils.weights import read_weights_file
from tests.helpers.commands import eval_command, logged_errors, train_command

LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 273814216\n"
)
UNSAFE = ("weights_only", "allow_pickle", "trust", "Traceback")


def lfs_pointer(path: Path) -> None:
    path.write_text(LFS_POINTER)


def empty(path: Path) -> None:
    path.write_bytes(b"")


def truncated(path: Path) -> None:
    if path.suffix == ".safetensors":
        save_file({"w": torch.zeros(256)}, path)
    else:
        torch.save({"state_dict": {"w": torch.zeros(256)}}, path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def truncated_legacy(path: Path) -> None:
    torch.save({"w": torch.zeros(256)}, path, _use_new_zipfile_serialization=False)
    path.write_bytes(path.read_bytes()[:40])


def pickled_objects(path: Path) -> None:
    torch.save({"w": np.zeros(3)}, path)  # a NumPy array: loads only with weights_only=False


CASES = {
    lfs_pointer: r"is a Git LFS pointer, not the weights: run git lfs pull$",
    empty: r"is empty \(0 bytes\), not the weights",
    truncated: r"(truncated|not a complete safetensors file)",
    truncated_legacy: r": the file ends early, it is truncated",
    pickled_objects: r"holds pickled Python objects \(numpy\.[\w.]+\)",
}


def check(message: str, path: Path, key: str, expected: str) -> None:
    assert message.startswith(f"{key}: ") and str(path) in message, message
    assert "\n" not in message and not any(word in message for word in UNSAFE), message
    assert __import__("re").search(expected, message), message


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
@pytest.mark.parametrize("make", list(CASES), ids=lambda f: f.__name__)
def test_weights_files(tmp_path, make: Callable[[Path], None], suffix: str):
    if suffix == ".safetensors" and make in (truncated_legacy, pickled_objects):
        pytest.skip("a torch.save format")
    path = tmp_path / f"weights{suffix}"
    make(path)
    with pytest.raises(WeightsError) as raised:
        read_weights_file(path, "model.net.weights")
    check(str(raised.value), path, "model.net.weights", CASES[make])


@pytest.mark.parametrize("make", list(CASES), ids=lambda f: f.__name__)
def test_checkpoints(tmp_path, make: Callable[[Path], None]):
    path = tmp_path / "last.ckpt"
    make(path)
    with pytest.raises(WeightsError) as raised:
        read_checkpoint(path)
    check(str(raised.value), path, "ckpt_path", CASES[make])


@pytest.mark.parametrize("suffix", [".npz", ".pth"])
@pytest.mark.parametrize("make", [lfs_pointer, empty, truncated], ids=lambda f: f.__name__)
def test_vit_weights(tmp_path, make: Callable[[Path], None], suffix: str):
    path = tmp_path / f"ViT-B_16{suffix}"
    if suffix == ".npz" and make is truncated:
        np.savez(path, w=np.zeros(4096))
        path.write_bytes(path.read_bytes()[:100])
    else:
        make(path)
    vit = timm.create_model("vit_tiny_patch16_384", depth=1, num_classes=0)
    with pytest.raises(WeightsError) as raised:
        load_timm_vit(vit, path, "model.net.vit_weights")
    expected = CASES[make] if make is not truncated else r"\S"
    check(str(raised.value), path, "model.net.vit_weights", expected)


def test_the_commands_name_a_git_lfs_pointer(tmp_path, synthetic_data_dir, capsys):
    """One line and exit code 1 from python -m hdr_iqa.eval / hdr_iqa.train."""
    pointer = tmp_path / "last.ckpt"
    lfs_pointer(pointer)
    assert eval_command(tmp_path / "eval", pointer) == 1
    assert logged_errors(capsys) == [
        f"WeightsError: ckpt_path: {pointer} is a Git LFS pointer, not the weights: run git lfs "
        "pull"
    ]
    weights = tmp_path / "pupieapp_weights.pt"
    lfs_pointer(weights)
    code = train_command(tmp_path / "train", synthetic_data_dir, f"model.net.weights={weights}",
                         tiny_model=False)  # fmt: skip
    assert code == 1
    assert logged_errors(capsys) == [
        f"WeightsError: model.net.weights: {weights} is a Git LFS pointer, not the weights: run "
        "git lfs pull"
    ]
