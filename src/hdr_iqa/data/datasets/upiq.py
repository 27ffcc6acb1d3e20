"""UPIQ (Mikhailiuk et al., 2021): SDR (LIVE, TID2013) + HDR (Narwaria, Korshunov), one JOD scale.

Layout (the unchanged ``upiq_dataset`` folder)::

    upiq_subjective_scores.csv   condition_id,dataset,content_id,dist_id,dist_level,is_hdr,
                                 test_file,reference_file,pix_per_deg,distortion_name,
                                 repeating_content_id,JOD
    images/korshunov/01/i01.exr, images/korshunov/01/i01_01_1.exr, ...   (HDR, cd/m^2)
    images/narwaria/...exr   images/live/01/i01.png ...   images/tid2013/01/i01.png ...

``test_file``/``reference_file`` are relative to ``images/``. Columns are read by their header
names; a (reference_file, test_file) pair listed twice is an error. Subsets (``subset``):

* ``sdr``: LIVE + TID2013 PNGs, shown on ``display`` (3,779 pairs);
* ``sdr2hdr``: the same images in absolute luminance: the ``.exr`` next to each PNG when it
  exists, else the PNG on ``display`` (the public download has no SDR EXRs; the display model
  then produces the same luminance on the device);
* ``hdr``: Narwaria + Korshunov EXRs in cd/m^2 (380 pairs);
* ``full``: all four, SDR as in ``sdr2hdr``.

Scores: JOD (0 ~ reference, negative = worse), mapped with the reference's fixed range to
1 - (JOD - JOD_min) / (JOD_max - JOD_min). Content id: the UPIQ content group, ``upiq/t-i05``;
LIVE contents that are also in TID2013 take the TID id (reference-spec 7.7) so that one scene
never straddles splits. ``fold_strata()`` lists the 35 SDR groups, then the 30 HDR groups, so
``data.fold=k`` with ``data.seed=0`` gives the reference's 5-fold CV folds exactly.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Literal

from hdr_iqa.data.datasets._base import FolderDataset
from hdr_iqa.data.datasets._files import (
    Folder,
    check_duplicates,
    check_not_empty,
    column_index,
    csv_header,
    parse_score,
    read_csv,
    require_file,
)
from hdr_iqa.data.datasets._scores import SCORE_SCALES
from hdr_iqa.data.records import PairRecord
from hdr_iqa.errors import ConfigError, DataError
from hdr_iqa.io import image_encoding
from hdr_iqa.photometry import DisplayModel

log = logging.getLogger(__name__)
SCORES_FILE = "upiq_subjective_scores.csv"
SUBSETS = ("sdr", "sdr2hdr", "hdr", "full")
LIVE_TO_TID = {
    1: 5, 3: 8, 4: 3, 11: 22, 12: 19, 13: 21, 16: 16, 17: 24, 18: 23, 19: 20, 20: 14, 21: 6,
    22: 9, 23: 10, 24: 11, 25: 17, 26: 13, 28: 18, 29: 4,
}  # fmt: skip
"""LIVE reference number -> the same scene's TID2013 number (the other 10 are LIVE-only)."""
_CONTENT = re.compile(r"^([a-z])-i?(\d+)$", re.IGNORECASE)
_COLUMNS = ("dataset", "content_id", "is_hdr", "test_file", "reference_file", "jod")


def content_group(content_id: str) -> str:
    """UPIQ content id -> content group, LIVE scenes shared with TID2013 under the TID id.

    Example:
        >>> content_group("l-i01"), content_group("l-i02"), content_group("k-i7")
        ('t-i05', 'l-i02', 'k-i07')
    """
    match = _CONTENT.match(content_id.strip())
    if match is None:
        raise ValueError(f"content id {content_id!r} does not look like <letter>-i<number>")
    letter, number = match.group(1).lower(), int(match.group(2))
    if letter == "l" and number in LIVE_TO_TID:
        letter, number = "t", LIVE_TO_TID[number]
    return f"{letter}-i{number:02d}"


