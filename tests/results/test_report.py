"""hdr_iqa.results: the summary of a fabricated sweep, complete and partly failed."""

import pandas as pd
import pytest

from hdr_iqa.errors import ConfigError, DataError, MissingFileError
from hdr_iqa.results import aggregate, read_runs, read_sweep
from tests.results.builders import make_eval_runs, make_sweep


def test_groups_by_swept_settings_over_seeds(tmp_path):
    paths = aggregate(make_sweep(tmp_path / "sweep"))
    summary = pd.read_csv(paths["summary.csv"])
    srocc = summary[summary["metric"] == "srocc"].set_index(["norm", "dataset"])
    assert srocc.loc[("pmax", "sdr"), "mean"] == pytest.approx(0.85)
    assert srocc.loc[("pmax", "sdr"), "median"] == pytest.approx(0.85)
    assert srocc.loc[("pmax", "sdr"), "std"] == pytest.approx(0.0707107, rel=1e-5)  # ddof=1
    assert srocc.loc[("n255", "hdr"), "mean"] == pytest.approx(0.55)
    assert srocc.loc[("n255", "hdr"), "runs"] == 2
    assert "seed" not in summary.columns  # averaged over
    text = paths["summary.md"].read_text()
    assert "| norm | dataset | runs | SROCC |" in text
    assert "| pmax | sdr | 2 | 0.8500 ± 0.0707 (0.8500) |" in text
    assert "Jobs with results: 4 of 4." in text
    rmse_fit = summary[summary["metric"] == "rmse_fit"].set_index(["norm", "dataset"])
    assert pd.isna(rmse_fit.loc[("pmax", "sdr"), "mean"])
    assert rmse_fit.loc[("pmax", "sdr"), "runs"] == 0
    assert paths["comparison.png"].read_bytes()[:4] == b"\x89PNG"
    jobs = pd.read_csv(paths["jobs.csv"])
    assert len(jobs) == 8 and set(jobs["status"]) == {"ok"}


def test_partly_failed_sweep_lists_failed_and_missing_jobs(tmp_path):
    sweep = make_sweep(tmp_path / "sweep", missing={3}, failed={1})
    text = aggregate(sweep, metric="plcc_fit")["summary.md"].read_text()
    assert "Jobs with results: 2 of 4." in text
    assert "failed (no results/metrics.json): job 1 (norm=pmax, seed=1)" in text
    assert "missing (never ran): norm=n255, seed=1" in text
    assert "| pmax | sdr | 1 | 0.8000 (0.8000) |" in text
    assert read_sweep(sweep).swept == ["norm", "seed"]


def test_a_sweep_and_a_folder_of_runs_in_one_table(tmp_path):
    sweep, evals = make_sweep(tmp_path / "sweep"), make_eval_runs(tmp_path / "runs")
    runs = read_runs([sweep, evals])
    assert runs.group_keys == ["model", "norm", "seed", "data.fold"]
    assert [job.name for job in runs.jobs][-3:] == ["runs/psnr_f0", "runs/psnr_f1", "runs/pu_ssim"]
    paths = aggregate([sweep, evals], out=tmp_path / "out")
    summary = pd.read_csv(paths["summary.csv"], dtype={"model": str, "norm": str})
    summary[["model", "norm"]] = summary[["model", "norm"]].fillna("")
    srocc = summary[summary["metric"] == "srocc"].set_index(["model", "norm", "dataset"])
    assert srocc.loc[("psnr", "", "sdr"), "mean"] == pytest.approx(0.55)
    assert srocc.loc[("psnr", "", "sdr"), "runs"] == 2  # folds averaged over
    assert srocc.loc[("", "pmax", "hdr"), "runs"] == 2  # seeds averaged over


def test_errors_name_the_directory_and_the_value(tmp_path):
    with pytest.raises(MissingFileError, match=f"multirun directory not found: {tmp_path}/nope"):
        aggregate(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=f"{tmp_path}/empty holds no Hydra jobs"):
        aggregate(tmp_path / "empty")
    sweep = make_sweep(tmp_path / "sweep", failed={0, 1, 2, 3})
    with pytest.raises(DataError, match=rf"no job of {sweep} has results/metrics\.json"):
        aggregate(sweep)
    with pytest.raises(ConfigError, match=r"metric must be one of srocc, .*, got 'spearman'"):
        aggregate(sweep, metric="spearman")
