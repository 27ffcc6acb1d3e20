"""The life of a run as a user lives it: the commands with the shipped defaults (CSV logger,
checkpoints, callbacks), several epochs, a real SIGKILL and the README's resume command.

Runs that must die are subprocesses (``python -m hdr_iqa.train``); the others call the
command's ``main`` in this process (tests/helpers/cli.py), which parses the same command line.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from hdr_iqa.eval import main as eval_main
from hdr_iqa.train import main as train_main
from tests.data.conftest import TINY_MODEL
from tests.helpers.cli import run_main
from tests.helpers.kill import KILL_AT_STEP

ROOT = Path(__file__).resolve().parents[1]
EPOCHS, STEPS = 3, 3  # steps per epoch
RUN = [
    *TINY_MODEL,
    "model.sampling.train=1", "model.sampling.val=1", "model.sampling.test=2",
    "model.optimizer.lr=0.03",  # moves enough that the best epoch is not the last one
    "data.batch_size=4", "data.eval_batch_size=8", "data.num_workers=0",
    f"trainer.max_epochs={EPOCHS}", f"trainer.limit_train_batches={STEPS}",
    "trainer.limit_val_batches=1", "trainer.limit_test_batches=1",
    "trainer.accelerator=cpu", "trainer.deterministic=true", "trainer.enable_progress_bar=false",
]  # fmt: skip
"""A tiny run with every default kept: logger, checkpoints, results, summary."""


def paths(root: Path, data_dir: Path) -> list[str]:
    return [f"paths.root_dir={root}", f"paths.data_dir={data_dir}"]


def run_dirs(root: Path, task: str = "train") -> list[Path]:
    return sorted((root / "logs" / task / "runs").iterdir())


def train_subprocess(*args: str, kill_at: int, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``python -m hdr_iqa.train`` in a new process that SIGKILLs itself at step ``kill_at``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WANDB_MODE": "offline", "HF_HUB_OFFLINE": "1",
           KILL_AT_STEP: str(kill_at)}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "hdr_iqa.train", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def weights(ckpt: Path) -> dict[str, torch.Tensor]:
    return torch.load(ckpt, weights_only=True)["state_dict"]


def saved_test_metrics(run_dir: Path) -> dict:
    return json.loads((run_dir / "results/metrics.json").read_text())["test"]


def logged_val_srocc(run_dir: Path) -> dict[int, tuple[float, float]]:
    """``{epoch: (val/srocc, val/srocc_best)}`` from the CSV logger's file."""
    with open(run_dir / "csv/metrics.csv") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("val/srocc")]
    return {int(r["epoch"]): (float(r["val/srocc"]), float(r["val/srocc_best"])) for r in rows}


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory, synthetic_data_dir) -> Path:
    """The uninterrupted run: 3 epochs, shipped defaults, through the command."""
    root = tmp_path_factory.mktemp("reference")
    assert run_main(train_main, *RUN, *paths(root, synthetic_data_dir)) == 0
    (run_dir,) = run_dirs(root)
    return run_dir


def test_last_checkpoint_is_the_end_of_the_last_epoch(reference_run):
    last = torch.load(reference_run / "checkpoints/last.ckpt", weights_only=True)
    assert last["epoch"] == EPOCHS - 1 and last["global_step"] == EPOCHS * STEPS


