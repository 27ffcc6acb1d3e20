import re

import pytest

from hdr_iqa.data.datasets import KADID10k
from hdr_iqa.errors import ConfigError, DataError, MissingFileError
from tests.data.builders import make_kadid


def test_pairs_scores_and_contents(tmp_path, display):
    raw = make_kadid(tmp_path / "kadid10k", refs=3, types=2, levels=2)
    records = KADID10k(tmp_path / "kadid10k", display).records()
    assert len(records) == 3 * 2 * 2
    assert sorted({r.content for r in records}) == ["kadid10k/I01", "kadid10k/I02", "kadid10k/I03"]
    by_name = {r.dist.rsplit("/", 1)[1]: r for r in records}
    for name, value in raw.items():
        assert by_name[name].score == pytest.approx((5 - value) / 4)  # DCR 1-5, higher = better
        assert by_name[name].ref.endswith(f"images/{name[:3]}.png")
    worse, better = by_name["I01_01_02.png"], by_name["I01_01_01.png"]
    assert worse.score > better.score  # level 2 is rated lower: a larger (worse) target
    assert {r.domain for r in records} == {"sdr"} and records[0].display == display


def test_errors_name_the_file(tmp_path, display):
    root = tmp_path / "kadid10k"
    with pytest.raises(MissingFileError, match=rf"KADID-10k root not found: {root}"):
        KADID10k(root, display).records()
    make_kadid(root, refs=2, types=1, levels=1)
    with pytest.raises(ConfigError, match="needs a display model"):
        KADID10k(root).records()
    (root / "images" / "I02_01_01.png").unlink()
    with pytest.raises(
        MissingFileError, match=r"I02_01_01\.png: KADID-10k image not found .*dmos\.csv:3"
    ):
        KADID10k(root, display).records()
    (root / "dmos.csv").write_text("dist_img,ref_img,dmos,var\nI01_01_01.png,I01.png,4.x,0.1\n")
    with pytest.raises(DataError, match=r"dmos\.csv:2: dmos '4\.x' is not a number"):
        KADID10k(root, display).records()
    (root / "dmos.csv").write_text("dist_img,ref_img,dmos,var\nI01_01_01.png\n")
    with pytest.raises(DataError, match=r"dmos\.csv:2: expected 3 comma-separated fields, found 1"):
        KADID10k(root, display).records()


def test_score_column_is_found_by_name_not_position(tmp_path, display):
    root = tmp_path / "kadid10k"
    raw = make_kadid(root, refs=2, types=1, levels=1)
    scores = root / "dmos.csv"
    rows = scores.read_text().splitlines()
    # columns in another order: still read right
    moved = ["var,dmos,ref_img,dist_img"] + [",".join(reversed(r.split(","))) for r in rows[1:]]
    scores.write_text("\n".join(moved) + "\n")
    records = KADID10k(root, display).records()
    assert {r.meta["raw_score"] for r in records} == set(raw.values())
    # no "dmos" column: an error naming the file and the columns found, not "var" read as the score
    scores.write_text("\n".join(["dist_img,ref_img,mos,var", *rows[1:]]) + "\n")
    with pytest.raises(
        DataError,
        match=re.escape(
            f"{scores}: no column named 'dmos' in the header; found "
            "['dist_img', 'ref_img', 'mos', 'var']"
        ),
    ):
        KADID10k(root, display).records()


def test_duplicate_rows_are_named_with_their_lines(tmp_path, display):
    root = tmp_path / "kadid10k"
    make_kadid(root, refs=2, types=1, levels=1)
    scores = root / "dmos.csv"
    rows = scores.read_text().splitlines()
    scores.write_text("\n".join([*rows, rows[1].upper().replace(".PNG", ".png")]) + "\n")
    with pytest.raises(
        DataError,
        match=re.escape(
            f"{scores}: 1 distorted images listed more than once (each sample must be listed "
            "once): 'i01_01_01.png' on lines 2, 4"
        ),
    ):
        KADID10k(root, display).records()
