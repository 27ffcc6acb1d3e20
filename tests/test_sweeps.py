"""Sweeps: a 2x2 multirun with the joblib launcher + aggregate, Optuna and Slurm configs, the
GPU pool that gives each parallel job its own GPU, and the DDP-in-multirun guard."""

import csv
import fcntl
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import hydra
import pytest
import torch
import yaml

from hdr_iqa.aggregate import main as aggregate_main
from hdr_iqa.errors import ConfigError
from hdr_iqa.train import main as train_main
from hdr_iqa.utils import devices
from tests.conftest import TINY
from tests.data.conftest import TINY_MODEL
from tests.helpers.cli import run_main
from tests.helpers.commands import logged_errors

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


def fake_gpus(monkeypatch, count: int) -> None:
    """``count`` visible CUDA devices with UUIDs GPU-0, GPU-1, ... (what torch reports)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
    monkeypatch.setattr(
        torch.cuda, "get_device_properties", lambda i: SimpleNamespace(uuid=f"GPU-{i}")
    )


def test_gpu_slot_decision_and_locks(make_cfg, monkeypatch, tmp_path):
    """The real decision (pool setting, multirun, trainer, visible GPUs) and the real lock files:
    only what torch reports about CUDA devices is faked."""
    fake_gpus(monkeypatch, 2)

    def slot(*overrides: str) -> tuple:
        cfg = make_cfg("trainer=gpu", f"gpu_pool.lock_dir={tmp_path}", *overrides, tiny=False)
        with devices.gpu_slot(cfg) as index:
            held = sorted(p.name for p in tmp_path.glob("gpu_*.lock") if locked(p))
            return index, cfg.trainer.devices, held

    multirun = "hydra.mode=MULTIRUN"
    assert slot() == (None, 1, [])  # enabled=auto: a single run keeps trainer.devices
    assert slot(multirun) == (0, [0], ["gpu_GPU-0.lock"])
    assert not any(locked(p) for p in tmp_path.glob("gpu_*.lock"))  # released after the job
    _, busy = devices.acquire_free_slot(["GPU-0"], tmp_path)  # another job holds GPU 0
    assert slot(multirun) == (1, [1], ["gpu_GPU-0.lock", "gpu_GPU-1.lock"])
    busy.close()
    assert slot("gpu_pool.enabled=true") == (0, [0], ["gpu_GPU-0.lock"])  # forced in a single run
    assert slot(multirun, "gpu_pool.enabled=false") == (None, 1, [])
    assert slot(multirun, "trainer.devices=2") == (None, 2, [])  # asks for more than one GPU
    assert slot(multirun, "trainer=cpu") == (None, 1, [])
    fake_gpus(monkeypatch, 1)
    assert slot(multirun) == (None, 1, [])  # one GPU: nothing to share out


def locked(path: Path) -> bool:
    """Whether another open file holds the flock of ``path``."""
    with open(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def test_ddp_that_reruns_the_command_line_is_refused_in_a_multirun(make_cfg, monkeypatch):
    cfg = make_cfg("trainer=ddp", tiny=False)
    devices.check_ddp_launch(cfg.trainer)  # a single run: fine
    monkeypatch.setattr(devices, "in_multirun", lambda: True)
    with pytest.raises(ConfigError, match=r"trainer\.strategy=ddp with trainer\.devices=4"):
        devices.check_ddp_launch(cfg.trainer)
    devices.check_ddp_launch(make_cfg("trainer=ddp", "trainer.strategy=ddp_spawn").trainer)
    devices.check_ddp_launch(make_cfg("trainer=gpu", tiny=False).trainer)


def logged_last(metrics_csv: Path, key: str) -> float:
    """The last value of ``key`` in a CSV logger's metrics.csv."""
    with open(metrics_csv, newline="") as handle:
        values = [row[key] for row in csv.DictReader(handle) if row.get(key)]
    return float(values[-1])


def test_optuna_sweep_reports_the_best_jobs_logged_metric(tmp_path, synthetic_data_dir, capsys):
    """``python -m hdr_iqa.train hparams_search=optuna`` (in this process, 3 trials; the seed is
    searched too so that the trials score differently): the study's best value is the largest
    val/srocc_best a job logged, and its best parameters are that job's.

    The old (slow) test asserted only ``-1 <= best_value <= 1``, which a sweeper reporting any
    trial's value, or a constant, passed."""
    sweep = tmp_path / "sweep"
    code = run_main(
        train_main, "hparams_search=optuna", "hydra.sweeper.n_trials=3",
        "hydra.sweeper.sampler.n_startup_trials=3",
        "+hydra.sweeper.params.seed='choice(0,1,2,3,4,5,6,7)'",
        f"hydra.sweep.dir={sweep}", f"paths.root_dir={tmp_path}",
        f"paths.data_dir={synthetic_data_dir}", *CLI_TINY,
        "data.eval_batch_size=5", "test=false",  # 5 val pairs: no logistic fit (>= 6), no test
    )  # fmt: skip
    assert code == 0 and logged_errors(capsys) == []
    best = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    params = {"model.optimizer.lr", "da.weight", "model.loss.pearson", "seed"}
    assert set(best["best_params"]) == params
    jobs = {}
    for job in sorted(p for p in sweep.iterdir() if p.is_dir()):
        overrides = yaml.safe_load((job / ".hydra/overrides.yaml").read_text())
        chosen = dict(o.split("=", 1) for o in overrides if o.split("=", 1)[0] in params)
        jobs[job.name] = (logged_last(job / "csv/metrics.csv", "val/srocc_best"), chosen)
    assert sorted(jobs) == ["0", "1", "2"]
    values = [value for value, _ in jobs.values()]
    assert len(set(values)) > 1, jobs  # otherwise any job would be "the best"
    value, chosen = max(jobs.values(), key=lambda job: job[0])
    assert best["best_value"] == pytest.approx(value, abs=1e-7), jobs
    assert {k: str(v) for k, v in best["best_params"].items()} == chosen, jobs
