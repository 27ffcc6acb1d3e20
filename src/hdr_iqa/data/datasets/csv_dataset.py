"""Bring your own data: pairs listed in a CSV file.

Columns (header required, any order, names in lower case):

=========  ========  ==============================================================
column     needed    meaning
=========  ========  ==============================================================
dist       yes       distorted image, relative to ``root`` (default: the CSV's folder)
ref        no        reference image; absent or empty = no-reference sample
score      no        raw quality score; empty = unlabelled (NaN)
content    no        content (scene) id for splits; default: the ref path (dist for NR)
domain     no        ``sdr`` or ``hdr``; default: ``hdr`` for .exr/.hdr/.pfm, else ``sdr``
display    no        a name from ``displays`` or ``absolute``; default: ``display`` for
                     display-encoded files, ``absolute`` (cd/m^2) for HDR files
=========  ========  ==============================================================

Columns are read by their header names; a row repeating an earlier (ref, dist, display) is an
error naming both lines. Rows with an empty ``score`` are unlabelled: they are listed (file and
line numbers) in a warning when the file also has labelled rows, and each record keeps the line
that listed it in ``meta["origin"]`` (``<csv>:<line>``), so a later check can name them.

Scores are mapped to the project direction (0 = best, larger = worse) with ``higher_is_better``
and ``score_range`` (:class:`~hdr_iqa.data.datasets._scores.ScoreScale`): without a range the
raw scores must already be in the project direction. HDR files whose values are relative can
be scaled to cd/m^2 with ``luminance_scale``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from hdr_iqa.data.datasets._base import FolderDataset
from hdr_iqa.data.datasets._files import (
    Folder,
    check_duplicates,
    check_not_empty,
    parse_score,
    read_table,
    require_file,
)
from hdr_iqa.data.datasets._scores import ScoreScale
from hdr_iqa.data.records import PairRecord
from hdr_iqa.errors import ConfigError, DataError
from hdr_iqa.io import image_encoding
from hdr_iqa.photometry import DisplayModel

log = logging.getLogger(__name__)
COLUMNS = ("ref", "dist", "score", "content", "domain", "display")
SHOWN_LINES = 10
"""Line numbers listed in messages about many rows."""


class CSVDataset(FolderDataset):
    """Pairs (or no-reference samples) listed in a CSV file.

    Args:
        csv_path: the CSV file.
        root: folder the image paths are relative to (default: the CSV's folder).
        name: name in metric keys and ``splits.json``.
        display: display of display-encoded images without a ``display`` column value.
        displays: named displays the ``display`` column may refer to.
        higher_is_better: raw direction of ``score``.
        score_range: [low, high] of the raw scale; targets become (x - low) / (high - low),
            reversed if higher is better. Required when ``higher_is_better``.
        luminance_scale: factor applied to HDR pixels (e.g. to turn relative values into cd/m^2).
    """

    title = "CSV dataset"

    def __init__(
        self,
        csv_path: str | Path,
        root: str | Path | None = None,
        name: str = "csv",
        display: DisplayModel | None = None,
        displays: Mapping[str, DisplayModel] | None = None,
        higher_is_better: bool = False,
        score_range: Sequence[float] | None = None,
        luminance_scale: float = 1.0,
    ) -> None:
        self.csv_path = Path(csv_path).expanduser()
        super().__init__(root if root is not None else self.csv_path.parent, name, display)
        self.displays = dict(displays or {})
        if score_range is not None:
            if len(score_range) != 2:
                raise ConfigError(f"score_range must be [low, high], got {list(score_range)}")
            low, high = (float(x) for x in score_range)
            self.score_scale = ScoreScale("CSV score", low, high, higher_is_better)
        elif higher_is_better:
            raise ConfigError(
                "higher_is_better=true needs score_range=[low, high] to map scores to "
                "0 = best, larger = worse"
            )
        if not (math.isfinite(luminance_scale) and luminance_scale > 0):
            raise ConfigError(f"luminance_scale must be > 0, got {luminance_scale}")
        self.luminance_scale = luminance_scale

    def _display(self, value: str, luminance: bool, where: str) -> DisplayModel:
        if value == "absolute" or (not value and luminance):
            return DisplayModel.absolute_luminance()
        if not value:
            return self._sdr_display()
        if value not in self.displays:
            raise DataError(
                f"{where}: display {value!r} is not 'absolute' or one of the configured "
                f"displays {sorted(self.displays)}"
            )
        return self.displays[value]

    def _read(self) -> list[PairRecord]:
        path = require_file(self.csv_path, f"{self.title} file")
        rows = list(read_table(path, ("dist",), optional=COLUMNS))
        keys = ((n, (r.get("ref", ""), r["dist"], r.get("display", ""))) for n, r in rows)
        check_duplicates(keys, path, "rows with the same (ref, dist, display)")
        folders: dict[Path, Folder] = {}

        def find(relative: str, source: str) -> str:
            file = self.root / relative
            if file.parent not in folders:
                folders[file.parent] = Folder(file.parent, self.title)
            return str(folders[file.parent].resolve(file.name, source))

        records = []
        for line, row in rows:
            where = f"{path}:{line}"
            if not row["dist"]:
                raise DataError(f"{where}: empty 'dist' field")
            try:
                luminance = image_encoding(row["dist"]) == "luminance"
            except DataError as error:
                raise DataError(f"{where}: {error}") from None
            ref = find(row["ref"], where) if row.get("ref") else None
            raw = parse_score(row["score"], path, line) if row.get("score") else math.nan
            score = raw if self.score_scale is None else self.score_scale.to_quality(raw)
            domain = row.get("domain") or ("hdr" if luminance else "sdr")
            if domain not in ("sdr", "hdr"):
                raise DataError(f"{where}: domain must be 'sdr' or 'hdr', found {domain!r}")
            records.append(
                PairRecord(
                    ref=ref,
                    dist=find(row["dist"], where),
                    score=score,
                    content=row.get("content") or row.get("ref") or row["dist"],
                    display=self._display(row.get("display", ""), luminance, where),
                    domain=domain,
                    meta={"raw_score": raw, "line": line, "origin": where},
                    pixel_scale=self.luminance_scale if luminance else 1.0,
                )
            )
        report_unlabelled(records, path)
        return check_not_empty(records, path, "rows")


def report_unlabelled(records: list[PairRecord], path: Path) -> None:
    """Warn, naming the lines, when some rows have an empty score and others do not.

    The reader cannot know the loss weight: an unlabelled dataset is fine for domain adaptation
    (weight 0) or a label-free loss, so a wholly unlabelled file is only logged (info).
    """
    lines = [r.meta["line"] for r in records if not r.labelled]
    if not lines:
        return
    listed = ", ".join(str(n) for n in lines[:SHOWN_LINES])
    more = f", ... ({len(lines) - SHOWN_LINES} more)" if len(lines) > SHOWN_LINES else ""
    if len(lines) == len(records):
        log.info("%s: no row has a score: the dataset is unlabelled (usable with a loss weight "
                 "of 0 or a label-free loss)", path)  # fmt: skip
        return
    log.warning(
        "%s: %d of %d rows have an empty score (unlabelled) on lines %s%s; with a non-zero loss "
        "weight training stops; fill in their scores or remove them",
        path, len(lines), len(records), listed, more,
    )  # fmt: skip
