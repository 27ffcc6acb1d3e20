"""The benchmark's tables (rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from hdr_iqa.bench.timing import STAGES


def print_report(results: dict[str, Any], json_path: str) -> None:
    """Print every measured section as a table, then where the JSON is."""
    console = Console()
    setup = results["setup"]
    console.print(
        f"[bold]{setup['model']}[/] norm={setup['norm']} coral={setup['coral']} "
        f"precision={setup['precision']} batch={setup['batch_size']} "
        f"patches train/test={setup['patches_train']}/{setup['patches_test']}"
        f"x{setup['test_repeats']} workers={setup['num_workers']} threads={setup['threads']} "
        f"gpu={setup['gpu']} torch={setup['torch']}"
    )
    for section, render in _RENDERERS.items():
        if section in results:
            console.print(render(results[section]))
    console.print(f"Results: {json_path}")


def _training(train: dict[str, Any]) -> Table:
    full, bare = train["full"], train["bare"]
    table = Table(title="Training throughput (image pairs per second)")
    for column in ("", "pairs/s", "ms/step", *(f"{s} ms" for s in STAGES)):
        table.add_column(column, justify="right" if column else "left")
    table.add_row(
        "full",
        f"{full['pairs_per_s']:.2f}",
        f"{full['step_ms']:.0f}",
        *(f"{full[f'{s}_ms']:.1f}" for s in STAGES),
    )
    table.add_row("bare", f"{bare['pairs_per_s']:.2f}", f"{bare['step_ms']:.0f}")
    table.caption = (
        "full: loader, chain, forward, backward, optimiser through Lightning; bare: forward, "
        f"backward, optimiser on device tensors. Pipeline efficiency (full / bare): "
        f"{train['efficiency']:.3f}"
    )
    return table


def _evaluation(values: dict[str, float]) -> Table:
    table = Table(title="Evaluation (test loop, test patches x repeats)")
    for column in ("pairs/s", "ms/batch", "pairs/batch", "bare ms/batch", "bare/loop"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{values['pairs_per_s']:.2f}", f"{values['batch_ms']:.0f}",
        f"{values['pairs_per_batch']:.0f}", f"{values['bare_batch_ms']:.0f}",
        f"{values['efficiency']:.2f}",
    )  # fmt: skip
    table.caption = "bare: the network alone on a test batch's patches (chain applied beforehand)"
    return table


def _predict(values: dict[str, dict[str, float]]) -> Table:
    table = Table(title="Predict (one pair from files, decode included)")
    columns = ("pair", "latency ms", "bare ms", "bare/latency", "peak RSS MB",
               "RSS with model MB", "peak GPU MB")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column == "pair" else "right")
    pairs = {k: v for k, v in values.items() if "latency_ms" in v}
    for name, row in pairs.items():
        gpu = row.get("peak_gpu_mb")
        table.add_row(
            name, f"{row['latency_ms']:.0f}", f"{row['bare_ms']:.0f}", f"{row['efficiency']:.2f}",
            f"{row['peak_rss_mb']:.0f}", f"{row['model_rss_mb']:.0f}",
            "-" if gpu is None else f"{gpu:.0f}",
        )  # fmt: skip
    start = values.get("command")
    table.caption = (
        "bare: the network alone on the same patches (chain applied beforehand, one pass)"
        + (f"; python -m hdr_iqa.predict, start to first score: {start['first_score_s']:.1f} s "
           f"(importing it: {start['import_s']:.1f} s)" if start else "")
    )  # fmt: skip
    return table


def _data(values: dict[str, dict[str, float]]) -> Table:
    table = Table(title="Data path per training sample, one worker (ms, samples/s)")
    modes = ("cold", "mapped", "warm")
    table.add_column("pair")
    for mode in modes:
        table.add_column(f"{mode} ms", justify="right")
        table.add_column(f"{mode} /s", justify="right")
    for name, row in values.items():
        cells = [(f"{row[f'{m}_ms']:.2f}", f"{row[f'{m}_samples_per_s']:.0f}") for m in modes]
        table.add_row(name, *(cell for pair in cells for cell in pair))
    table.caption = (
        "cold: decoded every time; mapped: decoded once to disk, memory-mapped "
        "(data.decoded_cache); warm: decoded once, kept in the worker's memory"
    )
    return table


def _photometry(values: dict[str, float]) -> Table:
    table = Table(title="Photometric chain (display + PU21 + normalisation), megapixels/s")
    for column in ("frame", "path", "MP/s"):
        table.add_column(column, justify="right" if column == "MP/s" else "left")
    for key, value in values.items():
        frame, path, *_ = key.split("_")
        table.add_row(frame.upper(), path, f"{value:.1f}")
    return table


_RENDERERS = {
    "photometry": _photometry,
    "data": _data,
    "train": _training,
    "eval": _evaluation,
    "predict": _predict,
}
