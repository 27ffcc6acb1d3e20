import pytest

from hdr_iqa.data.datasets import TID2008, TID2013
from hdr_iqa.errors import DataError
from tests.data.builders import make_tid


def test_tid2013_resolves_the_case_quirks_and_reads_crlf(tmp_path, display):
    root = tmp_path / "tid2013"
    raw = make_tid(root, refs=(1, 2, 25), types=2, levels=2)
    assert (root / "mos_with_names.txt").read_bytes().count(b"\r\n") == len(raw)
    records = TID2013(root, display).records()
    assert len(records) == 3 * 2 * 2
    assert sorted({r.content for r in records}) == ["tid2013/i01", "tid2013/i02", "tid2013/i25"]
    by_content = {r.content: r for r in records}
    assert by_content["tid2013/i01"].ref.endswith("reference_images/I01.BMP")
    assert by_content["tid2013/i25"].ref.endswith("reference_images/i25.bmp")
    dists = {r.dist.rsplit("/", 1)[1] for r in records}
    assert "I25_01_1.bmp" in dists and "i01_01_1.bmp" in dists
    for r in records:
        name = r.dist.rsplit("/", 1)[1].lower()
        assert r.score == pytest.approx((9 - raw[name]) / 9)  # MOS 0-9, higher = better


def test_tid2008_upper_case_distorted_files(tmp_path, display):
    make_tid(tmp_path / "tid2008", version="2008", refs=(1, 2), types=1, levels=2)
    records = TID2008(tmp_path / "tid2008", display).records()
    assert len(records) == 4 and records[0].dist.endswith("distorted_images/I01_01_1.bmp")
    assert records[0].content == "tid2008/i01"


def test_malformed_score_line(tmp_path, display):
    root = tmp_path / "tid2013"
    make_tid(root, refs=(1,), types=1, levels=1)
    (root / "mos_with_names.txt").write_bytes(b"5.1 i01_01_1.bmp\r\n5.1\ti01_01_1.bmp extra\r\n")
    with pytest.raises(
        DataError, match=r"mos_with_names\.txt:2: expected '<MOS> <file name>', found 3"
    ):
        TID2013(root, display).records()
    (root / "mos_with_names.txt").write_bytes(b"5.1 x01_01_1.bmp\r\n")
    with pytest.raises(DataError, match=r"mos_with_names\.txt:1: .*'x01_01_1\.bmp'"):
        TID2013(root, display).records()


def test_a_distorted_image_listed_twice_is_named(tmp_path, display):
    root = tmp_path / "tid2013"
    make_tid(root, refs=(1, 2), types=1, levels=2)
    scores = root / "mos_with_names.txt"
    lines = scores.read_bytes().decode().splitlines()
    scores.write_text("\n".join([*lines, "5.1 I02_01_2.BMP"]) + "\n")
    with pytest.raises(
        DataError,
        match=r"mos_with_names\.txt: 1 distorted images listed more than once .*"
        r"'i02_01_2\.bmp' on lines 4, 5",
    ):
        TID2013(root, display).records()
