"""python -m hdr_iqa.bench: a smoke test of every section on tiny settings (no timing asserts)."""

import json
import math

import pytest

from hdr_iqa.bench.__main__ import main as bench_main
from hdr_iqa.bench.timing import STAGES, summarise_steps
from tests.data.conftest import TINY_MODEL
from tests.helpers.cli import run_main
from tests.helpers.commands import logged_errors

TINY_BENCH = [
    *TINY_MODEL,  # the bench's machinery is tested, not PieAPP
    "trainer=cpu",
    "model.sampling.train=2",
    "model.sampling.test=2",
    "model.sampling.val=2",
    "data.batch_size=4",
    "data.eval_batch_size=2",
    "data.num_workers=1",
    "bench.warmup_steps=1",
    "bench.steps=2",
    "bench.eval_batches=1",
    "bench.data.samples=2",
    "bench.data.sdr_size=[96,128]",
    "bench.data.hdr_size=[128,160]",
    "bench.photometry.height=64",
    "bench.photometry.width=96",
    "bench.photometry.repeats=1",
    "bench.predict.pairs=[[96,128,hdr]]",
    "bench.predict.repeats=1",
    "bench.predict.patch_batch_size=1",
]


def _numbers(tree):
    if isinstance(tree, dict):
        for value in tree.values():
            yield from _numbers(value)
    elif isinstance(tree, float):
        yield tree


def test_every_section_runs_and_writes_bench_json(synthetic_data_dir, tmp_path, capsys):
    """``python -m hdr_iqa.bench`` with every section, on tiny settings."""
    out = tmp_path / "bench"
    code = run_main(bench_main, f"hydra.run.dir={out}", f"paths.root_dir={tmp_path}",
                    f"paths.data_dir={synthetic_data_dir}", *TINY_BENCH)  # fmt: skip
    assert code == 0 and logged_errors(capsys) == []
    results = json.loads((out / "bench.json").read_text())
    assert list(results) == ["setup", "photometry", "data", "train", "eval", "predict"], list(
        results
    )
    train = results["train"]
    assert train["full"]["pairs_per_step"] == 4  # 2 source + 2 target pairs per step
    assert train["efficiency"] == pytest.approx(
        train["full"]["pairs_per_s"] / train["bare"]["pairs_per_s"]
    )
    assert train["full"]["chain_ms"] > 0 and all(train["full"][f"{s}_ms"] >= 0 for s in STAGES)
    assert results["eval"]["pairs_per_batch"] == 2
    paths = ("blocked", "vectorised")
    assert set(results["photometry"]) == {
        f"{frame}_{path}_mpix_per_s" for frame in ("sdr", "hdr", "pq", "hlg") for path in paths
    }
    assert set(results["data"]) == {"sdr_128x96_png", "hdr_160x128_exr"}
    small = results["predict"]["hdr_128x96"]
    assert small["peak_rss_mb"] >= small["model_rss_mb"] > 0
    assert small["efficiency"] == pytest.approx(small["bare_ms"] / small["latency_ms"])
    evaluation = results["eval"]
    assert evaluation["efficiency"] == pytest.approx(
        evaluation["bare_batch_ms"] / evaluation["batch_ms"]
    )
    command = results["predict"]["command"]  # python -m hdr_iqa.predict from a new interpreter
    assert command["first_score_s"] > 0 and command["import_s"] > 0
    assert all(math.isfinite(x) and x >= 0 for x in _numbers(results))


def test_unknown_section_is_one_clear_error(tmp_path, capsys):
    code = run_main(bench_main, f"hydra.run.dir={tmp_path}", f"paths.root_dir={tmp_path}",
                    "bench.sections=[train,speedup]")  # fmt: skip
    assert code == 1
    (error,) = logged_errors(capsys)
    assert "ConfigError: bench.sections: unknown ['speedup']" in error, error


def test_throughput_counts_everything_between_the_timed_steps():
    steps = [
        {"end": 10.0, "pairs": 8.0, **dict.fromkeys(STAGES, 0.1)},
        {"end": 12.0, "pairs": 8.0, **dict.fromkeys(STAGES, 0.2)},
        {"end": 16.0, "pairs": 4.0, **dict.fromkeys(STAGES, 0.4)},
    ]
    summary = summarise_steps(steps, warmup=1)
    assert summary["pairs_per_s"] == pytest.approx(12 / 6)  # from the end of the warm-up step
    assert summary["step_ms"] == pytest.approx(3000)
    assert summary["data_ms"] == pytest.approx(300)
    with pytest.raises(ValueError, match="warmup"):
        summarise_steps(steps, warmup=3)