def test_best_epoch_is_tested_and_tracked(reference_run, synthetic_data_dir, tmp_path):
    """test_ckpt=best tests the best epoch (not the last), val/srocc_best is the running max."""
    logged = logged_val_srocc(reference_run)
    assert sorted(logged) == list(range(EPOCHS))
    best_epoch = max(logged, key=lambda e: logged[e][0])
    assert best_epoch != EPOCHS - 1, "precondition: the last epoch is not the best"
    for epoch in logged:
        assert logged[epoch][1] == max(logged[e][0] for e in range(epoch + 1))
    (best_ckpt,) = (reference_run / "checkpoints").glob("epoch_*.ckpt")
    assert best_ckpt.name == f"epoch_{best_epoch:03d}.ckpt"
    evaluated = {}
    for name in (best_ckpt.name, "last.ckpt"):
        root = tmp_path / name
        ckpt = f"ckpt_path={reference_run / 'checkpoints' / name}"
        code = run_main(eval_main, ckpt, "trainer.limit_test_batches=1", f"paths.root_dir={root}",
                        "trainer.enable_progress_bar=false")  # fmt: skip
        assert code == 0
        evaluated[name] = saved_test_metrics(run_dirs(root, "eval")[0])
    tested = saved_test_metrics(reference_run)
    assert tested["hdr"]["srocc"] == pytest.approx(evaluated[best_ckpt.name]["hdr"]["srocc"])
    assert tested["sdr"]["plcc"] == pytest.approx(evaluated[best_ckpt.name]["sdr"]["plcc"])
    assert tested["sdr"]["plcc"] != pytest.approx(evaluated["last.ckpt"]["sdr"]["plcc"])


@pytest.mark.parametrize(
    ("checkpoint_every", "kill_step"),
    [
        (None, 4),  # killed mid-epoch 1: resumes from the end of epoch 0
        (1, 5),  # a mid-epoch checkpoint at every step: resumes inside epoch 1
    ],
)
def test_sigkill_then_resume_is_exact(
    reference_run, synthetic_data_dir, tmp_path, checkpoint_every, kill_step
):
    """SIGKILL during training, then the README's resume command: the same weights and test
    metrics as the uninterrupted run, bit for bit, in the same run directory. The killed run
    loads its data with the default 2 worker processes, the reference with none."""
    every = [f"callbacks.last_checkpoint.every_n_train_steps={checkpoint_every or 'null'}"]
    run = [*RUN, "data.num_workers=2", *every, *paths(tmp_path, synthetic_data_dir)]
    killed = train_subprocess(*run, "+callbacks.kill._target_=tests.helpers.kill.KillAtStep",
                              kill_at=kill_step)  # fmt: skip
    assert killed.returncode == -9, killed.stderr[-3000:]
    (run_dir,) = run_dirs(tmp_path)
    last = run_dir / "checkpoints/last.ckpt"
    saved_step = torch.load(last, weights_only=True)["global_step"]
    assert saved_step == (kill_step if checkpoint_every else STEPS)
    assert not (run_dir / "results").exists()

    assert run_main(train_main, f"ckpt_path={last}") == 0  # the README's command, nothing more
    assert run_dirs(tmp_path) == [run_dir]  # continued in the same directory
    expected, resumed = weights(reference_run / "checkpoints/last.ckpt"), weights(last)
    assert expected.keys() == resumed.keys()
    for key in expected:
        assert torch.equal(expected[key], resumed[key]), key
    assert saved_test_metrics(run_dir) == saved_test_metrics(reference_run)
    for name in ("sdr", "hdr"):
        predictions = f"results/predictions_{name}.csv"
        assert (run_dir / predictions).read_bytes() == (reference_run / predictions).read_bytes()
    # the CSV log kept the epochs before the restart; best-checkpoint tracking survived it
    assert logged_val_srocc(run_dir) == logged_val_srocc(reference_run)
    (best,) = (run_dir / "checkpoints").glob("epoch_*.ckpt")
    assert best.name == next((reference_run / "checkpoints").glob("epoch_*.ckpt")).name


def test_testing_a_checkpoint_is_a_new_run_that_exits_0(
    reference_run, synthetic_data_dir, tmp_path
):
    """The README's `train=false ckpt_path=...`: no val/srocc_best is logged (nothing is
    fitted), which is not an error outside a hyper-parameter search."""
    (best,) = (reference_run / "checkpoints").glob("epoch_*.ckpt")
    args = [*RUN, *paths(tmp_path, synthetic_data_dir), "train=false", f"ckpt_path={best}"]
    assert run_main(train_main, *args) == 0
    (run_dir,) = run_dirs(tmp_path)  # a new directory, not the checkpoint's run
    assert saved_test_metrics(run_dir) == saved_test_metrics(reference_run)
    assert not (run_dir / "checkpoints").exists()


