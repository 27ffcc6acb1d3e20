"""Sweeps: a 2x2 multirun with the joblib launcher + aggregate, Optuna and Slurm configs, the
GPU pool that gives each parallel job its own GPU, and the DDP-in-multirun guard."""

import os
import subprocess
import sys
from pathlib import Path

import hydra
import pytest
import yaml

from hdr_iqa.aggregate import main as aggregate_main
from hdr_iqa.errors import ConfigError
from hdr_iqa.utils import devices
from tests.conftest import TINY
from tests.data.conftest import TINY_MODEL

ROOT = Path(__file__).resolve().parents[1]
# the tiny model (tests/data/tiny_model.py; what a sweep does does not depend on the network)
# and no checkpoints: jobs test their final weights
CLI_TINY = [t for t in TINY if t != "~logger"] + [
    *TINY_MODEL,
    "logger=csv",
    "callbacks.model_checkpoint=null",
]


def run_train(*args: str, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "WANDB_MODE": "offline", "HF_HUB_OFFLINE": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "hdr_iqa.train", *args], cwd=cwd, env=env,
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_2x2_multirun_with_joblib_then_aggregate(tmp_path, synthetic_data_dir, capsys):
    result = run_train(
        "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "norm=pmax,n255", "da=none,coral",
        f"paths.root_dir={tmp_path}", f"paths.data_dir={synthetic_data_dir}", *CLI_TINY,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    (sweep,) = (tmp_path / "logs/train/multiruns").iterdir()
    jobs = sorted(p.name for p in sweep.iterdir() if p.is_dir())
    assert jobs == ["0", "1", "2", "3"]
    for job in jobs:  # each job: its own directory, config (with its seed), log and results
        config = yaml.safe_load((sweep / job / "config.yaml").read_text())
        assert config["seed"] == 0 and (sweep / job / "train.log").is_file()
        assert (sweep / job / "results/metrics.json").is_file()
    assert aggregate_main([str(sweep)]) == 0
    table = capsys.readouterr().out
    assert "| norm | da | dataset | runs | SROCC |" in table
    for norm in ("pmax", "n255"):
        for da in ("none", "coral"):
            for name in ("sdr", "hdr"):
                assert f"| {norm} | {da} | {name} | 1 |" in table
    assert "Jobs with results: 4 of 4." in table
    assert (sweep / "aggregate/comparison.png").stat().st_size > 1000


def test_optuna_search_maximises_validation_srocc(make_cfg):
    from hydra.core.hydra_config import HydraConfig

    cfg = make_cfg("hparams_search=optuna", tiny=False)
    sweeper = HydraConfig.get().sweeper
    assert cfg.optimized_metric == "val/srocc_best" and sweeper.direction == "maximize"
    assert HydraConfig.get().mode.name == "MULTIRUN"
    assert hydra.utils.get_class(sweeper._target_).__name__ == "OptunaSweeper"
    assert hydra.utils.instantiate(sweeper.sampler).__class__.__name__ == "TPESampler"
    assert set(sweeper.params) == {"model.optimizer.lr", "da.weight", "model.loss.pearson"}


def test_launcher_configs():
    from hydra import compose, initialize_config_dir

    from hdr_iqa.utils.config import config_dir

    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        joblib = compose("train", ["hydra/launcher=joblib"], return_hydra_config=True)
        slurm = compose(
            "train", ["hydra/launcher=slurm", "trainer=ddp", "trainer.devices=8"],
            return_hydra_config=True,
        )  # fmt: skip
    launcher = joblib.hydra.launcher
    assert hydra.utils.get_class(launcher._target_).__name__ == "JoblibLauncher"
    assert launcher.n_jobs >= 1  # one job per visible GPU (1 without)
    launcher = slurm.hydra.launcher
    assert hydra.utils.get_class(launcher._target_).__name__ == "SlurmLauncher"
    assert launcher.gpus_per_node == launcher.tasks_per_node == 8


def test_gpu_pool_gives_each_job_a_free_gpu(tmp_path):
    first, handle_a = devices.acquire_free_slot(["gpu-a", "gpu-b"], tmp_path)
    second, handle_b = devices.acquire_free_slot(["gpu-a", "gpu-b"], tmp_path)
    assert (first, second) == (0, 1)
    handle_a.close()  # the job on GPU 0 ends
    third, handle_c = devices.acquire_free_slot(["gpu-a", "gpu-b"], tmp_path, poll_s=0.01)
    assert third == 0
    handle_b.close()
    handle_c.close()


def test_gpu_slot_sets_the_trainer_device(make_cfg, monkeypatch, tmp_path):
    cfg = make_cfg("trainer=gpu", f"gpu_pool.lock_dir={tmp_path}", tiny=False)
    assert not devices._wants_one_gpu(cfg)  # a single run, and no GPU here
    monkeypatch.setattr(devices, "_wants_one_gpu", lambda cfg: True)
    monkeypatch.setattr(devices, "_gpu_ids", lambda: ["a", "b"])
    _, busy = devices.acquire_free_slot(["a"], tmp_path)  # another job holds GPU 0
    with devices.gpu_slot(cfg) as index:
        assert index == 1 and list(cfg.trainer.devices) == [1]
    busy.close()


def test_ddp_that_reruns_the_command_line_is_refused_in_a_multirun(make_cfg, monkeypatch):
    cfg = make_cfg("trainer=ddp", tiny=False)
    devices.check_ddp_launch(cfg.trainer)  # a single run: fine
    monkeypatch.setattr(devices, "in_multirun", lambda: True)
    with pytest.raises(ConfigError, match=r"trainer\.strategy=ddp with trainer\.devices=4"):
        devices.check_ddp_launch(cfg.trainer)
    devices.check_ddp_launch(make_cfg("trainer=ddp", "trainer.strategy=ddp_spawn").trainer)
    devices.check_ddp_launch(make_cfg("trainer=gpu", tiny=False).trainer)


@pytest.mark.slow
def test_optuna_sweep_runs_trials_and_reports_the_best(tmp_path, synthetic_data_dir):
    result = run_train(
        "hparams_search=optuna", "hydra.sweeper.n_trials=2",
        "hydra.sweeper.sampler.n_startup_trials=2",
        f"paths.root_dir={tmp_path}", f"paths.data_dir={synthetic_data_dir}", *CLI_TINY,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    (sweep,) = (tmp_path / "logs/train/multiruns").iterdir()
    best = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert set(best["best_params"]) == {"model.optimizer.lr", "da.weight", "model.loss.pearson"}
    assert -1.0 <= best["best_value"] <= 1.0
