"""End-to-end training runs and the command line's error messages."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from hdr_iqa.train import train

ROOT = Path(__file__).resolve().parents[1]


def test_train_and_test_write_the_run_directory(make_cfg, tmp_path):
    metrics = train(make_cfg())
    for name in ("sdr", "hdr"):
        for key in ("srocc", "krocc", "plcc", "rmse"):
            assert f"test/{name}/{key}" in metrics
    for relative in ("config.yaml", "splits.json", "results/metrics.json", "results/metrics.csv",
                     "results/predictions_sdr.csv", "results/predictions_hdr.csv",
                     "checkpoints/last.ckpt"):  # fmt: skip
        assert (tmp_path / relative).is_file(), relative
    saved = json.loads((tmp_path / "results/metrics.json").read_text())
    assert saved["test"]["hdr"]["srocc"] == pytest.approx(metrics["test/hdr/srocc"])
    rows = (tmp_path / "results/predictions_hdr.csv").read_text().splitlines()
    assert (
        rows[0] == "ref,dist,content,target,prediction"
        and len(rows) - 1 == saved["test"]["hdr"]["n"]
    )
    splits = json.loads((tmp_path / "splits.json").read_text())
    assert set(splits) == {"sdr", "hdr"} and not set(splits["hdr"]["train"]) & set(
        splits["hdr"]["test"]
    )


def test_checkpoint_loads_with_weights_only_and_carries_the_config(make_cfg, tmp_path):
    train(make_cfg("test=false"))
    checkpoint = torch.load(tmp_path / "checkpoints/last.ckpt", weights_only=True)
    config = checkpoint["hdr_iqa"]["config"]
    assert config["model"]["net"]["_target_"] == "hdr_iqa.models.PieAPP"
    assert checkpoint["hdr_iqa"]["eval_names"] == ["sdr", "hdr"]


def test_resume_from_last_checkpoint(make_cfg, tmp_path):
    train(make_cfg("test=false"))
    last = tmp_path / "checkpoints/last.ckpt"
    first_step = torch.load(last, weights_only=True)["global_step"]
    train(make_cfg("test=false", "trainer.max_epochs=2", f"ckpt_path={last}"))
    assert torch.load(last, weights_only=True)["global_step"] == 2 * first_step


def test_single_domain_and_no_da(make_cfg):
    metrics = train(make_cfg("data.target=null", "da=none"))
    assert "test/sdr/srocc" in metrics and "test/hdr/srocc" not in metrics


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "WANDB_MODE": "offline", "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "hdr_iqa.train", *args], cwd=cwd, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_cli_unknown_option_lists_the_valid_ones(tmp_path):
    result = run_cli("model=nosuchmodel", cwd=tmp_path)
    assert result.returncode != 0
    assert "Could not find 'model/nosuchmodel'" in result.stderr and "pieapp" in result.stderr


def test_cli_missing_data_directory_is_one_clear_message(tmp_path):
    missing = tmp_path / "no_such_dir"
    result = run_cli(
        f"paths.data_dir={missing}", "data.source.generate=false", "data.target.generate=false",
        "~logger", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    output = result.stdout + result.stderr
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
