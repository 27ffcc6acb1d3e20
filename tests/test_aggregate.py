"""python -m hdr_iqa.aggregate on a fabricated sweep, complete and partly failed."""

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from hdr_iqa.aggregate import aggregate, main, read_sweep
from hdr_iqa.errors import DataError, MissingFileError

SWEEP = ["norm=pmax,n255", "seed=0,1", "paths.data_dir=/data"]


def make_sweep(root: Path, srocc: dict[tuple[str, str], float], missing=(), failed=()) -> Path:
    """A multirun directory like Hydra's: multirun.yaml and <job>/.hydra/overrides.yaml."""
    (root / "multirun.yaml").parent.mkdir(parents=True, exist_ok=True)
    (root / "multirun.yaml").write_text(yaml.safe_dump({"hydra": {"overrides": {"task": SWEEP}}}))
    for job, ((norm, seed), value) in enumerate(srocc.items()):
        if job in missing:
            continue
        job_dir = root / str(job)
        (job_dir / ".hydra").mkdir(parents=True)
        overrides = [f"norm={norm}", f"seed={seed}", "paths.data_dir=/data"]
        (job_dir / ".hydra/overrides.yaml").write_text(yaml.safe_dump(overrides))
        if job in failed:
            continue
        metrics = {
            name: {"n": 45, "srocc": value + offset, "krocc": 0.5, "plcc": 0.8, "rmse": 0.1,
                   "plcc_fit": 0.9, "rmse_fit": None if name == "sdr" else 0.05}
            for name, offset in (("sdr", 0.0), ("hdr", -0.1))
        }  # fmt: skip
        (job_dir / "results").mkdir()
        (job_dir / "results/metrics.json").write_text(json.dumps({"test": metrics}))
    return root


VALUES = {("pmax", "0"): 0.80, ("pmax", "1"): 0.90, ("n255", "0"): 0.60, ("n255", "1"): 0.70}


def test_groups_by_swept_settings_over_seeds(tmp_path):
    sweep = make_sweep(tmp_path / "sweep", VALUES)
    paths = aggregate(sweep)
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


def test_partly_failed_sweep_is_summarised_and_names_the_missing_jobs(tmp_path, capsys):
    sweep = make_sweep(tmp_path / "sweep", VALUES, missing={3}, failed={1})
    assert main([str(sweep), "--metric", "plcc_fit"]) == 0
    output = capsys.readouterr().out
    assert "Jobs with results: 2 of 4." in output
    assert "failed (no results/metrics.json): job 1 (norm=pmax, seed=1)" in output
    assert "missing (never ran): norm=n255, seed=1" in output
    assert "| pmax | sdr | 1 | 0.8000 (0.8000) |" in output
    assert read_sweep(sweep).swept == ["norm", "seed"]


def test_errors_name_the_directory(tmp_path):
    with pytest.raises(MissingFileError, match=f"multirun directory not found: {tmp_path}/nope"):
        aggregate(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no Hydra jobs"):
        aggregate(tmp_path / "empty")
    sweep = make_sweep(tmp_path / "sweep", VALUES, failed={0, 1, 2, 3})
    with pytest.raises(DataError, match=r"no job of .* has results/metrics\.json"):
        aggregate(sweep)
    assert main([str(tmp_path / "nope")]) == 1


SIX = ("pieapp", "psnr", "pu_ssim", "ssim", "pu_psnr", "cvvdp")


def test_trained_runs_and_baselines_in_one_table_and_plot(trained_tiny, tmp_path, capsys):
    """Issue 14's "done means": a tiny trained run and eval runs of all five baselines (psnr on
    two folds) on the same synthetic data, given as the run directory and the folder of eval
    runs, as ``python -m hdr_iqa.aggregate`` reads them: one table and one plot of six models."""
    from tests.helpers.commands import baseline_command

    evals = tmp_path / "eval_runs"
    for name, args in {"psnr_f0": ["model=psnr", "data.fold=0"],
                       "psnr_f1": ["model=psnr", "data.fold=1"],
                       "pu_ssim": ["model=pu_ssim"], "ssim": ["model=ssim"],
                       "pu_psnr": ["model=pu_psnr"], "cvvdp": ["model=cvvdp"]}.items():  # fmt: skip
        assert baseline_command(evals / name, trained_tiny.data_dir, *args, "data=synthetic") == 0
    out = tmp_path / "summary"
    capsys.readouterr()
    assert main([str(trained_tiny.dir), str(evals), "--out", str(out)]) == 0
    assert "| model | dataset | runs | SROCC |" in capsys.readouterr().out
    summary = pd.read_csv(out / "summary.csv")
    srocc = summary[summary["metric"] == "srocc"].set_index(["model", "dataset"])
    assert sorted(srocc.index) == [(m, d) for m in sorted(SIX) for d in ("hdr", "sdr")]
    assert list(srocc["runs"].loc[list(SIX), "hdr"]) == [1, 2, 1, 1, 1, 1]

    def tested(run: Path, dataset: str) -> float:
        return json.loads((run / "results/metrics.json").read_text())["test"][dataset]["srocc"]

    assert srocc.loc[("pieapp", "hdr"), "mean"] == pytest.approx(tested(trained_tiny.dir, "hdr"))
    folds = [tested(evals / f"psnr_f{k}", "sdr") for k in (0, 1)]
    assert srocc.loc[("psnr", "sdr"), "mean"] == pytest.approx(sum(folds) / 2)
    assert srocc.loc[("psnr", "sdr"), "std"] == pytest.approx(abs(folds[0] - folds[1]) / 2**0.5)
    jobs = pd.read_csv(out / "jobs.csv")
    assert set(jobs["directory"]) == {str(trained_tiny.dir), *(str(p) for p in evals.iterdir())}
    jobs = pd.read_csv(out / "jobs.csv", dtype=str, keep_default_na=False)
    folds_of = jobs.drop_duplicates("job").set_index("job")["data.fold"]
    assert folds_of.to_dict() == {"run": "", "eval_runs/psnr_f0": "0", "eval_runs/psnr_f1": "1",
                                  "eval_runs/pu_ssim": "", "eval_runs/ssim": "",
                                  "eval_runs/pu_psnr": "", "eval_runs/cvvdp": ""}  # fmt: skip
    assert "data.fold" not in summary.columns and "data" not in jobs.columns  # averaged / same
    png = (out / "comparison.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
