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
