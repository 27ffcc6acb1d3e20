"""The one place where each dataset's raw scores are mapped to the project's quality direction.

Project direction (:data:`hdr_iqa.data.records.QUALITY_DIRECTION`): 0 = reference quality,
larger = worse. Every labelled dataset names a :class:`ScoreScale` from :data:`SCORE_SCALES`;
its raw score x on the published range [low, high] becomes

    q = (x - low) / (high - low)      raw higher = worse  (DMOS, error)
    q = (high - x) / (high - low)     raw higher = better (MOS, DCR rating, JOD)

so q is in [0, 1] with 0 at the scale's best end. The range is the dataset's published scale,
not the observed minimum and maximum, so a score maps to the same target whichever subset or
split is loaded. (The paper code min-max normalises the observed scores and then applies a
rank-preserving "linearisation"; ranks, and so SROCC/KROCC, are the same either way, and the
logistic fit of PLCC absorbs the monotone difference.) ``normalize=False`` keeps raw units
(q = x - low or high - x), as the paper code does for PieAPP's per-image scores.

===============  ===============================  ==================  ==================
scale            raw score                        range [low, high]   raw direction
===============  ===============================  ==================  ==================
kadid10k         DCR mean rating (column "dmos")  1 .. 5              higher = better
tid              MOS (TID2013, TID2008)           0 .. 9              higher = better
live_dmos        DMOS (dmos.mat, dmos_realigned)  0 .. 100            higher = worse
csiq             DMOS                             0 .. 1              higher = worse
pieapp           per-image error (test set)       0 .. (raw units)    higher = worse
koniq_mos        MOS                              1 .. 5              higher = better
koniq_zscore     MOS z-score                      0 .. 100            higher = better
upiq_jod         JOD (0 ~ reference)              -8.854 .. 0.943     higher = better
===============  ===============================  ==================  ==================

PieAPP's pairwise labels are probabilities P(A preferred), not qualities, and are used as they
are (:mod:`hdr_iqa.data.pairwise`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hdr_iqa.errors import ConfigError


@dataclass(frozen=True)
class ScoreScale:
    """A raw score scale and its mapping to the project direction (0 = best, larger = worse).

    Args:
        description: what the raw number is (shown by ``python -m hdr_iqa.inspect``).
        low, high: the published range of the raw score.
        higher_is_better: raw direction; True for MOS-like scores, False for DMOS/error.
        normalize: divide by (high - low) so targets lie in [0, 1].

    Example:
        >>> SCORE_SCALES["kadid10k"].to_quality(5.0), SCORE_SCALES["kadid10k"].to_quality(2.0)
        (0.0, 0.75)
    """

    description: str
    low: float
    high: float
    higher_is_better: bool
    normalize: bool = True

    def __post_init__(self) -> None:
        if not self.high > self.low:
            raise ConfigError(f"score range needs low < high, got [{self.low:g}, {self.high:g}]")

    def to_quality(self, raw: float) -> float:
        """Raw score -> target in the project direction (NaN stays NaN: unlabelled)."""
        if math.isnan(raw):
            return raw
        distance = self.high - raw if self.higher_is_better else raw - self.low
        return distance / (self.high - self.low) if self.normalize else distance

    def describe(self) -> str:
        """One line on the raw scale and its mapping to 0 = best (shown by ``hdr_iqa.inspect``)."""
        direction = "higher = better" if self.higher_is_better else "higher = worse"
        if self.normalize:
            scale, mapping = f"on [{self.low:g}, {self.high:g}]", "normalised to [0, 1]"
        else:
            best = self.high if self.higher_is_better else self.low
            scale, mapping = f"(best {best:g})", "raw units"
        return (
            f"{self.description} {scale}, {direction}; mapped to 0 = best, larger = worse "
            f"({mapping})"
        )


JOD_MIN = -8.854307636
JOD_MAX = 0.943130668
"""UPIQ's JOD range used by the reference code's fixed normalisation (reference-spec 7.7)."""

SCORE_SCALES: dict[str, ScoreScale] = {
    "kadid10k": ScoreScale("DCR mean rating (column 'dmos')", 1.0, 5.0, higher_is_better=True),
    "tid": ScoreScale("MOS", 0.0, 9.0, higher_is_better=True),
    "live_dmos": ScoreScale("DMOS", 0.0, 100.0, higher_is_better=False),
    "csiq": ScoreScale("DMOS", 0.0, 1.0, higher_is_better=False),
    "pieapp": ScoreScale("per-image error", 0.0, 1.0, higher_is_better=False, normalize=False),
    "koniq_mos": ScoreScale("MOS", 1.0, 5.0, higher_is_better=True),
    "koniq_zscore": ScoreScale("MOS z-score", 0.0, 100.0, higher_is_better=True),
    "upiq_jod": ScoreScale("JOD", JOD_MIN, JOD_MAX, higher_is_better=True),
}
