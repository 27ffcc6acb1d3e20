import pytest

from hdr_iqa.data.datasets import PieAPP
from hdr_iqa.data.pairwise import PairwiseRecord
from hdr_iqa.data.records import PairRecord
from hdr_iqa.errors import DataError
from tests.data.builders import make_pieapp


def test_pairwise_train_val_and_per_image_test(tmp_path, display):
    written = make_pieapp(tmp_path / "pieapp", dists=3)
    dataset = PieAPP(tmp_path / "pieapp", display)
    records = dataset.records()
    pairwise = [r for r in records if isinstance(r, PairwiseRecord)]
    per_image = [r for r in records if isinstance(r, PairRecord)]
    assert len(pairwise) == len(written["pairwise"]) == 4 * 3  # 4 train/val refs x 3 pairs
    assert len(per_image) == len(written["per_image"]) == 2 * 3
    for r in pairwise:
        key = (r.content.split("/")[1], r.dist.rsplit("/", 1)[1], r.dist_b.rsplit("/", 1)[1])
        assert r.score == written["pairwise"][key]  # processed P(A preferred), as is
    for r in per_image:
        assert r.score == written["per_image"][r.dist.rsplit("/", 1)[1]]  # error, used raw
        assert "/test/ref_" in r.ref
    assert dataset.official_splits() == {
        "train": ["pieapp/ref_0001", "pieapp/ref_0002", "pieapp/ref_0003"],
        "val": ["pieapp/ref_0004"],
        "test": ["pieapp/ref_0005", "pieapp/ref_0006"],
    }


def test_probability_out_of_range(tmp_path, display):
    root = tmp_path / "pieapp"
    make_pieapp(root)
    labels = root / "labels/train/ref_0001_pairwise_labels.csv"
    lines = labels.read_text().splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0] + ",1.7"
    labels.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"ref_0001_pairwise_labels\.csv:3: .*\[0, 1\], got 1\.7"):
        PieAPP(root, display).records()


def test_columns_by_name_and_duplicate_pairs(tmp_path, display):
    root = tmp_path / "pieapp"
    make_pieapp(root)
    labels = root / "labels/train/ref_0001_pairwise_labels.csv"
    lines = labels.read_text().splitlines()
    header = lines[0].split(",")
    renamed = [*header[:4], " probability of preference for A"]  # which column is it?
    labels.write_text("\n".join([",".join(renamed), *lines[1:]]) + "\n")
    with pytest.raises(
        DataError,
        match=r"ref_0001_pairwise_labels\.csv: expected one column whose name contains "
        r"'processed', found no column in the header \['ref\. image', ",
    ):
        PieAPP(root, display).records()
    labels.write_text("\n".join([*lines, lines[1]]) + "\n")
    with pytest.raises(
        DataError,
        match=r"ref_0001_pairwise_labels\.csv: 1 pairs \(image A, image B\) listed more than "
        r"once .*\('distort_0001_blur_inter_0\.png', 'distort_0001_noise_inter_1\.png'\) on "
        r"lines 2, 5",
    ):
        PieAPP(root, display).records()
    labels.write_text("\n".join(lines) + "\n")
    scores = root / "labels/test/ref_0005_per_image_score.csv"
    rows = scores.read_text().splitlines()
    moved = [",".join(r.split(",")[::-1]) for r in rows]  # score, distorted image, ref.
    scores.write_text("\n".join(moved) + "\n")
    per_image = [r for r in PieAPP(root, display).records() if "ref_0005" in r.content]
    assert sorted(r.score for r in per_image) == [0.5, 1.0, 1.5]
