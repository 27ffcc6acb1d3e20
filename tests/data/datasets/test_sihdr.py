import math

import pytest

from hdr_iqa.data.datasets import SIHDR
from hdr_iqa.errors import ConfigError, DataError
from tests.data.builders import make_sihdr


def test_unlabelled_sorted_references_on_the_linear_display(tmp_path):
    names = make_sihdr(tmp_path / "SI-HDR", images=3)
    records = SIHDR(tmp_path / "SI-HDR").records()
    assert [r.content for r in records] == [f"sihdr/{n[:3]}" for n in names]  # README skipped
    assert all(math.isnan(r.score) and r.ref == r.dist for r in records)
    assert records[0].pixel_scale == 1 / 65536 and records[0].display.gamma == 1.0
    assert records[0].display.peak == 5000 and records[0].domain == "hdr"


def test_errors(tmp_path):
    (tmp_path / "SI-HDR" / "reference").mkdir(parents=True)
    with pytest.raises(DataError, match=r"reference: no HDR images"):
        SIHDR(tmp_path / "SI-HDR").records()
    with pytest.raises(ConfigError, match="pixel_scale must be > 0, got -1"):
        SIHDR(tmp_path / "SI-HDR", pixel_scale=-1)
