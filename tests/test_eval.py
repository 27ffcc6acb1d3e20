"""python -m hdr_iqa.eval: re-create a model from its checkpoint and run the test protocol."""

import csv
import json
import re
from pathlib import Path

import hydra
import pytest

from hdr_iqa import load_model
from hdr_iqa.errors import ConfigError, MissingFileError
from hdr_iqa.eval import evaluate
from hdr_iqa.inference import read_checkpoint
from hdr_iqa.inference.evaluation import eval_config, select_split
from hdr_iqa.predict import predict
from tests.helpers.commands import eval_command, logged_errors

# the Trainer settings of the tiny training run's test (conftest.TINY)
QUIET = (
    "trainer=cpu",
    "trainer.limit_test_batches=2",
    "trainer.enable_progress_bar=false",
    "callbacks.progress_bar=null",
)


def eval_cfg(make_cfg, trained_run, *overrides):
    return make_cfg(
        f"ckpt_path={trained_run.ckpt}", *QUIET, *overrides, config_name="eval", tiny=False
    )


def rows(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_eval_command_reproduces_the_training_runs_whole_test(trained_tiny, tmp_path, capsys):
    """``python -m hdr_iqa.eval`` on the whole test split (45 pairs per domain) gives the training
    run's own test: every prediction row and every metric."""
    run_dir = tmp_path / "eval"
    assert eval_command(run_dir, trained_tiny.ckpt, "trainer.limit_test_batches=null") == 0
    assert logged_errors(capsys) == []
    for name in ("sdr", "hdr"):
        ours = rows(run_dir / f"results/predictions_{name}.csv")
        assert len(ours) == 45
        assert ours == rows(trained_tiny.dir / f"results/predictions_{name}.csv")
    ours, trained = (json.loads((d / "results/metrics.json").read_text())["test"]
                     for d in (run_dir, trained_tiny.dir))  # fmt: skip
    assert ours == trained and ours["sdr"]["n"] == ours["hdr"]["n"] == 45
    assert f"ckpt_path: {trained_tiny.ckpt}" in (run_dir / "config.yaml").read_text()


def test_predict_and_the_api_equal_eval_for_png_and_exr_pairs(make_cfg, trained_run, tmp_path):
    model = load_model(trained_run.ckpt, device="cpu")
    for name, suffix in (("sdr", ".png"), ("hdr", ".exr")):
        row = rows(trained_run.dir / f"results/predictions_{name}.csv")[3]  # eval reproduces these
        assert row["dist"].endswith(suffix)
        api = model.score(row["dist"], row["ref"])
        assert api == pytest.approx(float(row["prediction"]), rel=1e-5, abs=1e-9)
        assert model.score(row["dist"], row["ref"]) == api  # repeated calls are identical
        cfg = make_cfg(
            f"ckpt_path={trained_run.ckpt}", f"ref={row['ref']}", f"dist={row['dist']}",
            "predict.device=cpu", f"output={tmp_path}/{name}.csv",
            config_name="predict", tiny=False,
        )  # fmt: skip
        assert [r["score"] for r in predict(cfg)] == [api]
        assert float(rows(tmp_path / f"{name}.csv")[0]["score"]) == api


def test_data_override_resolves_against_the_checkpoints_model(make_cfg, trained_run):
    cfg = eval_cfg(make_cfg, trained_run, "data=synthetic", "data.target=null")
    run = eval_config(read_checkpoint(trained_run.ckpt)["hdr_iqa"], cfg)
    assert run.data.patches.test == 2  # the checkpoint's model.sampling.test, not conf/model's
    assert run.data.target is None and run.model.net._target_ == "hdr_iqa.models.PieAPP"


def test_precision_is_the_checkpoints_unless_given(make_cfg, trained_run):
    saved = read_checkpoint(trained_run.ckpt)["hdr_iqa"]
    config = saved["config"]
    saved = {
        **saved,
        "config": {**config, "trainer": {**config["trainer"], "precision": "bf16-mixed"}},
    }
    assert eval_config(saved, eval_cfg(make_cfg, trained_run)).trainer.precision == "bf16-mixed"
    given = eval_cfg(make_cfg, trained_run, "trainer.precision=16-mixed")
    assert eval_config(saved, given).trainer.precision == "16-mixed"


def test_display_override_and_split_all(make_cfg, trained_run):
    cfg = eval_cfg(make_cfg, trained_run, "display=hdr_5000", "split=all")
    run = eval_config(read_checkpoint(trained_run.ckpt)["hdr_iqa"], cfg)
    datamodule = hydra.utils.instantiate(run.data)
    select_split(datamodule, "all")
    assert datamodule.records["source"]["test"][0].display.peak == 5000.0
    assert {k: len(v["test"]) for k, v in datamodule.records.items()} == {
        "source": 240,
        "target": 240,
    }


def test_checkpoints_from_before_the_composed_config(make_cfg, trained_run):
    """A checkpoint with only the resolved config: its data as it was resolved, its patch
    positions the legacy convention; a new display needs data= too (nothing to re-resolve)."""
    saved = read_checkpoint(trained_run.ckpt)["hdr_iqa"]
    assert saved["unresolved_config"]["data"]["patch_size"] == "${model.sampling.patch_size}"
    legacy = {"config": saved["config"]}
    del legacy["config"]["data"]["positions"]
    run = eval_config(legacy, eval_cfg(make_cfg, trained_run))
    assert run.data.positions == "centre" and run.data.patch_size == 64
    with pytest.raises(ConfigError, match="give data=<name> with display=<name>"):
        eval_config(legacy, eval_cfg(make_cfg, trained_run, "display=hdr_5000"))
    # another data= keeps the legacy checkpoint's convention, not the data config's default
    run = eval_config(legacy, eval_cfg(make_cfg, trained_run, "data=synthetic"))
    assert run.data.positions == "centre"


def test_unknown_split_is_rejected(make_cfg, trained_run):
    with pytest.raises(ConfigError, match="got 'holdout'"):
        evaluate(eval_cfg(make_cfg, trained_run, "split=holdout"))


def test_missing_checkpoint(make_cfg, tmp_path):
    missing = tmp_path / "nowhere.ckpt"
    cfg = make_cfg(f"ckpt_path={missing}", config_name="eval", tiny=False)
    with pytest.raises(
        MissingFileError, match=re.escape(f"ckpt_path: checkpoint not found: {missing}")
    ):
        evaluate(cfg)
