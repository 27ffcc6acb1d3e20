"""KonIQ-10k (Hosu et al., 2020): 10,073 in-the-wild JPEGs with MOS, no reference (NR).

Layout (unchanged download)::

    koniq10k/1024x768/<id>.jpg   koniq10k/512x384/<id>.jpg
    koniq10k/koniq10k_scores_and_distributions.csv
        "image_name","c1",..,"c5","c_total","MOS","SD","MOS_zscore"
    koniq10k/koniq10k_distributions_sets.csv
        image_name,c1,..,c5,c_total,MOS,SD,set

Records have ``ref=None`` (no-reference models only, e.g. DIQA). Scores: ``mos`` (1-5) or
``mos_zscore`` (0-100), higher = better, mapped to (5 - x) / 4 or (100 - x) / 100. Columns are
found by name (quoted or not); an image listed twice is an error. The published
training/validation/test split comes from the ``set`` column of ``koniq10k_distributions_sets.csv``
(``data.split=official``). Each image is its own content: ``koniq10k/<id>``.
"""

from __future__ import annotations

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
from hdr_iqa.photometry import DisplayModel

SCORES_FILE = "koniq10k_scores_and_distributions.csv"
SETS_FILE = "koniq10k_distributions_sets.csv"
_SETS = {"training": "train", "train": "train", "validation": "val", "val": "val", "test": "test"}


class KonIQ10k(FolderDataset):
    """KonIQ-10k no-reference samples.

    Args:
        root: the ``koniq10k`` folder.
        display: display the sRGB images are shown on (e.g. ``sdr_100``).
        resolution: ``1024x768`` (original) or ``512x384``.
        scores: ``mos`` or ``mos_zscore``.
        name: name in metric keys and ``splits.json``.
    """

    title = "KonIQ-10k"

    def __init__(
        self,
        root: str | Path,
        display: DisplayModel | None = None,
        resolution: Literal["1024x768", "512x384"] = "1024x768",
        scores: Literal["mos", "mos_zscore"] = "mos",
        name: str = "koniq10k",
    ) -> None:
        super().__init__(root, name, display)
        if scores not in ("mos", "mos_zscore"):
            raise ConfigError(f"KonIQ-10k scores must be 'mos' or 'mos_zscore', got {scores!r}")
        self.resolution = resolution
        self.scores = scores
        self.score_scale = SCORE_SCALES["koniq_mos" if scores == "mos" else "koniq_zscore"]
        self._official: dict[str, list[str]] | None = None

    def _score_file(self) -> Path:
        if self.scores == "mos_zscore" or (self.root / SCORES_FILE).is_file():
            return require_file(self.root / SCORES_FILE, f"{self.title} score file")
        return require_file(self.root / SETS_FILE, f"{self.title} score file")

    def _read(self) -> list[PairRecord]:
        display = self._sdr_display()
        images = Folder(self.root / self.resolution, self.title)
        path = self._score_file()
        header = csv_header(path)
        name_col = column_index(header, path, "image_name")
        score_col = column_index(header, path, self.scores)
        rows = list(read_csv(path, columns=max(name_col, score_col) + 1))
        check_duplicates(((n, f[name_col].strip('"')) for n, f in rows), path, "images")
        records = []
        for line, fields in rows:
            image = fields[name_col].strip('"')
            raw = parse_score(fields[score_col], path, line, self.scores)
            records.append(
                PairRecord(
                    ref=None,
                    dist=str(images.resolve(image, f"{path}:{line}")),
                    score=self.score_scale.to_quality(raw),
                    content=f"koniq10k/{Path(image).stem}",
                    display=display,
                    domain="sdr",
                    meta={"raw_score": raw, "origin": f"{path}:{line}"},
                )
            )
        return check_not_empty(records, path, "rows")

    def official_splits(self) -> dict[str, list[str]]:
        """The published training/validation/test split (``set`` column of the sets file)."""
        if self._official is None:
            path = self.root / SETS_FILE
            if not path.is_file():
                raise ConfigError(
                    f"data.split=official needs {path} (its 'set' column holds KonIQ-10k's split)"
                )
            header = csv_header(path)
            name_col = column_index(header, path, "image_name")
            set_col = column_index(header, path, "set")
            splits: dict[str, list[str]] = {"train": [], "val": [], "test": []}
            for line, fields in read_csv(path, columns=max(name_col, set_col) + 1):
                split = _SETS.get(fields[set_col].strip('"').lower())
                if split is None:
                    raise DataError(
                        f"{path}:{line}: set {fields[set_col]!r} is not training, validation "
                        "or test"
                    )
                stem = Path(fields[name_col].strip('"')).stem
                splits[split].append(f"koniq10k/{stem}")
            self._official = splits
        return {k: list(v) for k, v in self._official.items()}
