import re

import numpy as np
import pytest

from hdr_iqa.data.datasets import UPIQ
from hdr_iqa.data.datasets._scores import JOD_MAX, JOD_MIN
from hdr_iqa.data.datasets.upiq import LIVE_TO_TID, content_group
from hdr_iqa.data.splits import kfold_assign
from hdr_iqa.errors import DataError
from tests.data.builders import UPIQ_HEADER, make_upiq

# reference-spec 7.7: fold ids of the sorted SDR groups (10 LIVE-only, then t-i01..t-i25) and
# of the sorted HDR groups (k-i01..k-i20, n-i01..n-i10), seed 0
SDR_FOLDS = "4,3,1,4,3,2,3,4,2,4,0,1,3,2,2,0,0,2,3,4,0,4,0,3,3,1,1,1,0,0,2,2,1,4,1"
HDR_FOLDS = "4,4,2,3,2,2,1,4,1,4,3,3,0,2,4,0,2,0,3,4,3,0,0,2,1,1,3,1,1,0"


def test_subsets_scores_domains_and_content_groups(tmp_path, display):
    raw = make_upiq(tmp_path / "upiq")
    sdr = UPIQ(tmp_path / "upiq", "sdr", display).records()
    hdr = UPIQ(tmp_path / "upiq", "hdr").records()
    full = UPIQ(tmp_path / "upiq", "full", display).records()
    assert (len(sdr), len(hdr), len(full)) == (12, 10, 22)
    assert {r.domain for r in sdr} == {"sdr"} and all(not r.display.absolute for r in sdr)
    assert {r.domain for r in hdr} == {"hdr"} and all(r.display.absolute for r in hdr)
    # LIVE scene 1 is TID2013 scene 5: one content group
    assert {r.content for r in sdr} == {"upiq/t-i01", "upiq/t-i02", "upiq/t-i03", "upiq/t-i05",
                                        "upiq/l-i02"}  # fmt: skip
    for r in full:
        jod = raw["/".join(r.dist.rsplit("/", 3)[1:])]
        assert r.score == pytest.approx(1 - (jod - JOD_MIN) / (JOD_MAX - JOD_MIN))
    best, worst = (
        sorted(hdr, key=lambda r: r.meta["raw_score"])[-1],
        sorted(hdr, key=lambda r: r.meta["raw_score"])[0],
    )
    assert best.score < worst.score  # higher JOD = better = smaller target


def test_sdr2hdr_prefers_exr_next_to_png(tmp_path, display):
    make_upiq(tmp_path / "png_only")
    fallback = UPIQ(tmp_path / "png_only", "sdr2hdr", display).records()
    assert all(r.dist.endswith(".png") and not r.display.absolute for r in fallback)
    make_upiq(tmp_path / "with_exr", sdr_exr=True)
    converted = UPIQ(tmp_path / "with_exr", "sdr2hdr", display).records()
    assert all(r.dist.endswith(".exr") and r.display.absolute for r in converted)
    assert {r.domain for r in converted} == {"sdr"}


def test_reference_fold_ids_are_reproduced(tmp_path):
    root = tmp_path / "upiq"
    root.mkdir()
    rows = [UPIQ_HEADER]
    contents = [("live", f"l-i{n:02d}", 0) for n in range(1, 30)]
    contents += [("tid2013", f"t-i{n:02d}", 0) for n in range(1, 26)]
    contents += [("korshunov", f"k-i{n:02d}", 1) for n in range(1, 21)]
    contents += [("narwaria", f"n-i{n:02d}", 1) for n in range(1, 11)]
    for dataset, content, hdr in contents:
        rows.append(f"c,{dataset},{content},1,1,{hdr},a.png,b.png,30,noise,-,-1.0")
    (root / "upiq_subjective_scores.csv").write_text("\n".join(rows) + "\n")
    sdr, hdr = UPIQ(root, "full").fold_strata()
    assert len(sdr) == 35 and len(hdr) == 30 and len(LIVE_TO_TID) == 19
    assert sdr[:10] == [f"upiq/l-i{n:02d}" for n in (2, 5, 6, 7, 8, 9, 10, 14, 15, 27)]
    folds = kfold_assign([sdr, hdr], num_folds=5, seed=0)
    assert ",".join(str(folds[c]) for c in sdr) == SDR_FOLDS
    assert ",".join(str(folds[c]) for c in hdr) == HDR_FOLDS
    assert [c for c in sdr if folds[c] == 0] == [
        f"upiq/t-i{n:02d}" for n in (1, 6, 7, 11, 13, 19, 20)
    ]


def test_content_group_and_csv_errors(tmp_path, display):
    assert content_group("L-I29") == "t-i04" and content_group("n-i1") == "n-i01"
    root = tmp_path / "upiq"
    make_upiq(root)
    path = root / "upiq_subjective_scores.csv"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0] + ",abc"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        DataError, match=r"upiq_subjective_scores\.csv:4: JOD 'abc' is not a number"
    ):
        UPIQ(root, "hdr").records()
    lines[3] = lines[3].replace(",k-i0", ",kk-0")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"csv:4: content id 'kk-0\d'"):
        UPIQ(root, "hdr").records()
    path.write_text("dataset,content_id\n")
    with pytest.raises(DataError, match=r"expected a column named 'is_hdr'"):
        UPIQ(root, "hdr").records()


def test_hdr_pixels_are_absolute(tmp_path):
    from hdr_iqa.io import read_image

    make_upiq(tmp_path / "upiq")
    record = UPIQ(tmp_path / "upiq", "hdr").records()[0]
    assert np.asarray(read_image(record.ref)).max() > 100  # cd/m^2, not relative


def test_a_pair_listed_twice_is_named(tmp_path):
    root = tmp_path / "upiq"
    make_upiq(root, levels=1)
    scores = root / "upiq_subjective_scores.csv"
    lines = scores.read_text().splitlines()
    scores.write_text("\n".join([*lines, lines[1]]) + "\n")
    with pytest.raises(
        DataError,
        match=re.escape("1 pairs (reference_file, test_file) listed more than once")
        + f".*on lines 2, {len(lines) + 1}",
    ):
        UPIQ(root, "hdr").records()
