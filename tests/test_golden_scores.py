"""Scores of every model family on the synthetic data, against a golden file.

``tests/golden/scores.json`` was written by this test (``HDR_IQA_WRITE_GOLDEN=1`` writes the
entries a test has no values for) before the one-pipeline refactor (issue 13), so the training
run's test predictions, the API (one pass and chunked) and the CORAL features of PieAPP, VTAMIQ,
DIQA and two metrics without training are checked to stay what they were. The tolerance
covers float rounding of another CPU, not a change of method.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
import torch

from hdr_iqa import load_model

GOLDEN = Path(__file__).parent / "golden" / "scores.json"
WRITE = os.environ.get("HDR_IQA_WRITE_GOLDEN") == "1"
PAIRS = [("sdr", ".png", "blur_2"), ("sdr", ".png", "jpeg_3"), ("hdr", ".exr", "dark_noise_2"),
         ("hdr", ".exr", "blur_1")]  # fmt: skip
RELATIVE = 1e-4


def pair_paths(data_dir: Path, domain: str, suffix: str, distortion: str) -> tuple[str, str]:
    folder = data_dir / "synthetic" / domain
    return str(folder / f"brick__{distortion}{suffix}"), str(folder / f"brick{suffix}")


def api_scores(model, data_dir: Path) -> list[float]:
    return [model.score(*pair_paths(data_dir, *p)) for p in PAIRS]


def test_predictions(run_dir: Path, rows: int = 12) -> dict[str, list[float]]:
    tables = {}
    for path in sorted((run_dir / "results").glob("predictions_*.csv")):
        with path.open() as file:
            table = list(csv.DictReader(file))
        column = next(c for c in table[0] if c.startswith("prediction"))
        tables[path.stem] = [float(r[column]) for r in table[:rows]]
    return tables


def model_values(run, chunk: int) -> dict:
    model = load_model(run.ckpt, device="cpu")
    chunked = load_model(run.ckpt, device="cpu", patch_batch_size=chunk)
    features = model.features(*pair_paths(run.data_dir, *PAIRS[2]))
    return {
        "test_predictions": test_predictions(run.dir),
        "api": api_scores(model, run.data_dir),
        "api_chunked": api_scores(chunked, run.data_dir),
        "features_shape": list(features.shape),
        "features_abs_sum": float(features.double().abs().sum()),
    }


@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads(GOLDEN.read_text())


def check(golden: dict, name: str, values: dict) -> None:
    if name not in golden:
        assert WRITE, f"no golden values for {name}: write them with HDR_IQA_WRITE_GOLDEN=1"
        stored = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
        stored[name] = values
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")
        return
    expected = golden[name]
    assert values.keys() == expected.keys()
    assert _flatten(values) == pytest.approx(_flatten(expected), rel=RELATIVE, abs=1e-8)


def _flatten(values) -> list:
    if isinstance(values, dict):
        return [x for key in sorted(values) for x in _flatten(values[key])]
    if isinstance(values, list):
        return [x for v in values for x in _flatten(v)]
    return [float(values)]


test_predictions.__test__ = False  # a helper, not a test


def test_pieapp(golden, trained_run):
    check(golden, "pieapp", model_values(trained_run, chunk=1))


def test_vtamiq_centre_convention(golden, tmp_path_factory, synthetic_data_dir):
    """The golden values predate the saved position convention: VTAMIQ trained and scored with
    patch centres / image extent (``data.positions=centre``) gives them exactly."""
    from tests.conftest import train_vtamiq

    run = train_vtamiq(
        tmp_path_factory, synthetic_data_dir, "vtamiq_centre", "data.positions=centre"
    )
    check(golden, "vtamiq", model_values(run, chunk=3))


def test_vtamiq_paper_convention(golden, trained_vtamiq):
    """The default for new runs (the paper code's normalisation): its own golden values,
    written when the convention became part of the protocol."""
    check(golden, "vtamiq_paper", model_values(trained_vtamiq, chunk=3))


def test_diqa(golden, trained_diqa):
    check(golden, "diqa", model_values(trained_diqa, chunk=1))


@pytest.mark.parametrize("name", ["psnr", "pu_ssim"])
def test_metrics_without_training(golden, synthetic_data_dir, name):
    torch.manual_seed(0)
    check(golden, name, {"api": api_scores(load_model(name, device="cpu"), synthetic_data_dir)})
