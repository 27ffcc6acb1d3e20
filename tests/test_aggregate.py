"""python -m hdr_iqa.aggregate: every README form (the older positional/--flag form and the
key=value form), its one-line errors, and a trained run beside every baseline."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hdr_iqa.aggregate import main
from tests.helpers.cli import run_main
from tests.helpers.commands import ANSI, logged_errors
from tests.results.builders import make_eval_runs, make_sweep

ROOT = Path(__file__).resolve().parents[1]
OVER = ["seed", "data.seed", "data.fold"]


@pytest.fixture
def cwd(tmp_path, monkeypatch) -> Path:
    """An empty working directory: the command writes nothing into it but ``out``."""
    path = tmp_path / "cwd"
    path.mkdir()
    monkeypatch.chdir(path)
    return path


def readme_sweep_forms(sweep: Path) -> dict[str, list[str]]:
    """``python -m hdr_iqa.aggregate logs/train/multiruns/<date>_<time> [--over seed data.seed
    data.fold] [--metric srocc]`` (README) and the same as key=value overrides."""
    return {
        "legacy": [str(sweep)],
        "legacy, flags": [str(sweep), "--over", *OVER, "--metric", "srocc"],
        "legacy, --flag=value": [str(sweep), "--over", *OVER, "--metric=srocc"],
        "key=value": [f"dirs={sweep}"],
        "key=value, all keys": [f"dirs=[{sweep}]", f"over=[{','.join(OVER)}]", "metric=srocc"],
    }


def test_readme_sweep_forms_write_the_same_summary(tmp_path, cwd, capsys):
    sweep = make_sweep(tmp_path / "sweep", missing={3}, failed={1})
    written = {}
    for form, args in readme_sweep_forms(sweep).items():
        assert run_main(main, *args) == 0, form
        output = capsys.readouterr().out
        assert "| norm | dataset | runs | SROCC |" in output, form
        assert "| pmax | sdr | 1 | 0.8000 (0.8000) |" in output, form
        assert "failed (no results/metrics.json): job 1 (norm=pmax, seed=1)" in output, form
        assert "missing (never ran): norm=n255, seed=1" in output, form
        assert f"summary.md: {sweep}/aggregate/summary.md" in output, form
        written[form] = (sweep / "aggregate/summary.md").read_text()
    assert len(set(written.values())) == 1, written
    assert list(cwd.iterdir()) == []  # no run directory, .hydra/ or aggregate.log


def test_over_and_metric_are_applied(tmp_path, cwd, capsys):
    sweep = make_sweep(tmp_path / "sweep")
    for args in ([str(sweep), "--over", "--metric", "plcc_fit"], [f"dirs={sweep}", "over=[]"]):
        assert run_main(main, *args) == 0
        assert "| norm | seed | dataset | runs |" in capsys.readouterr().out  # nothing averaged
    assert main([str(sweep), "--over", "norm"]) == 0  # main(argv) returns 0 (tests/test_sweeps)
    assert "| seed | dataset | runs |" in capsys.readouterr().out


@pytest.mark.parametrize("form", ["legacy", "key=value"])
def test_readme_sweep_and_baselines_form_writes_out_relative_to_cwd(tmp_path, cwd, form, capsys):
    """``python -m hdr_iqa.aggregate <multirun> logs/eval/runs --out comparison``."""
    sweep, evals = make_sweep(tmp_path / "sweep"), make_eval_runs(tmp_path / "runs")
    args = {
        "legacy": [str(sweep), str(evals), "--out", "comparison"],
        "key=value": [f"dirs=[{sweep},{evals}]", "out=comparison"],
    }[form]
    assert run_main(main, *args) == 0
    assert "| model | norm | dataset | runs | SROCC |" in capsys.readouterr().out
    assert sorted(p.name for p in cwd.iterdir()) == ["comparison"]
    files = sorted(p.name for p in (cwd / "comparison").iterdir())
    assert files == ["comparison.png", "jobs.csv", "summary.csv", "summary.md"]
    assert not (sweep / "aggregate").exists()


def test_python_m_aggregate_error_is_one_line_and_exit_code_1(tmp_path, cwd):
    """The module as a program (``sys.exit(main())``): the process's exit code and output."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
           os.environ.get("PYTHONPATH")]))}  # fmt: skip
    command = [sys.executable, "-m", "hdr_iqa.aggregate", str(tmp_path / "nope")]
    failed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    output = ANSI.sub("", failed.stdout + failed.stderr)
    assert failed.returncode == 1 and "Traceback" not in output, output[-3000:]
    (line,) = output.strip().splitlines()
    assert line.endswith(f"MissingFileError: run or multirun directory not found: {tmp_path}/nope")
    assert list(cwd.iterdir()) == []


def test_errors_are_one_line_with_exit_code_1(tmp_path, cwd, capsys):
    (tmp_path / "empty").mkdir()
    failed = make_sweep(tmp_path / "failed", failed={0, 1, 2, 3})
    cases = [  # (arguments, the logged error)
        ([str(tmp_path / "nope")],
         f"MissingFileError: run or multirun directory not found: {tmp_path}/nope"),
        ([f"dirs=[{tmp_path}/nope]"],
         f"MissingFileError: run or multirun directory not found: {tmp_path}/nope"),
        ([str(tmp_path / "empty")], f"DataError: {tmp_path}/empty holds no Hydra jobs"),
        ([str(failed)], f"DataError: no job of {failed} has results/metrics.json"),
        ([str(failed), "--metric", "spearman"],
         "ConfigError: metric must be one of srocc, krocc, plcc, rmse, plcc_fit, rmse_fit, "
         "got 'spearman'"),
        ([], "ConfigError: dirs is required but not set ('???' in the config)"),
    ]  # fmt: skip
    for args, message in cases:
        assert run_main(main, *args) == 1, args
        (error,) = logged_errors(capsys)
        assert error.startswith(message), (args, error)
    assert list(cwd.iterdir()) == []


def test_help_shows_both_forms(capsys):
    assert run_main(main, "--help") == 0
    out = capsys.readouterr().out
    assert "python -m hdr_iqa.aggregate dirs=[<dir>,...]" in out
    assert "python -m hdr_iqa.aggregate <dir> [<dir> ...] [--over <key> ...]" in out
    assert "metric: srocc" in out and "dirs: ???" in out


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
