import openpyxl
import pytest

from hdr_iqa.data.datasets import CSIQ
from hdr_iqa.errors import DataError, MissingFileError
from tests.data.builders import CSIQ_REFS, make_csiq


def test_workbook_rows_become_pairs(tmp_path, display):
    raw = make_csiq(tmp_path / "CSIQ")
    records = CSIQ(tmp_path / "CSIQ", display).records()
    assert len(records) == len(raw) == 5 * 3 * 2
    assert sorted({r.content for r in records}) == sorted(f"csiq/{n}" for n in CSIQ_REFS)
    by_file = {"/".join(r.dist.rsplit("/", 2)[1:]): r for r in records}
    assert by_file["awgn/1600.AWGN.1.png"].ref.endswith("src_imgs/1600.png")  # 1600 is a number
    for name, dmos in raw.items():
        assert by_file[name].score == pytest.approx(dmos)  # DMOS 0-1, higher = worse


def test_workbook_errors(tmp_path, display):
    root = tmp_path / "CSIQ"
    make_csiq(root)
    workbook = openpyxl.load_workbook(root / "csiq.DMOS.xlsx")
    workbook["all_by_image"]["I6"] = "n/a"
    workbook.save(root / "csiq.DMOS.xlsx")
    with pytest.raises(DataError, match=r"all_by_image row 6: dmos 'n/a' is not a number"):
        CSIQ(root, display).records()
    workbook["all_by_image"].title = "sheet1"
    workbook.save(root / "csiq.DMOS.xlsx")
    with pytest.raises(DataError, match=r"no sheet 'all_by_image'; found \['sheet1'"):
        CSIQ(root, display).records()
    (root / "csiq.DMOS.xlsx").unlink()
    with pytest.raises(
        MissingFileError, match=r"CSIQ score workbook not found: .*csiq\.DMOS\.xlsx"
    ):
        CSIQ(root, display).records()
