"""Score image pairs: ``python -m hdr_iqa.predict ckpt_path=... ref=... dist=... [display=...]``.

``model=pu_ssim`` (or psnr, ssim, pu_psnr, cvvdp) instead of ``ckpt_path`` scores with a metric
that needs no training.

One pair, two folders matched by file name, one reference against a folder, or a CSV of pairs
(``pairs=list.csv``); see :mod:`hdr_iqa.inference.pairs`. Prints a table and writes a CSV (one
row per pair) with a JSON of the settings beside it. Scores are deterministic and equal to those
of the Python API and of ``hdr_iqa.eval`` for the same pair.
"""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.progress import track

from hdr_iqa.inference.inputs import describe_display
from hdr_iqa.inference.pairs import collect_pairs
from hdr_iqa.inference.predictions import predictor_from_config, results_table, write_outputs
from hdr_iqa.utils.config import config_dir
from hdr_iqa.utils.run import run_task


def predict(cfg: DictConfig) -> list[dict]:
    """Score the pairs ``cfg`` names; returns one row (ref, dist, display, score) per pair."""
    settings = OmegaConf.to_container(cfg.predict)
    max_rows = settings.pop("max_rows", 20)
    pairs = collect_pairs(cfg.get("ref"), cfg.get("dist"), cfg.get("pairs"))
    model = predictor_from_config(cfg, settings)
    display = hydra.utils.instantiate(cfg.display) if cfg.get("display") else None
    console = Console(stderr=True)
    rows = []
    for pair in track(pairs, "Scoring", console=console, disable=len(pairs) < 2, transient=True):
        score, shown = model.score_pair(pair.dist, pair.ref, pair.display or display)
        row = {"ref": pair.ref or "", "dist": pair.dist, "display": describe_display(shown)}
        rows.append({**row, "score": score})
    write_outputs(Path(cfg.output), rows, model)
    Console().print(results_table(rows, model, max_rows))
    Console().print(f"Predictions: {cfg.output}")
    return rows


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="predict")
def main(cfg: DictConfig) -> None:
    """``python -m hdr_iqa.predict``: score image pairs."""
    run_task(predict, cfg)


if __name__ == "__main__":
    main()
