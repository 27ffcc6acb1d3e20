"""What a dataset or an image holds, and the luminance that reaches PU21 (``hdr_iqa.inspect``).

For a data module: per dataset the number of references (contents), distorted images and pairs
per split, the range and direction of the targets, and the luminance (cd/m^2) that reaches PU21
after the display model over a sample of reference images. PU21 is defined on [0.005, 10000]
cd/m^2 and clamps outside it, so HDR users can check their calibration before training. For an
image: format, units, size, value range and the same luminance figures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from hdr_iqa.data.records import QUALITY_DIRECTION
from hdr_iqa.io import container_values, describe_image, read_image
from hdr_iqa.io.luminance import relative_message
from hdr_iqa.photometry import DisplayModel
from hdr_iqa.photometry.pu21 import L_MAX, L_MIN

SAMPLE_IMAGES = 8
"""Reference images read per dataset for the luminance figures."""


def luminance_summary(pixels: np.ndarray, display: DisplayModel, pixel_scale: float = 1.0) -> dict:
    """Luminance (cd/m^2) that reaches PU21 for decoded pixels shown on ``display``.

    Args:
        pixels: (H, W, 3) uint8, float [0, 1] (display-encoded) or float cd/m^2 (absolute).
        display: the sample's display (the nominal one: no training jitter).
        pixel_scale: the record's pixel factor.
    Returns:
        ``min``, ``median``, ``max`` (cd/m^2) and ``below``/``above``: fractions of values
        PU21 clamps (< 0.005 or > 10000 cd/m^2).
    """
    values = pixels.astype(np.float32) / (255.0 if pixels.dtype == np.uint8 else 1.0)
    rgb = torch.from_numpy(values * pixel_scale).permute(2, 0, 1)  # (3, H, W)
    luminance = display.to_luminance(rgb).numpy()
    return {
        "min": float(luminance.min()),
        "median": float(np.median(luminance)),
        "max": float(luminance.max()),
        "below": float((luminance < L_MIN).mean()),
        "above": float((luminance > L_MAX).mean()),
    }


def _read_shown(path: str | Path, display: DisplayModel) -> np.ndarray:
    """The pixels of ``path`` as its display takes them (10/12-bit codes of 16-bit files)."""
    return container_values(read_image(path, warn_relative=False), display.bits, str(path))


def _merge(summaries: list[dict]) -> dict:
    return {
        "min": min(s["min"] for s in summaries),
        "median": float(np.median([s["median"] for s in summaries])),
        "max": max(s["max"] for s in summaries),
        "below": float(np.mean([s["below"] for s in summaries])),
        "above": float(np.mean([s["above"] for s in summaries])),
    }


def inspect_datamodule(datamodule: Any, sample_images: int = SAMPLE_IMAGES) -> list[dict]:
    """One report per dataset of an :class:`~hdr_iqa.data.IQADataModule` (set up here), with
    the luminance figures of the first reference of up to ``sample_images`` contents."""
    datamodule.setup("fit")
    sources = {**datamodule.sources, **datamodule.test_sources}
    reports = []
    for role, by_split in datamodule.records.items():
        source = sources[role]
        records = [r for split in by_split.values() for r in split]
        labelled = [r.score for r in records if r.labelled and not hasattr(r, "dist_b")]
        preferences = [r.score for r in records if r.labelled and hasattr(r, "dist_b")]
        first_per_content: dict[str, object] = {}
        for record in sorted(records, key=lambda r: (r.content, r.dist)):
            first_per_content.setdefault(record.content, record)
        sample = list(first_per_content.values())[:sample_images]
        luminance = [
            luminance_summary(_read_shown(r.ref or r.dist, r.display), r.display, r.pixel_scale)
            for r in sample
        ]
        scale = getattr(source, "score_scale", None)
        reports.append({
            "name": source.name,
            "role": role,
            "domains": sorted({r.domain for r in records}),
            "displays": sorted({_display_text(r.display, r.pixel_scale) for r in records}),
            "references": len({r.content for r in records}),
            "distorted": len({r.dist for r in records}),
            "pairs": {split: len(recs) for split, recs in by_split.items()},
            "contents": {split: len({r.content for r in recs}) for split, recs in by_split.items()},
            "pairwise": len(preferences),
            "labelled": len(labelled),
            "score_min": min(labelled) if labelled else None,
            "score_max": max(labelled) if labelled else None,
            "preference_min": min(preferences) if preferences else None,
            "preference_max": max(preferences) if preferences else None,
            "raw_scale": scale.describe() if scale is not None else None,
            "luminance": _merge(luminance) if luminance else None,
            "sampled": len(sample),
        })  # fmt: skip
    return reports


def inspect_image(path: str | Path, display: DisplayModel | None = None) -> dict:
    """Format, units, size, value range and luminance reaching PU21 of one image file.

    An HDR file (cd/m^2) is taken as absolute luminance whatever ``display`` is; a
    display-encoded file gets luminance figures only when shown on a ``display``.
    """
    info = describe_image(path)
    if info.encoding == "luminance" or display is None:
        display = DisplayModel.absolute_luminance() if info.encoding == "luminance" else display
    report = {"info": info, "display": display, "luminance": None}
    if display is not None:
        report["luminance"] = luminance_summary(_read_shown(path, display), display)
    return report


def format_dataset_report(report: dict) -> str:
    """A report of :func:`inspect_datamodule` as indented text lines."""
    pairs = ", ".join(f"{k} {v}" for k, v in report["pairs"].items())
    contents = ", ".join(f"{k} {v}" for k, v in report["contents"].items())
    lines = [
        f"{report['name']} ({report['role']}, {'/'.join(report['domains'])})",
        f"  references (contents): {report['references']}   distorted images: "
        f"{report['distorted']}",
        f"  samples per split: {pairs}",
        f"  contents per split: {contents}",
        *(f"  shown as: {d}" for d in report["displays"]),
    ]
    if report["pairwise"]:
        lines.append(
            f"  pairwise: P(A preferred) {report['preference_min']:.4g} .. "
            f"{report['preference_max']:.4g} over {report['pairwise']} (ref, A, B) samples"
        )
    if report["labelled"]:
        lines.append(
            f"  targets: {report['score_min']:.4g} .. {report['score_max']:.4g} over "
            f"{report['labelled']} labelled pairs ({QUALITY_DIRECTION})"
        )
        if report["raw_scale"]:
            lines.append(f"  raw scores: {report['raw_scale']}")
    elif not report["pairwise"]:
        lines.append("  unlabelled (usable as a DA target with da.target_weight=0)")
    if report["luminance"]:
        lines += _luminance_lines(report["luminance"])
        lines[-1] += f"   [{report['sampled']} reference images]"
    return "\n".join(lines)


def format_image_report(report: dict) -> str:
    """A report of :func:`inspect_image` as text lines."""
    info = report["info"]
    lines = [
        f"{info.path}: {info.width}x{info.height}, {info.encoding} "
        f"({info.units}): {info.minimum:.4g} .. {info.maximum:.4g} (median {info.median:.4g})"
    ]
    if report["display"] is not None:
        lines.append(f"  shown as: {_display_text(report['display'])}")
    if report["luminance"]:
        lines += _luminance_lines(report["luminance"])
    if info.relative:
        lines.append("  warning: " + relative_message(info.maximum, info.path))
    return "\n".join(lines)


def _display_text(display: DisplayModel, pixel_scale: float = 1.0) -> str:
    if display.absolute:
        text = "absolute luminance (cd/m^2)"
    else:
        jitter = f" +- {display.peak_std:g}" if display.peak_std else ""
        text = (
            f"display {display.peak:g}{jitter} cd/m^2, contrast {display.contrast:g}, "
            f"{display.curve}, {display.ambient:g} lux"
        )
    return text + (f", pixels x {pixel_scale:.6g}" if pixel_scale != 1 else "")


def _luminance_lines(lum: dict) -> list[str]:
    lines = [
        f"  luminance reaching PU21: {lum['min']:.4g} .. {lum['max']:.4g} cd/m^2 "
        f"(median {lum['median']:.4g})"
    ]
    if lum["below"] > 0.01 or lum["above"] > 0.001:
        lines.append(
            f"  note: {100 * lum['below']:.1f}% of values are below {L_MIN} and "
            f"{100 * lum['above']:.2f}% above {L_MAX:g} cd/m^2, where PU21 clamps"
        )
    return lines
