import logging
import math
import re

import pytest

from hdr_iqa.data.datasets import CSVDataset
from hdr_iqa.errors import ConfigError, DataError
from hdr_iqa.photometry import DisplayModel
from tests.data.builders import make_csv


def test_pairs_with_mixed_formats(tmp_path, display):
    raw = make_csv(tmp_path)
    records = CSVDataset(tmp_path / "pairs.csv", display=display, higher_is_better=True,
                         score_range=[1, 5], luminance_scale=2.0).records()  # fmt: skip
    assert len(records) == len(raw) == 11
    for r in records:
        relative = "/".join(r.dist.rsplit("/", 2)[1:])
        assert r.score == pytest.approx((5 - raw[relative]) / 4)
    hdr = next(r for r in records if r.dist.endswith(".exr"))
    assert hdr.domain == "hdr" and hdr.display.absolute and hdr.pixel_scale == 2.0
    sdr = [r for r in records if r.dist.endswith(".png")]
    assert {r.domain for r in sdr} == {"sdr"} and sdr[0].display == display
    assert hdr.content == sdr[0].content == "scene0"


def test_no_reference_unlabelled_and_named_displays(tmp_path, display):
    make_csv(tmp_path)
    hdr_display = DisplayModel(peak=1000.0)
    (tmp_path / "nr.csv").write_text(
        "dist,score,display\nimg/r0_d1.png,,bright\nimg/r1_d1.png,0.3,absolute\n"
    )
    first, second = CSVDataset(tmp_path / "nr.csv", displays={"bright": hdr_display}).records()
    assert first.ref is None and math.isnan(first.score) and first.display == hdr_display
    assert second.score == 0.3 and second.display.absolute and second.content == "img/r1_d1.png"


def test_errors(tmp_path, display):
    make_csv(tmp_path)
    with pytest.raises(ConfigError, match="needs score_range"):
        CSVDataset(tmp_path / "pairs.csv", higher_is_better=True)
    (tmp_path / "bad.csv").write_text(
        "ref,dist,score\nimg/r0.png,img/r0_d1.png,1\nimg/r0.png,img/missing.png,2\n"
    )
    with pytest.raises(Exception, match=r"missing\.png: .* not found \(listed in .*bad\.csv:3\)"):
        CSVDataset(tmp_path / "bad.csv", display=display).records()
    (tmp_path / "bad.csv").write_text("ref,dist,display\nimg/r0.png,img/r0_d1.png,oled\n")
    with pytest.raises(DataError, match=r"bad\.csv:2: display 'oled' is not 'absolute'"):
        CSVDataset(tmp_path / "bad.csv", display=display).records()
    (tmp_path / "bad.csv").write_text("reference,distorted\na,b\n")
    with pytest.raises(
        DataError, match=r"bad\.csv: no column named 'dist' in the header; found \['reference', "
    ):
        CSVDataset(tmp_path / "bad.csv").records()


def test_columns_are_read_by_name_and_duplicates_are_named(tmp_path, display):
    make_csv(tmp_path)
    (tmp_path / "moved.csv").write_text(
        "score,content,dist,ref\n0.2,a,img/r0_d1.png,img/r0.png\n0.4,a,img/r0_d2.png,img/r0.png\n"
    )
    first, second = CSVDataset(tmp_path / "moved.csv", display=display).records()
    assert (first.score, second.score) == (0.2, 0.4) and first.dist.endswith("r0_d1.png")
    assert first.meta["origin"] == f"{tmp_path / 'moved.csv'}:2"
    (tmp_path / "twice.csv").write_text(
        "ref,dist,score\nimg/r0.png,img/r0_d1.png,1\nimg/r0.png,img/r0_d2.png,2\n"
        "img/r0.png,img/r0_d1.png,3\n"
    )
    with pytest.raises(
        DataError,
        match=re.escape(
            "twice.csv: 1 rows with the same (ref, dist, display) listed more than once (each "
            "sample must be listed once): ('img/r0.png', 'img/r0_d1.png', '') on lines 2, 4"
        ),
    ):
        CSVDataset(tmp_path / "twice.csv", display=display).records()


def test_unlabelled_rows_are_named_with_their_lines(tmp_path, display, caplog):
    make_csv(tmp_path)
    (tmp_path / "gaps.csv").write_text(
        "ref,dist,score\nimg/r0.png,img/r0_d1.png,0.1\nimg/r0.png,img/r0_d2.png,\n"
        "img/r1.png,img/r1_d1.png,0.3\nimg/r1.png,img/r1_d2.png,\n"
    )
    with caplog.at_level(logging.INFO, logger="hdr_iqa.data.datasets.csv_dataset"):
        records = CSVDataset(tmp_path / "gaps.csv", display=display).records()
    unlabelled = [r for r in records if not r.labelled]
    assert [r.meta["origin"] for r in unlabelled] == [
        f"{tmp_path / 'gaps.csv'}:3",
        f"{tmp_path / 'gaps.csv'}:5",
    ]
    warning = next(r for r in caplog.records if r.levelno == logging.WARNING)
    assert warning.getMessage().startswith(
        f"{tmp_path / 'gaps.csv'}: 2 of 4 rows have an empty score (unlabelled) on lines 3, 5;"
    )
