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

import logging
from pathlib import Path

import hydra
from omegaconf import DictConfig

from hdr_iqa.api import load_model
from hdr_iqa.inference.export import FORMATS, export_predictor
from hdr_iqa.utils.config import config_dir
from hdr_iqa.utils.run import run_task

log = logging.getLogger(__name__)


def export(cfg: DictConfig) -> dict:
    """Export ``cfg.ckpt_path``; returns the metadata written next to the model."""
    model = load_model(
        cfg.ckpt_path, device="cpu", patches=cfg.get("patches"), repeats=cfg.get("repeats"),
        stride=cfg.get("stride"),
    )  # fmt: skip
    suffix = FORMATS.get(cfg.format, "")
    path = Path(cfg.output or Path(cfg.paths.output_dir) / f"model{suffix}")
    example = (cfg.example.batch, cfg.example.patches)
    tolerance = cfg.tolerance if cfg.verify else None
    meta = export_predictor(model, path, cfg.format, example, tolerance)
    difference = meta.get("max_abs_difference", "not checked")
    log.info("exported %s to %s (max |score difference| to the original: %s)",
             model.name, path, difference)  # fmt: skip
    return meta


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="export")
def main(cfg: DictConfig) -> None:
    """``python -m hdr_iqa.export``: export a checkpoint to TorchScript or ONNX."""
    run_task(export, cfg)


if __name__ == "__main__":
    main()