def test_no_checkpoint_callback_writes_no_checkpoint(synthetic_data_dir, tmp_path):
    args = [*RUN, "trainer.max_epochs=1", *paths(tmp_path, synthetic_data_dir)]
    nulls = ["callbacks.model_checkpoint=null", "callbacks.last_checkpoint=null"]
    assert run_main(train_main, *args, *nulls) == 0
    (run_dir,) = run_dirs(tmp_path)
    assert not list(run_dir.rglob("*.ckpt"))  # not even Lightning's default one
    assert saved_test_metrics(run_dir)["hdr"]["n"] == 8


def test_a_second_run_in_a_locked_run_directory_refuses(reference_run, capsys):
    """Resuming a checkpoint whose run is still going: one line naming the lock, exit 1."""
    from hdr_iqa.utils.run import run_directory_lock

    def written() -> dict[Path, int]:  # Hydra's own .hydra/ and log file are Hydra's to write
        kept = [p for p in reference_run.rglob("*") if p.is_file() and ".hydra" not in p.parts]
        return {p: p.stat().st_mtime_ns for p in kept if p.suffix != ".log"}

    before = written()
    with run_directory_lock(reference_run):
        code = run_main(train_main, f"ckpt_path={reference_run}/checkpoints/last.ckpt")
    assert code == 1
    output = capsys.readouterr().out
    assert f"another run is using the run directory {reference_run}" in output
    assert "Traceback" not in output
    assert written() == before  # no checkpoint, result or config of the first run was touched


def test_run_directories_of_one_second_do_not_collide(tmp_path):
    """Two runs started in the same second (each process composes its config once)."""
    from hydra import compose, initialize_config_dir

    from hdr_iqa.utils.config import config_dir

    names = set()
    for _ in range(3):
        with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
            overrides = [f"paths.root_dir={tmp_path}"]
            cfg = compose("train", return_hydra_config=True, overrides=overrides)
        names.add(str(cfg.hydra.run.dir))
    assert len(names) == 3, names


@pytest.mark.parametrize("model", ["pieapp", "vtamiq", "diqa"])
def test_debug_fdr_is_quick_and_writes_no_checkpoint(model, synthetic_data_dir, tmp_path):
    """debug=fdr of every shipped model (full-size networks, random init) on the CPU."""
    args = [f"model={model}", "debug=fdr", *paths(tmp_path, synthetic_data_dir)]
    assert run_main(train_main, *args, "trainer.accelerator=cpu") == 0
    (run_dir,) = run_dirs(tmp_path, "debug")
    assert not list(run_dir.rglob("*.ckpt"))
    assert (run_dir / "results/metrics.json").is_file()


def test_baselines_are_tested_beside_the_trained_model(synthetic_data_dir, tmp_path, capsys):
    """`baselines=[...]` (the demo's setting): the same test pairs, one printed table."""
    args = [*RUN, "trainer.max_epochs=1", *paths(tmp_path, synthetic_data_dir)]
    assert run_main(train_main, *args, "baselines=[psnr,pu_ssim]") == 0
    (run_dir,) = run_dirs(tmp_path)
    tables = json.loads((run_dir / "results/baselines.json").read_text())
    assert list(tables) == ["tests.data.tiny_model.TinyIQA", "psnr", "pu_ssim"]
    trained = saved_test_metrics(run_dir)
    for name, table in tables.items():
        assert {d: v["n"] for d, v in table.items()} == {"sdr": 8, "hdr": 8}, name
    assert tables["tests.data.tiny_model.TinyIQA"]["hdr"]["srocc"] == pytest.approx(
        trained["hdr"]["srocc"]
    )
    assert tables["pu_ssim"]["hdr"]["srocc"] != tables["psnr"]["hdr"]["srocc"]
    output = capsys.readouterr().out
    assert "pu_ssim" in output and "psnr" in output and "TinyIQA" in output  # one table
