"""PieAPP dataset (Prashnani et al., CVPR 2018): pairwise preferences + per-image test scores.

Layout (the unchanged ``PieAPP_dataset`` / ``PieAPP_dataset_CVPR_2018`` folder)::

    reference_images/{train,val,test}/ref_<n>.png                     256x256 PNG
    distorted_images/{train,val,test}/ref_<n>/distort_<...>.png
    labels/{train,val}/ref_<n>_pairwise_labels.csv   header; ref, A, B, raw P(A), processed P(A)
    labels/test/ref_<n>_per_image_score.csv          header; ref, distorted image, score

* Train and val references give :class:`~hdr_iqa.data.pairwise.PairwiseRecord` samples with
  the processed P(A preferred) (column 5, as the paper code; rows whose processed value is
  blank were not labelled and are skipped).
* Test references give per-image :class:`~hdr_iqa.data.records.PairRecord` samples with the
  per-image error, higher = worse and 0 = reference, used raw.
* Columns are found by their header names, never by position: pairwise files by the column
  names containing "image a", "image b" and "processed"; per-image files by "distorted image"
  and the one column containing "score". A pair (or distorted image) listed twice in one file
  is an error naming its lines.
* The split is the published one (``data.split=official``): train/val/test references as the
  label folders hold them. Content id: ``pieapp/ref_<n>``.
"""

from __future__ import annotations

from pathlib import Path

from hdr_iqa.data.datasets._base import FolderDataset
from hdr_iqa.data.datasets._files import (
    Folder,
    check_duplicates,
    column_containing,
    column_index,
    csv_header,
    parse_score,
    read_csv,
    require_dir,
)
from hdr_iqa.data.datasets._scores import SCORE_SCALES
from hdr_iqa.data.pairwise import PairwiseRecord
from hdr_iqa.data.records import PairRecord
from hdr_iqa.errors import DataError
from hdr_iqa.photometry import DisplayModel

PAIRWISE_SUFFIX = "_pairwise_labels.csv"
PER_IMAGE_SUFFIX = "_per_image_score.csv"
PAIRWISE_SPLITS = ("train", "val")


def _png(name: str) -> str:
    return name if Path(name).suffix else f"{name}.png"


class PieAPP(FolderDataset):
    """PieAPP: pairwise training/validation data and per-image test scores.

    Args:
        root: the dataset folder (``reference_images/``, ``distorted_images/``, ``labels/``).
        display: display the sRGB images are shown on (e.g. ``sdr_100``).
        name: name in metric keys and ``splits.json``.
    """

    title = "PieAPP"
    score_scale = SCORE_SCALES["pieapp"]

    def __init__(
        self, root: str | Path, display: DisplayModel | None = None, name: str = "pieapp"
    ) -> None:
        super().__init__(root, name, display)
        self._official: dict[str, list[str]] = {}

    def official_splits(self) -> dict[str, list[str]]:
        """The published train/val/test references (content ids)."""
        self.records()
        return {k: list(v) for k, v in self._official.items()}

    def _read(self) -> list[PairwiseRecord | PairRecord]:
        display = self._sdr_display()
        labels = require_dir(self.root / "labels", f"{self.title} labels folder")
        records: list[PairwiseRecord | PairRecord] = []
        self._official = {}
        for split in (*PAIRWISE_SPLITS, "test"):
            suffix = PER_IMAGE_SUFFIX if split == "test" else PAIRWISE_SUFFIX
            folder = labels / split
            files = sorted(folder.glob(f"*{suffix}")) if folder.is_dir() else []
            contents = []
            for label_file in files:
                ref_id = label_file.name[: -len(suffix)]
                reader = self._per_image if split == "test" else self._pairwise
                records.extend(reader(label_file, split, ref_id, display))
                contents.append(f"pieapp/{ref_id}")
            self._official[split] = contents
        if not records:
            raise DataError(
                f"{labels}: no *{PAIRWISE_SUFFIX} files in train/ or val/ and no "
                f"*{PER_IMAGE_SUFFIX} files in test/"
            )
        return records

    def _images(self, split: str, ref_id: str, source: str) -> tuple[str, Folder]:
        refs = Folder(self.root / "reference_images" / split, self.title)
        dists = Folder(self.root / "distorted_images" / split / ref_id, self.title)
        return str(refs.resolve(f"{ref_id}.png", source)), dists

    def _pairwise(
        self, path: Path, split: str, ref_id: str, display: DisplayModel
    ) -> list[PairwiseRecord]:
        ref, dists = self._images(split, ref_id, str(path))
        header = csv_header(path)
        a, b, p = (column_containing(header, path, c) for c in ("image a", "image b", "processed"))
        rows = list(read_csv(path, columns=max(a, b, p) + 1))
        check_duplicates(((n, (f[a], f[b])) for n, f in rows), path, "pairs (image A, image B)")
        records = []
        for line, fields in rows:
            if not fields[p]:
                continue  # pair not labelled
            prob = parse_score(fields[p], path, line, "processed P(A preferred)")
            if not 0.0 <= prob <= 1.0:
                raise DataError(f"{path}:{line}: P(A preferred) must be in [0, 1], got {prob}")
            records.append(
                PairwiseRecord(
                    ref=ref,
                    dist=str(dists.resolve(_png(fields[a]), f"{path}:{line}")),
                    dist_b=str(dists.resolve(_png(fields[b]), f"{path}:{line}")),
                    score=prob,
                    content=f"pieapp/{ref_id}",
                    display=display,
                    domain="sdr",
                    meta={"split": split, "origin": f"{path}:{line}"},
                )
            )
        return records

    def _per_image(
        self, path: Path, split: str, ref_id: str, display: DisplayModel
    ) -> list[PairRecord]:
        ref, dists = self._images(split, ref_id, str(path))
        header = csv_header(path)
        dist, score = (
            column_index(header, path, "distorted image"),
            column_containing(header, path, "score"),
        )
        rows = list(read_csv(path, columns=max(dist, score) + 1))
        check_duplicates(((n, f[dist]) for n, f in rows), path, "distorted images")
        records = []
        for line, fields in rows:
            raw = parse_score(fields[score], path, line, "per-image score")
            records.append(
                PairRecord(
                    ref=ref,
                    dist=str(dists.resolve(_png(fields[dist]), f"{path}:{line}")),
                    score=self.score_scale.to_quality(raw),
                    content=f"pieapp/{ref_id}",
                    display=display,
                    domain="sdr",
                    meta={"split": split, "raw_score": raw, "origin": f"{path}:{line}"},
                )
            )
        return records
