"""Export a checkpoint: ``python -m hdr_iqa.export ckpt_path=... format=torchscript|onnx``.

The exported graph is the photometric chain plus the network, on patches (any model registered
in :mod:`hdr_iqa.models`)::

    score = graph(ref, dist, pos, display)      # no-reference models: graph(dist, pos, display)

    ref, dist: (B, N, 3, P, P) float32 patches, display-encoded [0, 1] or cd/m^2 (``display``
               says which, per sample); pos: (B, N, 2) normalised patch centres (row, col);
    display:   (B, NUM_PARAMS) display parameters (``DisplayModel.params()``, layout in
               ``PARAM_FIELDS``); score: (B,) float32, 0 = reference quality, larger = worse.

B and N are dynamic. Beside the model go ``model.json`` (inputs, display fields, the test
protocol and, under ``"recipe"``, everything needed to cut the package's patches without it) and
``score_exported.py`` (a copy of :mod:`hdr_iqa.inference.recipe`: positions, patches, display
vector and the mean over draws in numpy, the graph in onnxruntime or torch), so a pair scores as
``load_model(ckpt).score`` does with no hdr_iqa installed. The exported model's scores are
checked against the original's on sample patches.
"""

from __future__ import annotations

import json
import logging
import tempfile
import warnings
from dataclasses import asdict
from pathlib import Path

import hydra
import numpy as np
import torch
from omegaconf import DictConfig
from torch import nn

from hdr_iqa.api import load_model
from hdr_iqa.data.records import QUALITY_DIRECTION
from hdr_iqa.errors import ConfigError, UserError
from hdr_iqa.inference import recipe as recipe_file
from hdr_iqa.inference.scoring import Patching
from hdr_iqa.module import IQAModule
from hdr_iqa.photometry import PARAM_FIELDS, DisplayModel
from hdr_iqa.utils.config import config_dir
from hdr_iqa.utils.files import atomic_write_text
from hdr_iqa.utils.run import run_task

log = logging.getLogger(__name__)
FORMATS = {"torchscript": ".pt", "onnx": ".onnx"}
RECIPE_NAME = "score_exported.py"
"""The standalone scoring recipe written beside the model (:mod:`hdr_iqa.inference.recipe`)."""
ONNX_SINGLE_FILE_LIMIT = 1 << 30
"""Weights above this size go to an external ``.onnx.data`` file (protobuf's 2 GB limit)."""


class ScoringGraph(nn.Module):
    """Photometric chain + network of a trained module, as one exportable graph."""

    def __init__(self, module: IQAModule) -> None:
        super().__init__()
        self.chain = module.chain
        self.net = module.net
        self.full_reference = not getattr(module.net, "no_reference", False)

    @property
    def input_names(self) -> list[str]:
        return (
            ["ref", "dist", "pos", "display"] if self.full_reference else ["dist", "pos", "display"]
        )

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        if self.full_reference:
            ref, dist, pos, display = inputs
            return self.net(self.chain(ref, display), self.chain(dist, display), pos).score
        dist, pos, display = inputs
        return self.net(None, self.chain(dist, display), pos).score


def sample_inputs(
    graph: ScoringGraph, display: DisplayModel, batch: int, patches: int, seed: int = 0
) -> tuple[torch.Tensor, ...]:
    """Random display-encoded patches (uniform [0, 1]) and centres, for tracing and checking."""
    generator = torch.Generator().manual_seed(seed)
    size = graph.net.patch_size
    images = [torch.rand(batch, patches, 3, size, size, generator=generator) for _ in range(2)]
    pos = torch.rand(batch, patches, 2, generator=generator)
    params = display.params().expand(batch, -1).clone()
    return (*images[: 2 if graph.full_reference else 1], pos, params)


