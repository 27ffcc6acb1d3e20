"""Metrics without training (psnr, ssim, pu_psnr, pu_ssim, cvvdp): direction, golden values
against torchmetrics / cvvdp called directly, and the eval / predict / API commands."""

import csv
import json

import numpy as np
import pycvvdp
import pytest
import torch
from torchmetrics.functional.image import (
    peak_signal_noise_ratio,
    structural_similarity_index_measure,
)

from hdr_iqa import load_model
from hdr_iqa.errors import ConfigError
from hdr_iqa.io import read_image
from hdr_iqa.models.baselines import BASELINE_DIRECTION
from hdr_iqa.photometry import PU21, DisplayModel, normalize_pu
from tests.helpers.cli import run_main
from tests.helpers.commands import baseline_command, logged_errors

BASELINES = ["psnr", "ssim", "pu_psnr", "pu_ssim", "cvvdp"]
PAIRS_PER_CONTENT = 15  # synthetic data: 5 distortions x 3 levels of each reference


def scene(seed: int = 0, height: int = 64, width: int = 96) -> np.ndarray:
    """A smooth colour scene in cd/m^2 (1 to 80, shown unclipped on the SRGB reference)."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0.0, 1.0, (height // 16, width // 16, 3))
    smooth = np.kron(coarse, np.ones((16, 16, 1)))
    return (1.0 + 79.0 * smooth).astype(np.float32)


def noisy(image: np.ndarray, sigma: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(image * (1 + sigma * rng.standard_normal(image.shape)), 0.01, None).astype(
        np.float32
    )


@pytest.fixture(scope="module")
def metrics() -> dict:
    return {name: load_model(name, device="cpu") for name in BASELINES}


def test_direction_table_covers_every_baseline_and_only_them():
    from hdr_iqa.inference.baselines import baseline_names

    assert sorted(BASELINE_DIRECTION) == baseline_names() == sorted(BASELINES)


@pytest.mark.parametrize("name", BASELINES)
def test_worse_distortion_scores_larger_and_identity_scores_zero(metrics, name):
    model = metrics[name]
    ref = scene()
    scores = [
        model.score(noisy(ref, sigma), ref, display="absolute") for sigma in (0.02, 0.08, 0.3)
    ]
    assert scores[0] < scores[1] < scores[2], scores
    assert scores[0] > 0
    assert model.score(ref, ref, display="absolute") == pytest.approx(0.0, abs=1e-4)  # float32
    assert model.name == name and BASELINE_DIRECTION[name].raw in model.score_units


def test_pu_ssim_equals_torchmetrics_on_pu21_of_a_hdr_pair(metrics, synthetic_data_dir):
    folder = synthetic_data_dir / "synthetic" / "hdr"
    dist, ref = folder / "brick__dark_noise_2.exr", folder / "brick.exr"
    pu = PU21()

    def encoded(path) -> torch.Tensor:  # (1, 3, H, W) PU21 / P_max of the file's cd/m^2
        luminance = torch.from_numpy(read_image(path)).permute(2, 0, 1)[None].double()
        return normalize_pu(pu.encode(luminance), "pmax").float()

    ssim = structural_similarity_index_measure(encoded(dist), encoded(ref), data_range=1.0)
    psnr = peak_signal_noise_ratio(encoded(dist), encoded(ref), data_range=1.0)
    assert metrics["pu_ssim"].score(str(dist), str(ref)) == pytest.approx(1 - float(ssim), abs=2e-5)
    assert metrics["pu_psnr"].score(str(dist), str(ref)) == pytest.approx(
        100 - float(psnr), abs=1e-3
    )


def test_psnr_and_ssim_use_the_display_encoded_values_of_a_sdr_pair(metrics, synthetic_data_dir):
    folder = synthetic_data_dir / "synthetic" / "sdr"
    dist, ref = folder / "brick__blur_2.png", folder / "brick.png"

    def values(path) -> torch.Tensor:  # (1, 3, H, W) in [0, 1]
        return torch.from_numpy(read_image(path)).permute(2, 0, 1)[None].float() / 255

    psnr = peak_signal_noise_ratio(values(dist), values(ref), data_range=1.0)
    ssim = structural_similarity_index_measure(values(dist), values(ref), data_range=1.0)
    assert metrics["psnr"].score(str(dist), str(ref)) == pytest.approx(100 - float(psnr), abs=1e-3)
    assert metrics["ssim"].score(str(dist), str(ref)) == pytest.approx(1 - float(ssim), abs=2e-5)
    # the PU variants see luminance on the display: a different number for the same pair
    assert metrics["pu_ssim"].score(str(dist), str(ref)) != pytest.approx(1 - float(ssim))


def test_cvvdp_equals_the_package_on_luminance_of_the_display_model(metrics):
    display = DisplayModel(peak=200.0, contrast=1000.0, gamma=2.2, ambient=100.0)
    rng = np.random.default_rng(3)
    ref = rng.integers(0, 256, (64, 96, 3), dtype=np.uint8)
    dist = np.clip(ref.astype(int) + rng.integers(-20, 21, ref.shape), 0, 255).astype(np.uint8)

    def luminance(pixels: np.ndarray) -> torch.Tensor:  # (3, 1, 1, H, W) "CBFHW" in cd/m^2
        values = torch.from_numpy(pixels).permute(2, 0, 1).float() / 255
        return display.to_luminance(values)[:, None, None]

    photometry = pycvvdp.vvdp_display_photo_eotf(
        10000.0, contrast=2e6, source_colorspace="BT.709-linear", E_ambient=0, k_refl=0
    )
    metric = pycvvdp.cvvdp(
        display_name="standard_4k", display_photometry=photometry,
        device=torch.device("cpu"), quiet=True,
    )  # fmt: skip
    jod, _ = metric.predict(luminance(dist), luminance(ref), dim_order="CBFHW")
    score = metrics["cvvdp"].score(dist, ref, display=display)
    assert 0 < score == pytest.approx(10 - float(jod), abs=1e-4)


def test_eval_writes_the_results_of_every_test_pair(tmp_path, synthetic_data_dir):
    for name in ("pu_ssim", "cvvdp"):
        run_dir = tmp_path / name
        assert baseline_command(run_dir, synthetic_data_dir, f"model={name}", "data=synthetic") == 0
        metrics = json.loads((run_dir / "results/metrics.json").read_text())["test"]
        splits = json.loads((run_dir / "splits.json").read_text())
        for dataset in ("sdr", "hdr"):
            expected = PAIRS_PER_CONTENT * len(splits[dataset]["test"])
            assert metrics[dataset]["n"] == expected == 45
            with open(run_dir / f"results/predictions_{dataset}.csv", newline="") as handle:
                rows = list(csv.DictReader(handle))
            assert len(rows) == expected
            assert {r["content"] for r in rows} == set(splits[dataset]["test"])
            assert metrics[dataset]["srocc"] > 0.4  # the synthetic labels are SSIM-like
        assert "BaselineModule" in (run_dir / "config.yaml").read_text()


def test_eval_uses_the_split_file_and_fold(tmp_path, synthetic_data_dir):
    first = tmp_path / "fold"
    args = ("model=psnr", "data=synthetic", "data.target=null")
    assert baseline_command(first, synthetic_data_dir, *args, "data.fold=3") == 0
    splits = json.loads((first / "splits.json").read_text())
    again = tmp_path / "again"
    assert (
        baseline_command(again, synthetic_data_dir, *args, f"data.split_file={first}/splits.json")
        == 0
    )
    assert json.loads((again / "splits.json").read_text()) == splits
    assert (again / "results/predictions_sdr.csv").read_text() == (
        first / "results/predictions_sdr.csv"
    ).read_text()
    default = tmp_path / "default"
    assert baseline_command(default, synthetic_data_dir, *args) == 0
    assert json.loads((default / "splits.json").read_text())["sdr"]["test"] != splits["sdr"]["test"]


def test_predict_scores_a_pair_with_a_baseline(tmp_path, metrics, synthetic_data_dir):
    from hdr_iqa.predict import main

    folder = synthetic_data_dir / "synthetic" / "hdr"
    dist, ref = folder / "brick__highlight_clip_3.exr", folder / "brick.exr"
    output = tmp_path / "scores.csv"
    code = run_main(
        main, f"hydra.run.dir={tmp_path}", "model=pu_ssim", f"ref={ref}", f"dist={dist}",
        f"output={output}", "predict.device=cpu",
    )  # fmt: skip
    assert code == 0
    with open(output, newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert float(row["score"]) == metrics["pu_ssim"].score(str(dist), str(ref)) > 0
    meta = json.loads(output.with_suffix(".json").read_text())
    assert meta["model"] == "pu_ssim" and meta["score_units"].startswith("1 - SSIM")


def test_eval_without_checkpoint_or_baseline_is_refused(tmp_path, synthetic_data_dir, capsys):
    assert baseline_command(tmp_path / "a", synthetic_data_dir, "data=synthetic") == 1
    assert (
        baseline_command(tmp_path / "b", synthetic_data_dir, "model=pieapp", "data=synthetic") == 1
    )
    assert baseline_command(tmp_path / "c", synthetic_data_dir, "model=ssim") == 1
    errors = logged_errors(capsys)
    assert "give ckpt_path=<checkpoint of a trained run>, or model=<name>" in errors[0]
    assert "'cvvdp', 'psnr', 'pu_psnr', 'pu_ssim', 'ssim'" in errors[0]
    assert "model=pieapp needs training" in errors[1]
    assert "model=ssim has no checkpoint to take data from: give data=<name>" in errors[2]


def test_training_a_baseline_is_refused(make_cfg):
    from hdr_iqa.train import train

    with pytest.raises(ConfigError, match="model=pu_ssim is a metric without training"):
        train(make_cfg("model=pu_ssim", "data.target=null"))
