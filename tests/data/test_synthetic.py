"""The embedded synthetic dataset: layout, labels, determinism, corruption detection."""

import json
import shutil

import numpy as np
import pytest

from hdr_iqa.data.datasets import SyntheticIQA, synthetic
from hdr_iqa.data.datasets._synthetic_content import quality_label
from hdr_iqa.data.datasets.synthetic import generate_synthetic
from hdr_iqa.errors import DataError, MissingFileError
from hdr_iqa.io import read_image
from hdr_iqa.photometry import DisplayModel

SDR_DISPLAY = DisplayModel(ambient=100)


def test_both_domains_with_labels_in_the_project_direction(synthetic_data_dir):
    root = synthetic_data_dir / "synthetic"
    sdr = SyntheticIQA(root, "sdr", SDR_DISPLAY).records()
    hdr = SyntheticIQA(root, "hdr").records()
    assert len(sdr) == len(hdr) == 16 * 15
    assert {r.content for r in sdr} == {r.content for r in hdr} and len(
        {r.content for r in sdr}
    ) == 16
    for records in (sdr, hdr):
        scores = np.array([r.score for r in records])
        assert scores.min() >= 0 and scores.std() > 0.05
        levels = np.array([r.meta["level"] for r in records])
        assert scores[levels == 1].mean() < scores[levels == 2].mean() < scores[levels == 3].mean()
    assert all(not r.display.absolute for r in sdr) and all(r.display.absolute for r in hdr)


def test_hdr_images_are_absolute_luminance_with_highlights(synthetic_data_dir):
    ref = SyntheticIQA(synthetic_data_dir / "synthetic", "hdr").records()[0].ref
    pixels = read_image(ref)
    assert pixels.dtype == np.float32 and pixels.shape == (192, 256, 3)
    assert pixels.max() > 1000 and pixels.min() < 0.1


def test_label_is_zero_for_identical_and_grows_with_noise():
    rng = np.random.default_rng(0)
    image = rng.uniform(1, 500, (64, 64, 3))
    assert quality_label(image, image) == pytest.approx(0.0, abs=1e-12)
    labels = [
        quality_label(image, image * rng.lognormal(0, s, image.shape)) for s in (0.05, 0.2, 0.5)
    ]
    assert labels[0] < labels[1] < labels[2]


def test_generation_is_deterministic(tmp_path):
    """Two generations (small images: the same code at 1/16 of the pixels) write the same files
    and labels; the session's dataset is the default size."""
    first, second = (
        json.loads((generate_synthetic(tmp_path / name, 48, 64) / "manifest.json").read_text())
        for name in ("first", "second")
    )
    assert first["generator"] == {"height": 48, "width": 64, "seed": 0}
    assert len(first["records"]) == 16 * 30 and len(first["sha256"]) == 16 * 32
    assert first["records"] == second["records"] and first["sha256"] == second["sha256"]


def test_corrupt_file_is_named(synthetic_data_dir, tmp_path):
    root = tmp_path / "synthetic"
    shutil.copytree(synthetic_data_dir / "synthetic", root)
    victim = root / "hdr" / "coffee__blur_2.exr"
    victim.write_bytes(victim.read_bytes()[:200])
    with pytest.raises(DataError, match=r"coffee__blur_2\.exr: contents do not match"):
        SyntheticIQA(root, "hdr").records()


def test_files_are_hashed_once_per_process_until_one_changes(
    synthetic_data_dir, tmp_path, monkeypatch
):
    root = tmp_path / "synthetic"
    shutil.copytree(synthetic_data_dir / "synthetic", root)
    hashed, sha256_file = [], synthetic.sha256_file
    monkeypatch.setattr(
        synthetic, "sha256_file", lambda path: hashed.append(path) or sha256_file(path)
    )
    SyntheticIQA(root, "hdr").records()
    assert len(hashed) == 16 * 32  # every file of both domains
    SyntheticIQA(root, "sdr", SDR_DISPLAY).records()
    assert len(hashed) == 16 * 32  # verified and unchanged: not hashed again
    victim = root / "sdr" / "coffee__noise_1.png"
    victim.write_bytes(victim.read_bytes()[:200])
    with pytest.raises(DataError, match=r"coffee__noise_1\.png: contents do not match"):
        SyntheticIQA(root, "sdr", SDR_DISPLAY).records()


def test_missing_dataset_without_generation_is_an_error(tmp_path):
    with pytest.raises(MissingFileError, match=f"synthetic dataset not found: {tmp_path}/nope"):
        SyntheticIQA(tmp_path / "nope", "sdr", SDR_DISPLAY, generate=False).records()
