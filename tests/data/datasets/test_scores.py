import math

import pytest

from hdr_iqa.data.datasets import SCORE_SCALES, ScoreScale
from hdr_iqa.errors import ConfigError


@pytest.mark.parametrize(
    ("scale", "best", "worst"),
    [("kadid10k", 5.0, 1.0), ("tid", 9.0, 0.0), ("live_dmos", 0.0, 100.0), ("csiq", 0.0, 1.0),
     ("koniq_mos", 5.0, 1.0), ("koniq_zscore", 100.0, 0.0),
     ("upiq_jod", 0.943130668, -8.854307636)],
)  # fmt: skip
def test_every_scale_maps_its_best_end_to_zero_and_worst_to_one(scale, best, worst):
    mapping = SCORE_SCALES[scale]
    assert mapping.to_quality(best) == pytest.approx(0.0, abs=1e-12)
    assert mapping.to_quality(worst) == pytest.approx(1.0)
    middle = mapping.to_quality((best + worst) / 2)
    assert middle == pytest.approx(0.5)  # linear, and larger = worse


def test_upiq_matches_the_reference_normalisation():
    jod = -2.0
    expected = 1 - (jod - -8.854307636) / (0.943130668 - -8.854307636)
    assert SCORE_SCALES["upiq_jod"].to_quality(jod) == pytest.approx(expected)


def test_raw_units_and_unlabelled():
    assert SCORE_SCALES["pieapp"].to_quality(2.5) == 2.5  # per-image error used raw
    assert math.isnan(SCORE_SCALES["tid"].to_quality(math.nan))
    assert "higher = better" in SCORE_SCALES["kadid10k"].describe()


def test_invalid_range():
    with pytest.raises(ConfigError, match=r"\[5, 1\]"):
        ScoreScale("x", 5.0, 1.0, higher_is_better=True)
