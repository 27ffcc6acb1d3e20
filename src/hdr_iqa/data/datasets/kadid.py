"""KADID-10k (Lin, Hosu, Saupe, QoMEX 2019): 81 references x 25 distortions x 5 levels, SDR.

Layout (unchanged download)::

    kadid10k/images/I01.png ... I81.png, I01_01_01.png ... I81_25_05.png   (512x384 PNG)
    kadid10k/dmos.csv      dist_img,ref_img,dmos,var   e.g. I01_01_01.png,I01.png,4.57,0.496

The "dmos" column holds DCR mean ratings on 1-5 (5 = imperceptible, higher = better), mapped to
(5 - x) / 4 (:mod:`hdr_iqa.data.datasets._scores`). Columns are read by their header names
(``dist_img``, ``ref_img``, ``dmos``; any order); a distorted image listed twice is an error. The
content id is the reference, e.g. ``kadid10k/I01``. Names are matched case-insensitively.
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
    read_table,
    require_file,
)
from hdr_iqa.data.datasets._scores import SCORE_SCALES
from hdr_iqa.data.records import PairRecord
from hdr_iqa.errors import DataError
from hdr_iqa.photometry import DisplayModel

_DIST_NAME = re.compile(r"^(I\d+)_(\d+)_(\d+)\.png$", re.IGNORECASE)


class KADID10k(FolderDataset):
    """KADID-10k full-reference pairs.

    Args:
        root: the ``kadid10k`` folder (holding ``images/`` and ``dmos.csv``).
        display: display the sRGB images are shown on (e.g. ``sdr_100``).
        name: name in metric keys and ``splits.json``.
    """

    title = "KADID-10k"
    score_scale = SCORE_SCALES["kadid10k"]

    def __init__(
        self, root: str | Path, display: DisplayModel | None = None, name: str = "kadid10k"
    ) -> None:
        super().__init__(root, name, display)

    def _read(self) -> list[PairRecord]:
        display = self._sdr_display()
        images = Folder(self.root / "images", self.title)
        scores = require_file(self.root / "dmos.csv", f"{self.title} score file")
        rows = list(read_table(scores, ("dist_img", "ref_img", "dmos")))
        check_duplicates(((n, r["dist_img"].lower()) for n, r in rows), scores, "distorted images")
        records = []
        for line, row in rows:
            dist_name, ref_name, raw = row["dist_img"], row["ref_img"], row["dmos"]
            match = _DIST_NAME.match(dist_name)
            if match is None:
                raise DataError(
                    f"{scores}:{line}: distorted image name {dist_name!r} does not look like "
                    "I<ref>_<type>_<level>.png"
                )
            ref_id = match.group(1).upper()
            source = f"{scores}:{line}"
            records.append(
                PairRecord(
                    ref=str(images.resolve(ref_name or f"{ref_id}.png", source)),
                    dist=str(images.resolve(dist_name, source)),
                    score=self.score_scale.to_quality(parse_score(raw, scores, line, "dmos")),
                    content=f"kadid10k/{ref_id}",
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
        return check_not_empty(records, scores, "rows")
