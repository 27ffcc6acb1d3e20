"""LIVE Image Quality Assessment Database, release 2 (Sheikh et al., 2006): SDR BMP.

Layout (the ``databaserelease2`` folder, unchanged)::

    refimgs/                         29 references, e.g. bikes.bmp
    jp2k/ jpeg/ wn/ gblur/ fastfading/   img1.bmp ... (227, 233, 174, 174, 174 files)
    dmos.mat                         dmos (1x982), orgs (1x982)
    dmos_realigned.mat               dmos_new, dmos_std, orgs (1x982)
    refnames_all.mat                 refnames_all: 1x982 cell of reference file names

Entry i (0-based) belongs to the folders in that fixed order; its file is
``<folder>/img<k>.bmp`` with k its 1-based position in the folder. Entries with ``orgs == 1``
are undistorted copies of a reference (DMOS 0) and are dropped: 779 pairs remain.

Scores: ``dmos_realigned`` (default, as the paper code) or ``dmos`` (the DIQA tutorial), both
DMOS on about 0-100, higher = worse, mapped to x / 100. Content id: ``live/<reference stem>``.
For no-reference models (DIQA) the same records serve: the model ignores the reference for its
score, and DIQA's objective phase uses it for the error-map target.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import scipy.io

from hdr_iqa.data.datasets._base import FolderDataset
from hdr_iqa.data.datasets._files import Folder, require_file
from hdr_iqa.data.datasets._scores import SCORE_SCALES
from hdr_iqa.data.records import PairRecord
from hdr_iqa.errors import ConfigError, DataError
from hdr_iqa.photometry import DisplayModel

FOLDERS = (("jp2k", 227), ("jpeg", 233), ("wn", 174), ("gblur", 174), ("fastfading", 174))
"""Distortion folders in the order of the .mat entries, with their number of entries."""
NUM_ENTRIES = sum(n for _, n in FOLDERS)  # 982
_SCORE_FILES = {"dmos_realigned": ("dmos_realigned.mat", "dmos_new"), "dmos": ("dmos.mat", "dmos")}


def load_mat_vector(path: Path, variable: str, length: int) -> np.ndarray:
    """A 1 x ``length`` variable of a MATLAB (v5) file as a flat array, else a DataError."""
    try:
        contents = scipy.io.loadmat(str(path))
    except (scipy.io.matlab.MatReadError, ValueError, NotImplementedError, OSError) as error:
        raise DataError(f"{path}: cannot read MATLAB file ({error})") from error
    if variable not in contents:
        found = sorted(k for k in contents if not k.startswith("__"))
        raise DataError(f"{path}: no variable {variable!r}; found {found}")
    values = np.asarray(contents[variable]).ravel()
    if values.size != length:
        raise DataError(f"{path}: {variable!r} has {values.size} entries, expected {length}")
    return values


class LIVE(FolderDataset):
    """LIVE release 2 full-reference pairs.

    Args:
        root: the ``databaserelease2`` (or ``LIVE``) folder.
        display: display the sRGB images are shown on (e.g. ``sdr_100``).
        scores: ``dmos_realigned`` (``dmos_realigned.mat:dmos_new``) or ``dmos``
            (``dmos.mat:dmos``).
        name: name in metric keys and ``splits.json``.
    """

    title = "LIVE"
    score_scale = SCORE_SCALES["live_dmos"]

    def __init__(
        self,
        root: str | Path,
        display: DisplayModel | None = None,
        scores: Literal["dmos_realigned", "dmos"] = "dmos_realigned",
        name: str = "live",
    ) -> None:
        super().__init__(root, name, display)
        if scores not in _SCORE_FILES:
            raise ConfigError(f"LIVE scores must be one of {sorted(_SCORE_FILES)}, got {scores!r}")
        self.scores = scores

    def _read(self) -> list[PairRecord]:
        display = self._sdr_display()
        file_name, variable = _SCORE_FILES[self.scores]
        score_file = require_file(self.root / file_name, f"{self.title} score file")
        dmos = load_mat_vector(score_file, variable, NUM_ENTRIES).astype(np.float64)
        orgs = load_mat_vector(score_file, "orgs", NUM_ENTRIES)
        names_file = require_file(self.root / "refnames_all.mat", f"{self.title} reference list")
        ref_names = [
            str(np.asarray(x).ravel()[0]) if np.asarray(x).size else ""
            for x in load_mat_vector(names_file, "refnames_all", NUM_ENTRIES)
        ]
        refs = Folder(self.root / "refimgs", self.title)
        records, entry = [], 0
        for folder_name, count in FOLDERS:
            folder = None
            for k in range(1, count + 1):
                i, entry = entry, entry + 1
                if orgs[i] == 1:
                    continue
                folder = folder or Folder(self.root / folder_name, self.title)
                source = f"{names_file} entry {i + 1}"
                if not np.isfinite(dmos[i]):
                    raise DataError(f"{score_file}: {variable} entry {i + 1} is {dmos[i]}")
                records.append(
                    PairRecord(
                        ref=str(refs.resolve(ref_names[i], source)),
                        dist=str(folder.resolve(f"img{k}.bmp", f"{score_file} entry {i + 1}")),
                        score=self.score_scale.to_quality(float(dmos[i])),
                        content=f"live/{Path(ref_names[i]).stem.lower()}",
                        display=display,
                        domain="sdr",
                        meta={"type": folder_name, "raw_score": float(dmos[i])},
                    )
                )
        if not records:
            raise DataError(f"{score_file}: every entry is marked as a reference copy (orgs == 1)")
        return records
