"""ResultsWriter: the results set is complete or absent, files have normal permissions, a
test set without a valid prediction is an error (no ``n: 0`` result), and the scatter plots
are PNGs in the set for every logger and figures in TensorBoard."""

from __future__ import annotations

import errno
import json
import os
import stat
import struct
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from hdr_iqa.callbacks import ResultsWriter
from hdr_iqa.errors import EvaluationError
from hdr_iqa.metrics import evaluate
from hdr_iqa.metrics.results import DatasetResult
from tests.helpers.commands import eval_command, logged_errors, train_command

UMASK = 0o027
"""An umask other than the usual 0o022, so that the modes below come from it."""


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, synthetic_data_dir) -> Path:
    """One tiny fit + test through the command line (written with umask 0o027)."""
    from fsspec.implementations.local import get_umask

    run_dir = tmp_path_factory.mktemp("results_run") / "run"
    previous = os.umask(UMASK)
    get_umask.cache_clear()  # fsspec (checkpoint files) reads the umask once per process
    try:
        assert train_command(run_dir, synthetic_data_dir) == 0
    finally:
        os.umask(previous)
        get_umask.cache_clear()
    return run_dir


def test_every_file_of_a_run_honours_the_umask(tiny_run):
    written = [p for p in tiny_run.rglob("*") if p.is_file()]
    names = {str(p.relative_to(tiny_run)) for p in written}
    assert {"config.yaml", "splits.json", "results/metrics.json", "results/metrics.csv",
            "results/predictions_hdr.csv", "checkpoints/last.ckpt"} <= names  # fmt: skip
    modes = {str(p.relative_to(tiny_run)): oct(stat.S_IMODE(p.stat().st_mode)) for p in written}
    assert set(modes.values()) == {oct(0o666 & ~UMASK)}, modes
    assert oct(stat.S_IMODE((tiny_run / "results").stat().st_mode)) == oct(0o777 & ~UMASK)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file (checks the signature and the IHDR chunk)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", path
    return struct.unpack(">II", data[16:24])


def test_scatter_plots_are_pngs_in_the_results_set_with_the_default_logger(tiny_run):
    config = (tiny_run / "config.yaml").read_text()
    assert "hdr_iqa.loggers.CSVLogger" in config and "WandbLogger" not in config
    for name in ("sdr", "hdr"):
        path = tiny_run / f"results/scatter_{name}.png"
        assert png_size(path) == (450, 400)  # 4.5 x 4 in at 100 dpi
    assert not (tiny_run / "tensorboard").exists()


def test_tensorboard_gets_the_scatter_plots_as_figures(tiny_run, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    eval_dir = tmp_path / "eval"
    assert eval_command(eval_dir, tiny_run / "checkpoints/last.ckpt", "logger=tensorboard") == 0
    events = EventAccumulator(str(eval_dir / "tensorboard"), size_guidance={"images": 0})
    events.Reload()
    assert sorted(events.Tags()["images"]) == ["test/hdr/scatter", "test/sdr/scatter"]
    for name in ("sdr", "hdr"):
        (image,) = events.Images(f"test/{name}/scatter")
        assert (image.width, image.height) == (450, 400)
        assert image.encoded_image_string[:4] == b"\x89PNG"
        assert png_size(eval_dir / f"results/scatter_{name}.png") == (450, 400)


def test_plots_false_writes_no_scatter_plot(tiny_run, tmp_path):
    eval_dir = tmp_path / "eval"
    ckpt = tiny_run / "checkpoints/last.ckpt"
    assert eval_command(eval_dir, ckpt, "callbacks.results.plots=false") == 0
    assert not list((eval_dir / "results").glob("scatter_*"))


def test_a_failed_results_write_keeps_the_previous_set(tiny_run, tmp_path, monkeypatch, capsys):
    """A second evaluation into the same directory runs out of space on its last file."""
    eval_dir = tmp_path / "eval"
    assert eval_command(eval_dir, tiny_run / "checkpoints/last.ckpt") == 0
    before = {p.name: p.read_bytes() for p in (eval_dir / "results").iterdir()}
    assert set(before) == {"metrics.json", "metrics.csv", "predictions_sdr.csv",
                           "predictions_hdr.csv", "scatter_sdr.png", "scatter_hdr.png"}  # fmt: skip
    (eval_dir / "results/metrics.json").write_text("{}")  # so a rewrite would show
    before["metrics.json"] = b"{}"
    fsync = os.fsync

    def disk_full_for_hdr_predictions(fd: int) -> None:
        if "predictions_hdr.csv" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", disk_full_for_hdr_predictions)
    capsys.readouterr()
    assert eval_command(eval_dir, tiny_run / "checkpoints/last.ckpt") == 1
    assert logged_errors(capsys) == [
        f"WriteError: cannot write {eval_dir}/results/predictions_hdr.csv: No space left on device"
    ]
    assert {p.name: p.read_bytes() for p in (eval_dir / "results").iterdir()} == before
    assert not [p.name for p in eval_dir.iterdir() if p.name.startswith(".results")]


def test_a_checkpoint_predicting_only_nan_is_an_error(tiny_run, tmp_path, capsys):
    checkpoint = torch.load(tiny_run / "checkpoints/last.ckpt", weights_only=True)
    checkpoint["state_dict"] = {k: torch.full_like(v, torch.nan) if v.is_floating_point() else v
                                for k, v in checkpoint["state_dict"].items()}  # fmt: skip
    torch.save(checkpoint, tmp_path / "diverged.ckpt")
    assert eval_command(tmp_path / "eval", tmp_path / "diverged.ckpt") == 1
    (line,) = logged_errors(capsys)
    assert line.startswith("EvaluationError: test set of dataset 'sdr': ")
    assert "predictions are NaN or infinite and none is valid" in line
    assert not (tmp_path / "eval/results").exists()


def writer_inputs(results: dict) -> tuple:
    """A trainer and module after testing two datasets of three pairs."""
    records = [SimpleNamespace(ref=f"r{i}", dist=f"d{i}", content=f"c{i}") for i in range(3)]
    datamodule = SimpleNamespace(eval_records=lambda split: {"sdr": records, "hdr": records})
    trainer = SimpleNamespace(datamodule=datamodule, loggers=[])
    return trainer, SimpleNamespace(test_results=results)


def test_a_dataset_without_tested_samples_is_an_error(tmp_path, capsys):
    index = torch.arange(3)
    prediction = torch.tensor([0.1, 0.5, 0.3])
    result = DatasetResult(evaluate(prediction.numpy(), index.numpy() * 1.0), index, prediction,
                           index * 1.0)  # fmt: skip
    writer = ResultsWriter(tmp_path, title="Test metrics (unit)")
    with pytest.raises(EvaluationError, match=r"^test set of dataset 'hdr': no sample was tested"):
        writer.on_test_end(*writer_inputs({"sdr": result}))
    assert not (tmp_path / "results").exists()
    writer.on_test_end(*writer_inputs({"sdr": result, "hdr": result}))
    saved = json.loads((tmp_path / "results/metrics.json").read_text())["test"]
    assert saved["sdr"]["n"] == saved["hdr"]["n"] == 3
    assert saved["sdr"]["srocc"] == pytest.approx(0.5)  # ranks (0, 2, 1) vs (0, 1, 2)
    printed = capsys.readouterr().out
    assert "Test metrics (unit)" in printed and "0.5000" in printed
