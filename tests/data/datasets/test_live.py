import numpy as np
import pytest
import scipy.io

from hdr_iqa.data.datasets import LIVE
from hdr_iqa.errors import ConfigError, DataError
from tests.data.builders import make_live


def test_entries_map_to_folders_and_reference_copies_are_dropped(tmp_path, display):
    raw = make_live(tmp_path / "live")
    records = LIVE(tmp_path / "live", display).records()
    assert len(records) == len(raw) == 10  # 2 distorted entries per folder; orgs == 1 dropped
    by_file = {"/".join(r.dist.rsplit("/", 2)[1:]): r for r in records}
    assert set(by_file) == set(raw)
    for name, dmos in raw.items():
        record = by_file[name]
        assert record.score == pytest.approx(1.1 * dmos / 100)  # realigned DMOS, higher = worse
        assert record.content == "live/" + record.ref.rsplit("/", 1)[1][:-4]
    # entry 227 (0-based) is the first jpeg entry: its file is jpeg/img1.bmp
    assert by_file["jpeg/img1.bmp"].meta["type"] == "jpeg"
    dmos = LIVE(tmp_path / "live", display, scores="dmos").records()
    assert {r.dist: r.score for r in dmos}[by_file["wn/img2.bmp"].dist] == pytest.approx(
        raw["wn/img2.bmp"] / 100
    )


def test_mat_file_errors(tmp_path, display):
    root = tmp_path / "live"
    make_live(root)
    scipy.io.savemat(root / "dmos_realigned.mat", {"dmos": np.zeros((1, 982))})
    with pytest.raises(
        DataError, match=r"dmos_realigned\.mat: no variable 'dmos_new'; found \['dmos'\]"
    ):
        LIVE(root, display).records()
    scipy.io.savemat(
        root / "dmos_realigned.mat", {"dmos_new": np.zeros((1, 5)), "orgs": np.zeros((1, 5))}
    )
    with pytest.raises(DataError, match=r"'dmos_new' has 5 entries, expected 982"):
        LIVE(root, display).records()
    (root / "dmos_realigned.mat").write_bytes(b"garbage")
    with pytest.raises(DataError, match=r"dmos_realigned\.mat: cannot read MATLAB file"):
        LIVE(root, display).records()
    with pytest.raises(ConfigError, match="'dmos_raw'"):
        LIVE(root, display, scores="dmos_raw")
