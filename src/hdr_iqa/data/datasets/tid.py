"""TID2013 (Ponomarenko et al., 2015) and TID2008 (2009): 25 references, SDR BMP 512x384.

Layout (unchanged download; file-name case is inconsistent and matched case-insensitively)::

    tid2013/reference_images/  I01.BMP ... I24.BMP, i25.bmp
    tid2013/distorted_images/  i01_01_1.bmp ... i24_24_5.bmp, I25_01_1.bmp ...
    tid2013/mos_with_names.txt "<MOS> <name>" per line, names in lower case, CRLF line ends

TID2013 has 24 distortion types x 5 levels (3,000 pairs); TID2008 17 types x 4 levels (1,700 pairs,
distorted files named ``I01_01_1.bmp``). The MOS file has no header: its two fields are the MOS and
the file name, in that order, as published; a distorted image listed twice is an error. MOS is on
0-9, higher = better, mapped to (9 - x) / 9. The content id is the reference number, e.g.
``tid2013/i01``.
"""

from __future__ import annotations

import re
from pathlib import Path

from hdr_iqa.data.datasets._base import FolderDataset
from hdr_iqa.data.datasets._files import (
    Folder,
    check_duplicates,
    check_not_empty,
    parse_score,
    read_lines,
    require_file,
)
from hdr_iqa.data.datasets._scores import SCORE_SCALES
from hdr_iqa.data.records import PairRecord
from hdr_iqa.errors import DataError
from hdr_iqa.photometry import DisplayModel

_DIST_NAME = re.compile(r"^i(\d\d)_(\d\d)_(\d)\.bmp$", re.IGNORECASE)


class TID2013(FolderDataset):
    """TID2013 full-reference pairs.

    Args:
        root: the ``tid2013`` folder.
        display: display the sRGB images are shown on (e.g. ``sdr_100``).
        name: name in metric keys and ``splits.json``.
    """

    title = "TID2013"
    score_scale = SCORE_SCALES["tid"]

    def __init__(
        self, root: str | Path, display: DisplayModel | None = None, name: str = "tid2013"
    ) -> None:
        super().__init__(root, name, display)

    def _read(self) -> list[PairRecord]:
        display = self._sdr_display()
        refs = Folder(self.root / "reference_images", self.title)
        dists = Folder(self.root / "distorted_images", self.title)
        scores = require_file(self.root / "mos_with_names.txt", f"{self.title} score file")
        records, names = [], []
        for line, text in read_lines(scores):
            fields = text.split()
            if len(fields) != 2:
                raise DataError(
                    f"{scores}:{line}: expected '<MOS> <file name>', found {len(fields)} "
                    f"fields: {text!r}"
                )
            raw, dist_name = fields
            match = _DIST_NAME.match(dist_name)
            if match is None:
                raise DataError(
                    f"{scores}:{line}: distorted image name {dist_name!r} does not look like "
                    "i<ref>_<type>_<level>.bmp"
                )
            ref_number = match.group(1)
            source = f"{scores}:{line}"
            names.append((line, dist_name.lower()))
            records.append(
                PairRecord(
                    ref=str(refs.resolve(f"i{ref_number}.bmp", source)),
                    dist=str(dists.resolve(dist_name, source)),
                    score=self.score_scale.to_quality(parse_score(raw, scores, line, "MOS")),
                    content=f"{self.title.lower()}/i{ref_number}",
                    display=display,
                    domain="sdr",
                    meta={
                        "type": int(match.group(2)),
                        "level": int(match.group(3)),
                        "raw_score": float(raw),
                        "origin": source,
                    },
                )
            )
        check_duplicates(names, scores, "distorted images")
        return check_not_empty(records, scores, "rows")


class TID2008(TID2013):
    """TID2008 full-reference pairs (same layout and scale as TID2013)."""

    title = "TID2008"

    def __init__(
        self, root: str | Path, display: DisplayModel | None = None, name: str = "tid2008"
    ) -> None:
        super().__init__(root, display, name)
