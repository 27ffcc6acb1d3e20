"""End-to-end training runs and the command line's error messages (the command line runs in
this process, see tests/helpers/cli.py; the slow demo test runs it as a subprocess)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hydra.core.global_hydra import GlobalHydra

from hdr_iqa.train import main, train
from tests.conftest import TINY, compose_config
from tests.data.conftest import TINY_MODEL
from tests.helpers.cli import run_main

TINY_MODEL_TARGET = "tests.data.tiny_model.TinyIQA"

ROOT = Path(__file__).resolve().parents[1]


def test_train_and_test_write_the_run_directory(trained_run):
    """The default tiny PieAPP run (fit, then test of the best checkpoint; tests/conftest.py)."""
    metrics, run_dir = trained_run.metrics, trained_run.dir
    for name in ("sdr", "hdr"):
        for key in ("srocc", "krocc", "plcc", "rmse"):
            assert f"test/{name}/{key}" in metrics
    for relative in ("config.yaml", "splits.json", "results/metrics.json", "results/metrics.csv",
                     "results/predictions_sdr.csv", "results/predictions_hdr.csv",
                     "checkpoints/last.ckpt"):  # fmt: skip
        assert (run_dir / relative).is_file(), relative
    saved = json.loads((run_dir / "results/metrics.json").read_text())
    assert saved["test"]["hdr"]["srocc"] == pytest.approx(metrics["test/hdr/srocc"])
    rows = (run_dir / "results/predictions_hdr.csv").read_text().splitlines()
    assert (
        rows[0] == "ref,dist,content,target,prediction"
        and len(rows) - 1 == saved["test"]["hdr"]["n"]
    )
    splits = json.loads((run_dir / "splits.json").read_text())
    assert set(splits) == {"sdr", "hdr"} and not set(splits["hdr"]["train"]) & set(
        splits["hdr"]["test"]
    )


@pytest.fixture(scope="module")
def fitted_tiny(tmp_path_factory, synthetic_data_dir):
    """A fit-only run of the tiny model with full checkpoints (optimiser and callback states)."""
    run_dir = tmp_path_factory.mktemp("fitted_tiny")
    try:
        train(compose_config("train", [*TINY, *TINY_MODEL, "test=false"], run_dir,
                             synthetic_data_dir))  # fmt: skip
    finally:
        GlobalHydra.instance().clear()
    return run_dir / "checkpoints/last.ckpt"


def test_checkpoint_loads_with_weights_only_and_carries_the_config(fitted_tiny):
    checkpoint = torch.load(fitted_tiny, weights_only=True)
    assert checkpoint["optimizer_states"] and checkpoint["callbacks"]  # a complete checkpoint
    config = checkpoint["hdr_iqa"]["config"]
    assert config["model"]["net"]["_target_"] == TINY_MODEL_TARGET
    assert config["model"]["optimizer"]["_target_"] == "torch.optim.AdamW"
    assert checkpoint["hdr_iqa"]["eval_names"] == ["sdr", "hdr"]


def test_single_domain_and_no_da(make_cfg):
    metrics = train(make_cfg("data.target=null", "da=none", *TINY_MODEL))
    assert "test/sdr/srocc" in metrics and "test/hdr/srocc" not in metrics


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "WANDB_MODE": "offline", "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "hdr_iqa.train", *args], cwd=cwd, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_cli_unknown_option_lists_the_valid_ones(capsys):
    assert run_main(main, "model=nosuchmodel") == 1  # Hydra stops while composing the config
    stderr = capsys.readouterr().err
    assert "Could not find 'model/nosuchmodel'" in stderr and "pieapp" in stderr


def test_cli_missing_data_directory_is_one_clear_message(tmp_path, capsys):
    missing = tmp_path / "no_such_dir"
    code = run_main(
        main, f"paths.root_dir={tmp_path}", f"paths.data_dir={missing}",
        "data.source.generate=false", "data.target.generate=false", "~logger",
    )  # fmt: skip
    assert code == 1
    output = "".join(capsys.readouterr())
    assert f"synthetic dataset not found: {missing}/synthetic has no manifest.json" in output
    assert "Traceback" not in output


@pytest.mark.slow
def test_demo_learns(tmp_path):
    """The README demo (make train): test SROCC >= 0.6 on both domains (about 4 minutes)."""
    result = run_cli("experiment=demo", f"paths.root_dir={tmp_path}", cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    run_dir = next((tmp_path / "logs/train/runs").iterdir())
    metrics = json.loads((run_dir / "results/metrics.json").read_text())["test"]
    assert metrics["sdr"]["srocc"] >= 0.6 and metrics["hdr"]["srocc"] >= 0.6, metrics
