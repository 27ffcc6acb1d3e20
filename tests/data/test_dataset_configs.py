"""Every data config and every experiment of the paper trains for a few steps on tiny copies of
the datasets in their published layouts, through the train entry point (tiny model)."""

import json
import logging
import math
from pathlib import Path

import hydra
import pytest
import torch
from omegaconf import OmegaConf

from hdr_iqa.errors import ConfigError
from hdr_iqa.models import DIQA
from hdr_iqa.train import train
from hdr_iqa.utils.config import config_dir
from hdr_iqa.utils.run import run_task
from tests.data.conftest import roots
from tests.helpers.commands import train_command

CONF = Path(config_dir())
DATA_CONFIGS = {  # data config -> (source folder, target folder, extra overrides, tested names)
    "kadid": ("kadid10k", None, [], ["kadid10k"]),
    "tid2013": ("tid2013", None, [], ["tid2013"]),
    "tid2008": ("tid2008", None, [], ["tid2008"]),
    "live": ("databaserelease2", None, [], ["live"]),
    "live_nr": ("databaserelease2", None, ["+model.net.no_reference=true"], ["live"]),
    "csiq": ("CSIQ", None, [], ["csiq"]),
    "pieapp": ("PieAPP_dataset", None, [], ["pieapp"]),
    "koniq": ("koniq10k", None, ["+model.net.no_reference=true"], ["koniq10k"]),
    "upiq_sdr": ("upiq_dataset", None, [], ["upiq_sdr"]),
    "upiq_sdr2hdr": ("upiq_dataset", None, [], ["upiq_sdr2hdr"]),
    "upiq_hdr": ("upiq_dataset", None, [], ["upiq_hdr"]),
    "upiq_full": ("upiq_dataset", None, [], ["upiq_full"]),
    "sihdr": ("kadid10k", "SI-HDR", ["da.target_weight=0", "test=false"], []),
    "csv": (None, None, [], ["csv"]),
}
EXPERIMENTS = {  # experiment -> (source folder, target folder, tested names)
    "pretrain_srgb": ("kadid10k", None, []),
    "finetune_upiq_pu": ("upiq_dataset", None, ["upiq_full"]),
    "da_s_hl": ("kadid10k", "upiq_dataset", ["upiq_hdr"]),
    "da_s_hs": ("kadid10k", "kadid10k", ["upiq_hdr"]),
    "da_s_hu_sihdr": ("kadid10k", "SI-HDR", ["upiq_hdr"]),
    "da_s_hu_kadid": ("kadid10k", "kadid10k", ["upiq_hdr"]),
    "da_s_hu_upiqs": ("kadid10k", "upiq_dataset", ["upiq_hdr"]),
    "upiq_sdr_only": ("upiq_dataset", None, ["upiq_sdr", "upiq_hdr"]),
    "upiq_hdr_only": ("upiq_dataset", None, ["upiq_hdr"]),
    "upiq_sdr_hdr": ("upiq_dataset", "upiq_dataset", ["upiq_sdr", "upiq_hdr"]),
}


def test_every_data_config_and_paper_experiment_is_covered():
    data = {p.stem for p in (CONF / "data").glob("*.yaml")} - {"_datamodule", "synthetic"}
    assert data == set(DATA_CONFIGS)
    assert {p.stem for p in (CONF / "experiment").glob("*.yaml")} - {"demo"} == set(EXPERIMENTS)


def check_run(output_dir: Path, tested: list[str]) -> None:
    if tested:
        metrics = json.loads((output_dir / "results/metrics.json").read_text())["test"]
        assert sorted(metrics) == sorted(tested)
        assert all(metrics[name]["n"] > 0 for name in tested)
    else:  # no test data: nothing to report
        assert not (output_dir / "results").exists()
    assert (output_dir / "checkpoints/last.ckpt").is_file()
    splits = json.loads((output_dir / "splits.json").read_text())
    for parts in splits.values():  # content-disjoint splits
        seen = [c for members in parts.values() for c in members]
        assert len(seen) == len(set(seen))


