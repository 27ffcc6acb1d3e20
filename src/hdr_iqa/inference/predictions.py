"""Scores of image pairs as a table and files: what ``python -m hdr_iqa.predict`` prints and
writes (a CSV of scores with a JSON of the settings beside it)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from omegaconf import DictConfig, OmegaConf
from rich.table import Table

from hdr_iqa.errors import ConfigError
from hdr_iqa.inference.baselines import baseline_names
from hdr_iqa.inference.predictor import IQAPredictor, load_baseline, load_model
from hdr_iqa.utils.files import atomic_write_text

COLUMNS = ("ref", "dist", "display", "score")
"""Columns of the predictions CSV."""


def predictor_from_config(cfg: DictConfig, settings: dict) -> IQAPredictor:
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