def export_model(graph: ScoringGraph, path: Path, fmt: str, example: tuple) -> Path:
    """Write ``graph`` as TorchScript (traced) or ONNX (torch.export) with dynamic B and N."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".export-") as tmp_dir:
        tmp = Path(tmp_dir) / path.name  # ONNX external data (<name>.data) keeps its name
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch.jit is deprecated, still works
            warnings.filterwarnings("ignore", message=".*axis name")  # batch/patches share dims
            if fmt == "torchscript":
                torch.jit.trace(graph, example, check_trace=False).save(str(tmp))
            else:
                _export_onnx(graph, tmp, example)
        for file in Path(tmp_dir).iterdir():
            file.replace(path.parent / file.name)
    return path


def _export_onnx(graph: ScoringGraph, path: Path, example: tuple) -> None:
    try:
        import onnxscript  # noqa: F401  (torch.onnx's exporter needs it)
    except ImportError:
        raise ConfigError(
            "format=onnx needs the onnx, onnxscript and onnxruntime packages: "
            "pip install 'hdr_iqa[export]'"
        ) from None
    from torch.export import Dim

    batch, patches = Dim("batch"), Dim("patches")
    shapes = [{0: batch} if n == "display" else {0: batch, 1: patches} for n in graph.input_names]
    size = sum(p.numel() * p.element_size() for p in graph.parameters())
    torch.onnx.export(
        graph, example, str(path), dynamo=True, dynamic_shapes=(tuple(shapes),), verbose=False,
        input_names=graph.input_names, output_names=["score"],
        external_data=size > ONNX_SINGLE_FILE_LIMIT,
        optimize=False,  # onnxscript's constant folding fails on PieAPP's chunk(); ORT optimises
    )  # fmt: skip


def run_exported(path: Path, fmt: str, inputs: tuple) -> torch.Tensor:
    """Scores of an exported model on ``inputs`` (TorchScript in torch, ONNX in onnxruntime)."""
    if fmt == "torchscript":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            loaded = torch.jit.load(str(path), map_location="cpu")
        with torch.no_grad():
            return loaded(*inputs)
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    feed = {n: x.numpy() for n, x in zip(names, inputs, strict=True)}
    return torch.from_numpy(np.asarray(session.run(["score"], feed)[0]))


def export(cfg: DictConfig) -> dict:
    """Export ``cfg.ckpt_path``; returns the metadata written next to the model."""
    if cfg.format not in FORMATS:
        raise ConfigError(f"format must be one of {sorted(FORMATS)}, got {cfg.format!r}")
    model = load_model(
        cfg.ckpt_path, device="cpu", patches=cfg.get("patches"), repeats=cfg.get("repeats"),
        stride=cfg.get("stride"),
    )  # fmt: skip
    graph = ScoringGraph(model.module).eval()
    path = Path(cfg.output or Path(cfg.paths.output_dir) / f"model{FORMATS[cfg.format]}")
    display = model.default_display or DisplayModel()
    example = sample_inputs(graph, display, cfg.example.batch, cfg.example.patches)
    export_model(graph, path, cfg.format, example)
    meta = {
        "checkpoint": str(cfg.ckpt_path), "model": model.name, "format": cfg.format,
        "inputs": graph.input_names, "outputs": ["score"],
        "patch_shape": [3, graph.net.patch_size, graph.net.patch_size],
        "display_fields": list(PARAM_FIELDS), "training_display": asdict(display),
        "quality_direction": QUALITY_DIRECTION, "score_units": model.score_units,
        "test_protocol": asdict(model.patching),
        "recipe": scoring_recipe(model.patching, model.default_display),
    }  # fmt: skip
    if cfg.verify:
        meta["max_abs_difference"] = verify(graph, path, cfg.format, display, cfg.tolerance)
    atomic_write_text(path.with_suffix(".json"), json.dumps(meta, indent=2) + "\n")
    atomic_write_text(path.parent / RECIPE_NAME, Path(recipe_file.__file__).read_text())
    difference = meta.get("max_abs_difference", "not checked")
    log.info(
        "exported %s to %s (max |score difference| to the original: %s)",
        model.name,
        path,
        difference,
    )
    return meta


def scoring_recipe(patching: Patching, training_display: DisplayModel | None) -> dict:
    """The ``"recipe"`` of ``model.json``: what :mod:`hdr_iqa.inference.recipe` needs to score a
    pair as the package does (patching, display vectors, and the package's own positions for
    one image size, which the recipe checks its numpy reproduction against)."""
    if patching.patch_size is None:
        raise ConfigError("only patch-based models export (whole-image metrics need no export)")
    size = patching.patch_size
    height, width = 3 * size + 5, 4 * size + 3  # a size with several cells per axis
    positions = [
        [a.tolist() for a in patching.positions(height, width, r)] for r in range(patching.draws)
    ]
    return {
        "version": recipe_file.RECIPE_VERSION, "patch_size": size,
        "num_patches": patching.num_patches, "repeats": patching.repeats,
        "draws": patching.draws, "seed": patching.seed, "stride": patching.stride,
        "positions": "top-left corners; draw r seeded by SeedSequence([seed, H, W, r]), "
                     "torch.randperm cells + jitter (see score_exported.py)",
        "pixels": "uint8 codes * (1/255) on a display, or float32 cd/m^2 (display 'absolute')",
        "averaging": "mean over draws of the graph's per-draw score",
        "displays": {"absolute": DisplayModel.absolute_luminance().params().tolist()} | (
            {"training": training_display.params().tolist()} if training_display else {}
        ),
        "check": {"height": height, "width": width, "positions": positions},
    }  # fmt: skip


def verify(
    graph: ScoringGraph, path: Path, fmt: str, display: DisplayModel, tolerance: float
) -> float:
    """Compare exported and original scores on fresh inputs of another shape than the example's."""
    inputs = sample_inputs(graph, display, batch=3, patches=5, seed=1)
    with torch.no_grad():
        expected = graph(*inputs)
    difference = float((run_exported(path, fmt, inputs) - expected).abs().max())
    scale = float(expected.abs().max()) + 1e-12
    if not difference <= tolerance * scale:
        raise UserError(
            f"{path}: exported {fmt} model differs from the original by {difference:.3g} "
            f"(scores up to {scale:.3g}; tolerance {tolerance} relative)"
        )
    return difference


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="export")
def main(cfg: DictConfig) -> None:
    run_task(export, cfg)


if __name__ == "__main__":
    main()
