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
