"""Score image pairs: ``python -m hdr_iqa.predict ckpt_path=... ref=... dist=... [display=...]``.

``model=pu_ssim`` (or psnr, ssim, pu_psnr, cvvdp) instead of ``ckpt_path`` scores with a metric
that needs no training.

One pair, two folders matched by file name, one reference against a folder, or a CSV of pairs
(``pairs=list.csv``); see :mod:`hdr_iqa.inference.pairs`. Prints a table and writes a CSV (one
row per pair) with a JSON of the settings beside it. Scores are deterministic and equal to those
of the Python API and of ``hdr_iqa.eval`` for the same pair.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.progress import track
from rich.table import Table

from hdr_iqa.api import IQAPredictor, load_baseline, load_model
from hdr_iqa.errors import ConfigError
from hdr_iqa.inference.baselines import baseline_names
from hdr_iqa.inference.inputs import describe_display
from hdr_iqa.inference.pairs import collect_pairs
from hdr_iqa.utils.config import config_dir
from hdr_iqa.utils.files import atomic_write_text
from hdr_iqa.utils.run import run_task

COLUMNS = ("ref", "dist", "display", "score")


def predict(cfg: DictConfig) -> list[dict]:
    """Score the pairs ``cfg`` names; returns one row (ref, dist, display, score) per pair."""
    settings = OmegaConf.to_container(cfg.predict)
    max_rows = settings.pop("max_rows", 20)
    pairs = collect_pairs(cfg.get("ref"), cfg.get("dist"), cfg.get("pairs"))
    model = _model(cfg, settings)
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


def _model(cfg: DictConfig, settings: dict) -> IQAPredictor:
    """The checkpoint's model, or the metric without training that ``model=`` names."""
    if cfg.get("ckpt_path"):
        if cfg.get("model") is not None:
            raise ConfigError(
                "give ckpt_path=<checkpoint> or model=<metric without training>, not both"
            )
        return load_model(cfg.ckpt_path, **settings)
    if cfg.get("model") is None:
        raise ConfigError(
            "give ckpt_path=<checkpoint of a trained run>, or model=<name> of a metric without "
            f"training ({baseline_names()})"
        )
    device, batch = settings.get("device", "auto"), settings.get("patch_batch_size", 256)
    return load_baseline(OmegaConf.to_container(cfg.model, resolve=True), device, batch)


def write_outputs(path: Path, rows: list[dict], model: IQAPredictor) -> None:
    """The CSV of scores and, beside it, a JSON of what they mean and how they were made."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())
    meta = {
        "checkpoint": model.checkpoint_path,
        "model": model.name,
        "quality_direction": model.quality_direction,
        "score_units": model.score_units,
        "patching": model.protocol.to_dict(),
        "patch_batch_size": model.patch_batch_size,
        "pairs": len(rows),
    }
    atomic_write_text(path.with_suffix(".json"), json.dumps(meta, indent=2) + "\n")


def results_table(rows: list[dict], model: IQAPredictor, max_rows: int = 20) -> Table:
    """The printed table: one row per pair, captioned with the direction and units."""
    table = Table(
        title=f"Predicted quality ({model.name})",
        caption=f"quality direction: {model.quality_direction}\nunits: {model.score_units}",
    )
    for column in ("ref", "dist", "score"):
        table.add_column(column, justify="right" if column == "score" else "left")
    for row in rows[:max_rows]:
        table.add_row(
            Path(row["ref"]).name if row["ref"] else "-",
            Path(row["dist"]).name,
            f"{row['score']:.6g}",
        )
    if len(rows) > max_rows:
        table.add_row("...", f"{len(rows) - max_rows} more rows in the CSV", "")
    return table


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="predict")
def main(cfg: DictConfig) -> None:
    run_task(predict, cfg)


if __name__ == "__main__":
    main()
