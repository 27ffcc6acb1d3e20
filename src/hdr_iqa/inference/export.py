"""Exporting a loaded model's scoring pipeline (TorchScript or ONNX) with its test protocol.

The exported graph is :class:`~hdr_iqa.pipeline.IQAPipeline` (photometric chain + network) on
patches, traced as it is; see :mod:`hdr_iqa.export` for its inputs and the files written.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from hdr_iqa.data.protocol import PatchProtocol
from hdr_iqa.errors import ConfigError, UserError
from hdr_iqa.inference import recipe as recipe_file
from hdr_iqa.metrics.protocol import QUALITY_DIRECTION
from hdr_iqa.photometry import PARAM_FIELDS, DisplayModel
from hdr_iqa.pipeline import IQAPipeline

if TYPE_CHECKING:
    from hdr_iqa.inference.predictor import IQAPredictor
from hdr_iqa.utils.files import atomic_write_text

FORMATS = {"torchscript": ".pt", "onnx": ".onnx"}
RECIPE_NAME = "score_exported.py"
"""The standalone scoring recipe written beside the model (:mod:`hdr_iqa.inference.recipe`)."""
ONNX_SINGLE_FILE_LIMIT = 1 << 30
"""Weights above this size go to an external ``.onnx.data`` file (protobuf's 2 GB limit)."""


class ScoreGraph(nn.Module):
    """A pipeline's score as a traceable graph: tensors in (:attr:`IQAPipeline.input_names`),
    the (B,) score out (tracing and ONNX take neither a None input nor a None output)."""

    def __init__(self, pipeline: IQAPipeline) -> None:
        super().__init__()
        self.pipeline = pipeline
        self.full_reference = pipeline.full_reference
        self.input_names = pipeline.input_names

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        """(B,) scores of ``(ref, dist, pos, display)`` inputs (no-reference models:
        ``(dist, pos, display)``)."""
        ref = inputs[0] if self.full_reference else None
        return self.pipeline(ref, *inputs[-3:]).score


def sample_inputs(
    graph: ScoreGraph, display: DisplayModel, batch: int, patches: int, seed: int = 0
) -> tuple[torch.Tensor, ...]:
    """Random display-encoded patches (uniform [0, 1]) and centres, for tracing and checking."""
    generator = torch.Generator().manual_seed(seed)
    size = graph.pipeline.net.patch_size
    images = [torch.rand(batch, patches, 3, size, size, generator=generator) for _ in range(2)]
    pos = torch.rand(batch, patches, 2, generator=generator)
    params = display.params().expand(batch, -1).clone()
    return (*images[: 2 if graph.full_reference else 1], pos, params)


def export_model(graph: ScoreGraph, path: Path, fmt: str, example: tuple) -> Path:
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


def _export_onnx(graph: ScoreGraph, path: Path, example: tuple) -> None:
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


def scoring_recipe(patching: PatchProtocol, training_display: DisplayModel | None) -> dict:
    """The ``"recipe"`` of ``model.json``: what :mod:`hdr_iqa.inference.recipe` needs to score a
    pair as the package does (patching, display vectors, and the package's own positions for
    one image size, which the recipe checks its numpy reproduction against)."""
    if patching.patch_size is None:
        raise ConfigError("only patch-based models export (whole-image metrics need no export)")
    size = patching.patch_size
    height, width = 3 * size + 5, 4 * size + 3  # a size with several cells per axis
    positions = [
        [a.tolist() for a in patching.corners(height, width, r)] for r in range(patching.draws)
    ]
    return {
        "version": recipe_file.RECIPE_VERSION, "patch_size": size,
        "num_patches": patching.num_patches, "repeats": patching.repeats,
        "draws": patching.draws, "seed": patching.seed, "stride": patching.stride,
        "centres": patching.positions,
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
    graph: ScoreGraph, path: Path, fmt: str, display: DisplayModel, tolerance: float
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


def export_predictor(
    model: IQAPredictor,
    path: Path,
    fmt: str,
    example: tuple[int, int] = (2, 8),
    tolerance: float | None = 1e-4,
) -> dict:
    """Write ``model``'s pipeline as ``fmt`` to ``path``, ``model.json`` beside it (the
    metadata returned) and the standalone recipe ``score_exported.py``.

    Args:
        example: (batch, patches) of the tracing example.
        tolerance: relative difference allowed between exported and original scores on fresh
            inputs (:func:`verify`); None skips the check.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"format must be one of {sorted(FORMATS)}, got {fmt!r}")
    graph = ScoreGraph(model.pipeline).eval()
    display = model.default_display or DisplayModel()
    export_model(graph, path, fmt, sample_inputs(graph, display, *example))
    size = model.pipeline.net.patch_size
    meta = {
        "checkpoint": model.checkpoint_path, "model": model.name, "format": fmt,
        "inputs": graph.input_names, "outputs": ["score"], "patch_shape": [3, size, size],
        "display_fields": list(PARAM_FIELDS), "training_display": dataclasses.asdict(display),
        "quality_direction": QUALITY_DIRECTION, "score_units": model.score_units,
        "test_protocol": model.protocol.to_dict(),
        "recipe": scoring_recipe(model.protocol, model.default_display),
    }  # fmt: skip
    if tolerance is not None:
        meta["max_abs_difference"] = verify(graph, path, fmt, display, tolerance)
    atomic_write_text(path.with_suffix(".json"), json.dumps(meta, indent=2) + "\n")
    atomic_write_text(path.parent / RECIPE_NAME, Path(recipe_file.__file__).read_text())
    return meta