@pytest.mark.parametrize("name", sorted(DATA_CONFIGS))
def test_data_config_trains(datasets_dir, tmp_path, name):
    """Through the train command with the shipped defaults (a config without validation data,
    e.g. data=sihdr, has no val/srocc_best to return: exit 0 all the same)."""
    source, target, extra, tested = DATA_CONFIGS[name]
    overrides = roots(datasets_dir, source, target)
    if name == "csv":
        overrides = [f"data.source.csv_path={datasets_dir / 'mine/pairs.csv'}"]
    run_dir = tmp_path / "run"
    assert train_command(run_dir, tmp_path, f"data={name}", *overrides, *extra) == 0
    check_run(run_dir, tested)


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_experiment_trains(datasets_dir, tmp_path, name):
    source, target, tested = EXPERIMENTS[name]
    overrides = roots(datasets_dir, source, target)
    if "upiq_hdr" in tested and name not in ("da_s_hl", "upiq_hdr_only", "upiq_sdr_hdr"):
        overrides.append(f"data.test_datasets.upiq_hdr.root={datasets_dir / 'upiq_dataset'}")
    run_dir = tmp_path / "run"
    code = train_command(run_dir, tmp_path, f"experiment={name}", *overrides,
                         "trainer.max_epochs=1", "trainer.check_val_every_n_epoch=1")  # fmt: skip
    assert code == 0
    check_run(run_dir, tested)


def test_constructor_errors_are_one_line_messages(make_cfg, datasets_dir, caplog):
    cfg = make_cfg("data=upiq_hdr", "data.fold=9", *roots(datasets_dir, "upiq_dataset"))
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit):
        run_task(train, cfg)
    assert "ConfigError: data.fold must be in 0..4 (data.num_folds), got 9" in caplog.text


def test_diqa_phase_one_trains_on_unlabelled_data(make_cfg, datasets_dir):
    """DIQA's objective phase learns the error map, not labels: an unlabelled target (SI-HDR)
    trains with a non-zero loss weight; the subjective phase (labels) still refuses it."""
    overrides = ["data=sihdr", *roots(datasets_dir, "kadid10k", "SI-HDR"), "model=diqa",
                 "model.sampling.patch_size=32", "da.target_weight=1.0", "test=false"]  # fmt: skip
    metrics = train(make_cfg(*overrides))
    assert math.isfinite(metrics["train/loss_target"]) and "train/loss_source" in metrics
    with pytest.raises(
        ConfigError, match="the target training set has unlabelled samples but its loss weight"
    ):
        train(make_cfg(*overrides, "model.net.phase=subjective"))


SRGB_STARTED = {"finetune_upiq_pu", "da_s_hl", "da_s_hs", "da_s_hu_kadid", "da_s_hu_sihdr",
                "da_s_hu_upiqs"}  # fmt: skip
"""Paper stages that start from the sRGB model (reference-spec 6.4 and 8.1)."""


def test_experiments_that_start_from_the_srgb_model_require_its_weights(
    make_cfg, datasets_dir, caplog
):
    for name in EXPERIMENTS:
        cfg = make_cfg(f"experiment={name}")
        weights = OmegaConf.to_container(cfg.model.net)["weights"]
        if name in SRGB_STARTED:
            assert OmegaConf.is_missing(cfg, "srgb_weights") and weights == "${srgb_weights}"
        else:
            assert "srgb_weights" not in cfg and weights is None, name
    cfg = make_cfg("experiment=da_s_hl", *roots(datasets_dir, "kadid10k", "upiq_dataset"))
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit) as stopped:
        run_task(train, cfg)
    assert stopped.value.code == 1
    assert (
        "ConfigError: srgb_weights (the value of model.net.weights) is required but not set "
        "('???' in the config): give it on the command line, e.g. srgb_weights=<value>"
    ) in caplog.text


def test_srgb_weights_start_the_experiment(make_cfg, tmp_path):
    torch.manual_seed(0)
    srgb = DIQA("objective")
    torch.save(srgb.state_dict(), tmp_path / "srgb.pth")
    cfg = make_cfg("experiment=da_s_hl", "model=diqa", f"srgb_weights={tmp_path}/srgb.pth")
    loaded = hydra.utils.instantiate(cfg.model).net.state_dict()
    for key, value in srgb.state_dict().items():
        assert torch.equal(loaded[key], value), key
    scratch = make_cfg("experiment=da_s_hl", "model=diqa", "model.net.weights=null")
    scratch_weight = hydra.utils.instantiate(scratch.model).net.features[0].weight
    assert not torch.equal(scratch_weight, srgb.features[0].weight)  # from its initialisation
