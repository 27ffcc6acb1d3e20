import json

import pytest

from hdr_iqa.data.splits import save_splits, split_contents
from hdr_iqa.errors import ConfigError

RATIOS = {"train": 0.6, "val": 0.2, "test": 0.2}


def test_split_partitions_contents_by_ratio():
    contents = [f"c{i:02d}" for i in range(16)]
    splits = split_contents(contents * 3, RATIOS, seed=0)  # duplicates: one id per content
    members = [c for names in splits.values() for c in names]
    assert sorted(members) == contents  # a partition: nothing lost, nothing repeated
    assert {k: len(v) for k, v in splits.items()} == {"train": 10, "val": 3, "test": 3}


def test_split_depends_on_seed_and_not_on_input_order():
    contents = [f"c{i}" for i in range(20)]
    a = split_contents(contents, RATIOS, seed=1)
    assert a == split_contents(list(reversed(contents)), RATIOS, seed=1)
    assert a != split_contents(contents, RATIOS, seed=2)


def test_every_nonzero_split_gets_a_content():
    splits = split_contents(["a", "b", "c"], {"train": 0.9, "val": 0.05, "test": 0.05}, 0)
    assert all(len(v) == 1 for v in splits.values())


def test_invalid_ratios():
    with pytest.raises(ConfigError, match=r"-0\.5"):
        split_contents(["a"], {"train": 1.0, "val": -0.5}, 0)


def test_saved_splits_round_trip(tmp_path):
    splits = {"sdr": split_contents(["a", "b", "c", "d", "e"], RATIOS, 0)}
    path = save_splits(tmp_path / "splits.json", splits)
    assert json.loads(path.read_text()) == splits


def test_kfold_partitions_contents_and_rotates_val():
    from hdr_iqa.data.splits import kfold_assign, kfold_split

    contents = [f"c{i:02d}" for i in range(23)]
    folds = kfold_assign([contents], num_folds=5, seed=3)
    assert sorted(folds) == contents and set(folds.values()) == set(range(5))
    sizes = sorted(list(folds.values()).count(k) for k in range(5))
    assert sizes == [4, 4, 5, 5, 5]
    runs = [kfold_split(folds, k, 5) for k in range(5)]
    assert sorted(c for run in runs for c in run["test"]) == contents  # each content tested once
    for k, run in enumerate(runs):
        parts = [set(run[s]) for s in ("train", "val", "test")]
        assert set().union(*parts) == set(contents) and sum(map(len, parts)) == len(contents)
        assert run["val"] == runs[(k + 1) % 5]["test"]
    assert kfold_assign([contents], 5, seed=3) == folds != kfold_assign([contents], 5, seed=4)


def test_kfold_strata_are_spread_over_all_folds():
    from hdr_iqa.data.splits import kfold_assign

    folds = kfold_assign([[f"s{i}" for i in range(10)], [f"h{i}" for i in range(5)]], 5, seed=0)
    for prefix, per_fold in (("s", 2), ("h", 1)):
        counts = [sum(1 for c, k in folds.items() if c[0] == prefix and k == f) for f in range(5)]
        assert counts == [per_fold] * 5


def test_kfold_errors():
    from hdr_iqa.data.splits import kfold_assign, kfold_split

    with pytest.raises(ConfigError, match=r"num_folds must be >= 3.*got 2"):
        kfold_assign([["a", "b"]], num_folds=2, seed=0)
    with pytest.raises(ConfigError, match=r"data.fold must be in 0\.\.4.*got 5"):
        kfold_split({"a": 0}, fold=5, num_folds=5)


def test_load_splits_errors(tmp_path):
    from hdr_iqa.data.splits import load_splits
    from hdr_iqa.errors import DataError, MissingFileError

    path = save_splits(tmp_path / "splits.json", {"sdr": {"train": ["a"], "test": ["b"]}})
    assert load_splits(path, "sdr") == {"train": ["a"], "test": ["b"]}
    with pytest.raises(DataError, match=r"no splits for dataset 'hdr'; it has \['sdr'\]"):
        load_splits(path, "hdr")
    with pytest.raises(MissingFileError, match=r"split file not found: .*nope\.json"):
        load_splits(tmp_path / "nope.json", "sdr")
    path.write_text("{not json")
    with pytest.raises(DataError, match=r"not a readable splits\.json"):
        load_splits(path, "sdr")
