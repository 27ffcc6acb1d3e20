"""CSIQ (Larson & Chandler, 2010): 30 references, 866 distorted 512x512 PNG, SDR.

Layout (unchanged download)::

    CSIQ/src_imgs/1600.png ...
    CSIQ/dst_imgs/<awgn|jpeg|jpeg2000|fnoise|blur|contrast>/1600.AWGN.1.png ...
    CSIQ/csiq.DMOS.xlsx   sheet "all_by_image": header row (row 4, columns D-I)
                          image, dst_idx, dst_type, dst_lev, dmos_std, dmos

The header row is found by its names (so a shifted sheet still reads); numeric image names such as
1600 are read as text; an (image, dst_type, dst_lev) listed twice is an error. File names are
matched case-insensitively (the archive mixes ``AWGN``/``BLUR``/``JPEG`` with lower-case tokens).
DMOS is on 0-1, higher = worse, used as is. Content id: ``csiq/<image>``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from hdr_iqa.data.datasets._base import FolderDataset
from hdr_iqa.data.datasets._files import (
    Folder,
    check_duplicates,
    check_not_empty,
    parse_score,
    require_file,
)
from hdr_iqa.data.datasets._scores import SCORE_SCALES
from hdr_iqa.data.records import PairRecord
from hdr_iqa.errors import DataError
from hdr_iqa.photometry import DisplayModel

WORKBOOK = "csiq.DMOS.xlsx"
SHEET = "all_by_image"
HEADER = ("image", "dst_idx", "dst_type", "dst_lev", "dmos_std", "dmos")
DISTORTIONS = {  # dst_type -> (folder, file-name token); dst_idx 1..6 in this order
    "noise": ("awgn", "AWGN"),
    "jpeg": ("jpeg", "JPEG"),
    "jpeg 2000": ("jpeg2000", "jpeg2000"),
    "fnoise": ("fnoise", "fnoise"),
    "blur": ("blur", "BLUR"),
    "contrast": ("contrast", "contrast"),
}
_BY_INDEX = dict(enumerate(DISTORTIONS, start=1))


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def read_workbook_rows(path: Path) -> list[tuple[int, dict[str, object]]]:
    """(Excel row number, {column: value}) of every data row of the ``all_by_image`` sheet."""
    import openpyxl  # imported here: only CSIQ needs it

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        raise DataError(f"{path}: cannot read Excel workbook ({error})") from error
    try:
        if SHEET not in workbook.sheetnames:
            raise DataError(f"{path}: no sheet {SHEET!r}; found {workbook.sheetnames}")
        rows = list(workbook[SHEET].iter_rows(values_only=True))
    finally:
        workbook.close()
    headers = [
        (index, names)
        for index, names in enumerate([_text(v).lower() for v in row] for row in rows[:20])
        if all(h in names for h in HEADER)
    ]
    if not headers:
        raise DataError(f"{path}: sheet {SHEET!r} has no header row with columns {list(HEADER)}")
    index, names = headers[0]
    columns = {h: names.index(h) for h in HEADER}
    result = []
    for number, row in enumerate(rows[index + 1 :], start=index + 2):
        values = {h: row[c] if c < len(row) else None for h, c in columns.items()}
        if all(_text(v) == "" for v in values.values()):
            continue
        result.append((number, values))
    return result


class CSIQ(FolderDataset):
    """CSIQ full-reference pairs.

    Args:
        root: the ``CSIQ`` folder (``src_imgs/``, ``dst_imgs/``, ``csiq.DMOS.xlsx``).
        display: display the sRGB images are shown on (e.g. ``sdr_100``).
        name: name in metric keys and ``splits.json``.
    """

    title = "CSIQ"
    score_scale = SCORE_SCALES["csiq"]

    def __init__(
        self, root: str | Path, display: DisplayModel | None = None, name: str = "csiq"
    ) -> None:
        super().__init__(root, name, display)

    def _read(self) -> list[PairRecord]:
        display = self._sdr_display()
        workbook = require_file(self.root / WORKBOOK, f"{self.title} score workbook")
        refs = Folder(self.root / "src_imgs", self.title)
        folders: dict[str, Folder] = {}
        records, keys = [], []
        for number, row in read_workbook_rows(workbook):
            where = f"{workbook} sheet {SHEET} row {number}"
            image = _text(row["image"])
            kind = _text(row["dst_type"]).lower()
            if kind not in DISTORTIONS:
                index = _text(row["dst_idx"])
                kind = _BY_INDEX.get(int(index), "") if index.isdigit() else ""
            if not image or not kind:
                raise DataError(
                    f"{where}: expected an image name and a dst_type in {list(DISTORTIONS)}, "
                    f"found {_text(row['image'])!r} and {_text(row['dst_type'])!r}"
                )
            level = _text(row["dst_lev"])
            folder_name, token = DISTORTIONS[kind]
            if folder_name not in folders:
                folders[folder_name] = Folder(self.root / "dst_imgs" / folder_name, self.title)
            raw = parse_score(_text(row["dmos"]), workbook, f"{SHEET} row {number}", "dmos")
            keys.append((number, (image.lower(), folder_name, level)))
            records.append(
                PairRecord(
                    ref=str(refs.resolve(f"{image}.png", where)),
                    dist=str(folders[folder_name].resolve(f"{image}.{token}.{level}.png", where)),
                    score=self.score_scale.to_quality(raw),
                    content=f"csiq/{image.lower()}",
                    display=display,
                    domain="sdr",
                    meta={"type": folder_name, "level": level, "raw_score": raw, "origin": where},
                )
            )
        check_duplicates(keys, f"{workbook} sheet {SHEET}", "distorted images", unit="rows")
        return check_not_empty(records, workbook, f"rows in sheet {SHEET!r}")
