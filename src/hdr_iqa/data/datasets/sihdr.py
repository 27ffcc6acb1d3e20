"""SI-HDR (Hanji et al., 2022) references: unlabelled HDR images, a domain-adaptation target.

Layout: ``SI-HDR/reference/001.exr ... 181.exr`` (the other folders are unused). Every file is
both reference and distorted image of one sample with no score (``score = NaN``), so the
dataset is usable only with ``da.target_weight=0``.

The files hold linear values of unknown absolute scale. As in the paper code, the pixels are
multiplied by ``pixel_scale`` (1/65536: "stored as 16-bit") and shown on a linear display (the
paper's 5000 cd/m^2 "HDR-like" display, contrast 50,000, gamma 1, randomised in training), so
values in [0, 1] span that display's range. Check the result with
``python -m hdr_iqa.inspect data=sihdr``: if the files are normalised differently, set
``pixel_scale`` (e.g. 1 / peak). Files are listed in sorted order. Content id: ``sihdr/<stem>``.
"""

from __future__ import annotations

import math
from pathlib import Path

from hdr_iqa.data.datasets._base import FolderDataset
from hdr_iqa.data.datasets._files import Folder
from hdr_iqa.data.records import PairRecord
from hdr_iqa.errors import ConfigError, DataError
from hdr_iqa.io import LUMINANCE_SUFFIXES
from hdr_iqa.photometry import DisplayModel

LINEAR_HDR_DISPLAY = DisplayModel(
    peak=5000.0, contrast=50000.0, gamma=1.0, ambient=100.0, reflectivity=0.005,
    peak_std=500.0, ambient_std=25.0,
)  # fmt: skip
"""The paper code's display for SI-HDR (RGB_LINEAR, 5000 +- 500 cd/m^2, reference-spec 2.3)."""


class SIHDR(FolderDataset):
    """SI-HDR reference images as unlabelled samples.

    Args:
        root: the ``SI-HDR`` folder (holding ``reference/``).
        display: display of the scaled linear values (default :data:`LINEAR_HDR_DISPLAY`);
            ``DisplayModel.absolute_luminance()`` if the files are in cd/m^2.
        pixel_scale: factor applied to the pixels (default 1/65536).
        name: name in metric keys and ``splits.json``.
    """

    title = "SI-HDR"

    def __init__(
        self,
        root: str | Path,
        display: DisplayModel | None = None,
        pixel_scale: float = 1.0 / 65536.0,
        name: str = "sihdr",
    ) -> None:
        super().__init__(root, name, display or LINEAR_HDR_DISPLAY)
        if not (math.isfinite(pixel_scale) and pixel_scale > 0):
            raise ConfigError(f"SI-HDR pixel_scale must be > 0, got {pixel_scale}")
        self.pixel_scale = pixel_scale

    def _read(self) -> list[PairRecord]:
        folder = Folder(self.root / "reference", self.title)
        files = [n for n in folder.names() if Path(n).suffix.lower() in LUMINANCE_SUFFIXES]
        if not files:
            raise DataError(
                f"{folder.path}: no HDR images ({', '.join(sorted(LUMINANCE_SUFFIXES))}) found"
            )
        return [
            PairRecord(
                ref=str(folder.path / name),
                dist=str(folder.path / name),
                score=math.nan,
                content=f"sihdr/{Path(name).stem}",
                display=self.display,
                domain="hdr",
                pixel_scale=self.pixel_scale,
            )
            for name in files
        ]
