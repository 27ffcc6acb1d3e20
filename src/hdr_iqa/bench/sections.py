"""The benchmark's sections, run in order on a bench config (``conf/bench.yaml``).

``photometry`` (chain megapixels/s on a 4K frame), ``data`` (one worker's samples/s for an SDR
PNG and an HDR EXR pair), ``train`` (full pipeline vs bare network pairs/s, their ratio =
pipeline efficiency, time per stage), ``eval`` (test-loop pairs/s) and ``predict`` (latency and
peak memory per pair size, each against the bare network on the same patches; the predict
command's time from start to first score).
"""

from __future__ import annotations

import platform
import tempfile
from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf

from hdr_iqa.api import resolve_device
from hdr_iqa.bench import inference, inputs, photometry, training
from hdr_iqa.data.protocol import PatchProtocol
from hdr_iqa.errors import ConfigError
from hdr_iqa.inference.inputs import display_preset
from hdr_iqa.photometry import DisplayModel

SECTIONS = ("photometry", "data", "train", "eval", "predict")


def run_sections(cfg: DictConfig) -> dict[str, Any]:
    """Run the sections of ``cfg.bench.sections`` (seeded by ``cfg.seed``); returns the results
    by section, after ``setup`` (model, precision, sizes, versions, hardware)."""
    unknown = set(cfg.bench.sections) - set(SECTIONS)
    if unknown:
        raise ConfigError(f"bench.sections: unknown {sorted(unknown)}; expected any of {SECTIONS}")
    pl.seed_everything(cfg.seed, workers=True)
    sampling = cfg.model.sampling
    results: dict[str, Any] = {"setup": setup(cfg)}
    with tempfile.TemporaryDirectory(prefix="hdr_iqa_bench_") as tmp:
        workdir = Path(tmp)
        if "photometry" in cfg.bench.sections:
            size = cfg.bench.photometry
            chain = hydra.utils.instantiate(cfg.norm)()
            device = resolve_device(cfg.bench.predict.device)
            results["photometry"] = photometry.chain_throughput(
                chain, size.height, size.width, device, size.repeats
            )
        if "data" in cfg.bench.sections:
            results["data"] = data_path(cfg, workdir, sampling)
        if {"train", "eval"} & set(cfg.bench.sections):
            results.update(train_and_eval(cfg))
        if "predict" in cfg.bench.sections:
            results["predict"] = predict(cfg, workdir)
    return results


def setup(cfg: DictConfig) -> dict[str, Any]:
    """What was measured and where: model, norm, precision, sizes, torch, CPU and GPU."""
    return {
        "model": cfg.model.net._target_.rsplit(".", 1)[-1],
        "norm": cfg.norm.scheme,
        "coral": bool(cfg.model.get("coral") and cfg.model.coral_weight > 0),
        "precision": str(cfg.trainer.precision),
        "batch_size": cfg.data.batch_size,
        "patches_train": cfg.model.sampling.train,
        "patches_test": cfg.model.sampling.test,
        "test_repeats": cfg.model.sampling.test_repeats,
        "num_workers": cfg.data.num_workers,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
    }


def data_path(cfg: DictConfig, workdir: Path, sampling: DictConfig) -> dict[str, Any]:
    """One worker's samples/s for an SDR PNG pair and an HDR EXR pair written in ``workdir``."""
    settings = cfg.bench.data
    sdr = inputs.write_sdr_pair(workdir, *settings.sdr_size)
    hdr = inputs.write_hdr_pair(workdir, *settings.hdr_size)
    common = {
        "patch_size": sampling.patch_size,
        "patches": sampling.train,
        "samples": settings.samples,
        "decoded_dir": workdir / "decoded",
    }
    return {
        f"sdr_{settings.sdr_size[1]}x{settings.sdr_size[0]}_png": inference.data_path(
            sdr, display_preset("sdr_100"), **common
        ),
        f"hdr_{settings.hdr_size[1]}x{settings.hdr_size[0]}_exr": inference.data_path(
            hdr, DisplayModel.absolute_luminance(), **common
        ),
    }


def train_and_eval(cfg: DictConfig) -> dict[str, Any]:
    """``train`` (full pipeline, bare network, efficiency) and ``eval`` as configured."""
    datamodule, module = training.build(cfg)
    warmup, steps = cfg.bench.warmup_steps, cfg.bench.steps
    full, trainer = training.full_pipeline(cfg, datamodule, module, warmup, steps)
    results: dict[str, Any] = {}
    if "train" in cfg.bench.sections:
        bare = training.bare_network(module, trainer, datamodule, warmup, steps)
        results["train"] = {
            "full": full,
            "bare": bare,
            "efficiency": full["pairs_per_s"] / bare["pairs_per_s"],
        }
    if "eval" in cfg.bench.sections:
        results["eval"] = training.evaluation(cfg, module, datamodule, cfg.bench.eval_batches)
    return results


def predict(cfg: DictConfig, workdir: Path) -> dict[str, Any]:
    """Latency and peak memory of predict per pair of ``cfg.bench.predict.pairs``."""
    settings = cfg.bench.predict
    device = resolve_device(settings.device)
    sampling = cfg.model.sampling
    options = {
        "device": str(device),
        "patch_batch_size": settings.patch_batch_size,
        "repeats": settings.repeats,
        "patch_size": sampling.patch_size,
        "patches": sampling.test,
        "draws": sampling.test_repeats,
        "seed": cfg.data.seed,
    }
    model_cfg = OmegaConf.to_container(cfg.model, resolve=True)
    run_config = {"model": model_cfg, "display": OmegaConf.to_container(cfg.display, resolve=True)}
    results, written = {}, []
    for height, width, kind in settings.pairs:
        write = inputs.write_hdr_pair if kind == "hdr" else inputs.write_sdr_pair
        pair, display = write(workdir, height, width), None if kind == "hdr" else "sdr_100"
        written.append((pair, display))
        results[f"{kind}_{width}x{height}"] = inference.predict_latency(
            model_cfg, run_config, pair, display, options
        )
    if settings.get("first_score", True) and written:  # the command, fresh, on the first pair
        protocol = PatchProtocol(options["patch_size"], options["patches"], options["draws"],
                                 options["seed"]).to_dict()  # fmt: skip
        checkpoint = inference.write_checkpoint(
            model_cfg, run_config, protocol, workdir / "bench.ckpt"
        )
        results["command"] = inference.first_score_seconds(checkpoint, *written[0], workdir)
    return results
