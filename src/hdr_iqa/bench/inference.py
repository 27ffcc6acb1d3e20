"""Per-sample data path and predict latency with peak memory."""

from __future__ import annotations

import multiprocessing
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import hydra
import torch

from hdr_iqa.bench.timing import bare_network_seconds
from hdr_iqa.data.pair_dataset import PairDataset
from hdr_iqa.data.records import PairRecord
from hdr_iqa.photometry import DisplayModel


def data_path(
    pair: tuple[Path, Path],
    display: DisplayModel,
    patch_size: int,
    patches: int,
    samples: int,
    decoded_dir: Path,
) -> dict[str, float]:
    """Training samples per second of one worker (no DataLoader) for one pair of files.

    ``cold``: decoded for every sample (no cache); ``mapped``: decoded once into
    ``decoded_dir`` and memory-mapped (``data.decoded_cache``); ``warm``: decoded once and kept
    in the worker's memory (the default, with persistent workers).
    """
    domain = "hdr" if display.absolute else "sdr"
    record = PairRecord(str(pair[0]), str(pair[1]), 0.5, "bench", display, domain)
    modes = {"cold": (0, None), "mapped": (0, decoded_dir), "warm": (1 << 30, None)}
    results = {}
    for mode, (cache_bytes, directory) in modes.items():
        dataset = PairDataset(
            [record], patch_size, patches, train=True, cache_bytes=cache_bytes,
            decoded_cache=directory,
        )  # fmt: skip
        dataset[0]
        start = time.perf_counter()
        for _ in range(samples):
            dataset[0]
        seconds = (time.perf_counter() - start) / samples
        results[f"{mode}_ms"] = seconds * 1000
        results[f"{mode}_samples_per_s"] = 1 / seconds
    return results


def predict_latency(
    model_cfg: dict[str, Any],
    run_config: dict[str, Any],
    pair: tuple[Path, Path],
    display: str | None,
    options: dict[str, Any],
) -> dict[str, float]:
    """Latency of ``IQAPredictor.score`` on one pair of files (decode included) and the peak
    memory it needs, measured in a fresh process so that the peak is this pair's alone.

    Args:
        model_cfg: the resolved ``model`` config (random weights are built from it).
        run_config: the run config the predictor reads (display, data).
        pair: (ref, dist) files.
        display: display preset of display-encoded files, None for HDR files.
        options: ``device``, ``patch_batch_size``, ``repeats`` (timed calls) and the test
            protocol: ``patch_size``, ``patches``, ``draws``, ``seed``.
    """
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(
        target=_probe, args=(model_cfg, run_config, pair, display, options, queue)
    )
    process.start()
    result = queue.get()
    process.join()
    if "error" in result:
        raise RuntimeError(f"predict benchmark on {pair[1]} failed: {result['error']}")
    return result


def _probe(model_cfg, run_config, pair, display, options, queue) -> None:  # pragma: no cover
    """Child process of :func:`predict_latency` (covered through it, in another process)."""
    try:
        from hdr_iqa.api import IQAPredictor
        from hdr_iqa.data.protocol import PatchProtocol

        torch.manual_seed(0)
        module = hydra.utils.instantiate(model_cfg)
        module.run_config = run_config
        device = torch.device(options["device"])
        module.to(device)
        protocol = PatchProtocol(
            options["patch_size"], options["patches"], options["draws"], options["seed"]
        )
        predictor = IQAPredictor(module, protocol, options["patch_batch_size"])
        loaded_rss = _rss_mb()
        predictor.score(str(pair[1]), str(pair[0]), display=display)  # warm-up
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        times = []
        for _ in range(options["repeats"]):
            start = time.perf_counter()
            predictor.score(str(pair[1]), str(pair[0]), display=display)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            times.append(time.perf_counter() - start)
        result = {"latency_ms": min(times) * 1000, "model_rss_mb": loaded_rss,
                  "peak_rss_mb": _peak_rss_mb()}  # fmt: skip  # before the bare pass's memory
        if device.type == "cuda":
            result["peak_gpu_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
        pixels, shown = predictor.prepare(str(pair[1]), str(pair[0]), display)
        inputs = predictor.inputs(pixels, shown)  # the same patches, the network alone
        bare = bare_network_seconds(predictor.pipeline, *inputs, repeats=options["repeats"])
        result.update(bare_ms=bare * 1000, efficiency=bare / min(times))
        queue.put(result)
    except Exception as error:  # reported by the parent with the file name
        queue.put({"error": f"{type(error).__name__}: {error}"})


def write_checkpoint(model_cfg: dict[str, Any], run_config: dict[str, Any],
                     protocol: dict[str, Any], path: Path) -> Path:  # fmt: skip
    """A checkpoint of the bench's randomly initialised model (seed 0), as ``hdr_iqa.train``
    writes them (``state_dict`` and the ``hdr_iqa`` entry), for timing the predict command."""
    from hdr_iqa.module import CHECKPOINT_KEY

    torch.manual_seed(0)
    module = hydra.utils.instantiate(model_cfg)
    entry = {"config": run_config, "protocol": protocol, "overrides": [], "eval_names": []}
    torch.save({"state_dict": module.state_dict(), CHECKPOINT_KEY: entry}, path)
    return path


def first_score_seconds(checkpoint: Path, pair: tuple[Path, Path], display: str | None,
                        workdir: Path) -> dict[str, float]:  # fmt: skip
    """Wall time of ``python -m hdr_iqa.predict`` scoring one pair from a fresh interpreter
    (start to the score written), and of importing the command's module alone."""
    run = [sys.executable, "-m", "hdr_iqa.predict", f"ckpt_path={checkpoint}",
           f"ref={pair[0]}", f"dist={pair[1]}", f"output={workdir / 'first_score.csv'}",
           f"hydra.run.dir={workdir / 'predict_run'}", "predict.device=cpu"]  # fmt: skip
    if display:
        run.append(f"display={display}")
    start = time.perf_counter()
    done = subprocess.run(run, capture_output=True, text=True, check=False)
    first_score = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"python -m hdr_iqa.predict failed: {done.stdout[-500:]}")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import hdr_iqa.predict"], check=True)
    return {"first_score_s": first_score, "import_s": time.perf_counter() - start}


def _peak_rss_mb() -> float:
    """Peak resident set size of this process image, MiB (``VmHWM``: unlike ``ru_maxrss``, it
    starts afresh at exec, so a spawned child does not inherit its parent's peak)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024  # pragma: no cover


def _rss_mb() -> float:
    """Current resident set size of this process, MiB."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20