class UPIQ(FolderDataset):
    """UPIQ full-reference pairs (SDR and/or HDR).

    Args:
        root: the ``upiq_dataset`` folder (``upiq_subjective_scores.csv``, ``images/``).
        subset: ``sdr``, ``sdr2hdr``, ``hdr`` or ``full`` (see the module docstring).
        display: display of the SDR PNGs (e.g. ``sdr_100``; the paper's UPIQ runs use 100
            cd/m^2, 100 lux, no randomisation). Not needed for ``hdr``.
        name: name in metric keys and ``splits.json``.
    """

    title = "UPIQ"
    score_scale = SCORE_SCALES["upiq_jod"]

    def __init__(
        self,
        root: str | Path,
        subset: Literal["sdr", "sdr2hdr", "hdr", "full"] = "hdr",
        display: DisplayModel | None = None,
        name: str | None = None,
    ) -> None:
        if subset not in SUBSETS:
            raise ConfigError(f"UPIQ subset must be one of {list(SUBSETS)}, got {subset!r}")
        super().__init__(root, name or f"upiq_{subset}", display)
        self.subset = subset
        self._strata: list[list[str]] | None = None

    def _rows(self) -> list[tuple[int, dict[str, str]]]:
        path = require_file(self.root / SCORES_FILE, f"{self.title} score file")
        header = csv_header(path)
        columns = {name: column_index(header, path, name) for name in _COLUMNS}
        rows = []
        for line, fields in read_csv(path, columns=max(columns.values()) + 1):
            row = {name: fields[i] for name, i in columns.items()}
            if row["is_hdr"] not in ("0", "1"):
                raise DataError(f"{path}:{line}: is_hdr must be 0 or 1, found {row['is_hdr']!r}")
            try:
                row["group"] = content_group(row["content_id"])
            except ValueError as error:
                raise DataError(f"{path}:{line}: {error}") from None
            rows.append((line, row))
        return check_not_empty(rows, path, "rows")

    def fold_strata(self) -> list[list[str]]:
        """[SDR content groups, HDR content groups] of the whole score file, sorted."""
        if self._strata is None:
            rows = [row for _, row in self._rows()]
            self._strata = [
                sorted({f"upiq/{r['group']}" for r in rows if r["is_hdr"] == hdr})
                for hdr in ("0", "1")
            ]
        return [list(s) for s in self._strata]

    def _read(self) -> list[PairRecord]:
        path = self.root / SCORES_FILE
        images = self.root / "images"
        folders: dict[Path, Folder] = {}
        absolute = DisplayModel.absolute_luminance()
        records, fallbacks = [], 0

        def find(relative: str, source: str, required: bool = True) -> Path | None:
            file = images / relative
            if file.parent not in folders:
                if not required and not file.parent.is_dir():
                    return None
                folders[file.parent] = Folder(file.parent, self.title)
            folder = folders[file.parent]
            return folder.resolve(file.name, source) if required else folder.find(file.name)

        rows = self._rows()
        pairs = ((n, (r["reference_file"], r["test_file"])) for n, r in rows)
        check_duplicates(pairs, path, "pairs (reference_file, test_file)")
        for line, row in rows:
            hdr = row["is_hdr"] == "1"
            if (self.subset in ("sdr", "sdr2hdr") and hdr) or (self.subset == "hdr" and not hdr):
                continue
            source = f"{path}:{line}"
            ref, dist = row["reference_file"], row["test_file"]
            if not hdr and self.subset in ("sdr2hdr", "full"):
                ref_exr = find(str(Path(ref).with_suffix(".exr")), source, required=False)
                dist_exr = find(str(Path(dist).with_suffix(".exr")), source, required=False)
                if ref_exr is not None and dist_exr is not None:
                    ref, dist = str(ref_exr.relative_to(images)), str(dist_exr.relative_to(images))
                else:
                    fallbacks += 1
            luminance = image_encoding(dist) == "luminance"
            raw = parse_score(row["jod"], path, line, "JOD")
            records.append(
                PairRecord(
                    ref=str(find(ref, source)),
                    dist=str(find(dist, source)),
                    score=self.score_scale.to_quality(raw),
                    content=f"upiq/{row['group']}",
                    display=absolute if luminance else self._sdr_display(),
                    domain="hdr" if hdr else "sdr",
                    meta={"dataset": row["dataset"], "raw_score": raw, "origin": source},
                )
            )
        if fallbacks:
            log.info(
                "UPIQ %s: %d SDR pairs have no .exr next to the PNG; the PNGs are shown on the "
                "display model instead", self.subset, fallbacks,
            )  # fmt: skip
        return check_not_empty(records, path, f"rows for subset {self.subset!r}")
