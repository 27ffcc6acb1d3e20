import pytest

from hdr_iqa.data.datasets import KonIQ10k
from hdr_iqa.errors import ConfigError
from tests.data.builders import make_koniq


def test_no_reference_samples_scores_and_official_split(tmp_path, display):
    raw = make_koniq(tmp_path / "koniq10k", images=6)
    dataset = KonIQ10k(tmp_path / "koniq10k", display)
    records = dataset.records()
    assert len(records) == 6 and all(r.ref is None for r in records)
    for r in records:
        assert r.score == pytest.approx((5 - raw[r.dist.rsplit("/", 1)[1]]) / 4)  # MOS 1-5
    zscore = KonIQ10k(tmp_path / "koniq10k", display, scores="mos_zscore").records()
    assert zscore[0].score == pytest.approx(
        (100 - 20 * raw[zscore[0].dist.rsplit("/", 1)[1]]) / 100
    )
    splits = dataset.official_splits()
    assert [len(splits[k]) for k in ("train", "val", "test")] == [4, 1, 1]
    (tmp_path / "koniq10k" / "koniq10k_distributions_sets.csv").unlink()
    with pytest.raises(ConfigError, match=r"koniq10k_distributions_sets\.csv"):
        KonIQ10k(tmp_path / "koniq10k", display).official_splits()
