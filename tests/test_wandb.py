"""W&B offline: what a run logs, the scatter plots, the splits artifact, resuming the same run."""

from pathlib import Path

import pytest
import wandb

from hdr_iqa.callbacks.wandb import run_id_from_checkpoint
from hdr_iqa.train import train
from tests.conftest import TINY
from tests.data.conftest import TINY_MODEL
from tests.helpers.wandb_records import logged_values, read_records

WANDB = [t for t in TINY if t != "~logger"] + [
    *TINY_MODEL,  # what is logged does not depend on the network
    "logger=wandb",
    "trainer.log_every_n_steps=1",
    "model.sampling.train=4",
    "data.batch_size=8",  # CORAL needs > 5 feature rows per domain (4 x 4 here)
    "callbacks.model_checkpoint.save_top_k=0",  # last.ckpt only
]


def run_file(output_dir: Path, run_id: str) -> Path:
    return next((output_dir / "wandb").glob(f"offline-run-*-{run_id}/run-{run_id}.wandb"))


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    yield
    wandb.finish()


def test_offline_run_logs_metrics_plots_splits_and_resumes(make_cfg, tmp_path, offline):
    cfg = make_cfg(*WANDB, "tags=[unit,wandb]", tiny=False)
    display_name = cfg.logger.wandb.name  # the tiny sizes as given last (train=4, batch_size=8)
    assert display_name == "pieapp-pmax-coral-w0.025-s0-train4-val1-test2-batch_size8-" + (
        "eval_batch_size8"
    )
    train(cfg)
    wandb.finish()
    last = tmp_path / "checkpoints/last.ckpt"
    run_id = run_id_from_checkpoint(last)
    assert run_id
    path = run_file(tmp_path, run_id)
    values = logged_values(path)
    for key in ("train/loss", "train/loss_source", "train/loss_target", "train/loss_coral",
                "train/lr", "val/hdr/srocc", "val/srocc", "test/hdr/srocc", "test/sdr/plcc_fit",
                "test/hdr/rmse_fit"):  # fmt: skip
        assert key in values, key
    assert len(values["train/loss"]) == 2 and values["train/lr"][0] == pytest.approx(1e-4)
    for name in ("sdr", "hdr"):
        assert values[f"test/{name}/scatter/_type"] == ["image-file"]
        assert list(path.parent.glob(f"files/media/images/test/{name}/scatter_*.png"))
        assert (tmp_path / f"results/scatter_{name}.png").stat().st_size > 1000
    records = read_records(path)
    run = next(r.run for r in records if r.WhichOneof("record_type") == "run")
    assert list(run.tags) == ["unit", "wandb"] and run.job_type == "train"
    assert run.display_name == display_name
    config_keys = {u.key for r in records if r.WhichOneof("record_type") == "config"
                   for u in r.config.update}  # fmt: skip
    assert {"model", "data", "da", "norm", "trainer"} <= config_keys  # the resolved config
    artifacts = [r.artifact for r in records if r.WhichOneof("record_type") == "artifact"]
    assert [(a.type, [m.path for m in a.manifest.contents]) for a in artifacts] == [
        ("splits", ["splits.json"])
    ]
    # resuming from the checkpoint continues the same W&B run
    train(make_cfg(*WANDB, "test=false", "trainer.max_epochs=2", f"ckpt_path={last}", tiny=False))
    wandb.finish()
    assert run_id_from_checkpoint(last) == run_id
    runs = sorted((tmp_path / "wandb").glob(f"offline-run-*-{run_id}"))
    assert len(runs) == 2  # the offline store keeps one directory per session of the same run
    resumed = logged_values(next(runs[1].glob(f"run-{run_id}.wandb")))
    assert len(resumed["train/loss"]) == 2  # the second epoch's steps


def test_sweep_jobs_share_a_wandb_group_and_are_named_by_their_settings(make_cfg, tmp_path):
    single = make_cfg("logger=wandb", tiny=False)
    assert single.logger.wandb.group is None
    assert single.logger.wandb.name == "pieapp-pmax-coral-w0.025-s0"  # the shipped defaults
    job = ["model=vtamiq", "norm=n255", "da.weight=0.1", "data.fold=2", "seed=1"]
    swept = make_cfg("logger=wandb", "hydra.mode=MULTIRUN", *job, "paths.data_dir=/d", tiny=False)
    from hydra.core.hydra_config import HydraConfig

    sweep_dir = Path(HydraConfig.get().sweep.dir).name
    assert swept.logger.wandb.group == f"train-{sweep_dir}"
    assert swept.logger.wandb.name == "vtamiq-n255-coral-w0.1-f2-s1"
    no_da = make_cfg("logger=wandb", "da=none", "model.optimizer.lr=1e-3", "experiment=demo",
                     tiny=False)  # fmt: skip
    assert no_da.logger.wandb.name == "pieapp-pmax-none-s0-lr1e-3-demo"  # as written
    named = make_cfg("logger=wandb", "logger.wandb.name=mine", tiny=False)
    assert named.logger.wandb.name == "mine"
    baseline = make_cfg(
        "logger=wandb", "model=psnr", "data=synthetic", config_name="eval", tiny=False
    )
    assert baseline.logger.wandb.name == "psnr-synthetic"
