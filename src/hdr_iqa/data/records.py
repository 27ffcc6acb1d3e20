"""The unit of every dataset: one (reference, distorted) pair with its target and context."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, Protocol

from hdr_iqa.metrics.protocol import QUALITY_DIRECTION
from hdr_iqa.photometry.display import DisplayModel

Domain = Literal["sdr", "hdr"]
__all__ = ["QUALITY_DIRECTION", "Domain", "PairRecord", "PairSource"]


@dataclass(frozen=True)
class PairRecord:
    """One full-reference sample.

    Attributes:
        ref: path of the reference image; None for no-reference data (e.g. KonIQ-10k).
        dist: path of the distorted image.
        score: target quality in the project's direction (0 = reference quality, larger =
            worse); NaN for unlabelled samples (e.g. a DA target without labels).
        content: id of the reference content; splits never separate one content id.
        display: how the pixels are shown; ``DisplayModel.absolute_luminance()`` for files in
            cd/m^2.
        domain: ``"sdr"`` or ``"hdr"``.
        meta: free-form extras (distortion type, level, ...), not used for training.
        pixel_scale: factor applied to the decoded pixels before the display model (e.g.
            1/65536 for SI-HDR's linear values); 1 for files in their final units.
    """

    ref: str | None
    dist: str
    score: float
    content: str
    display: DisplayModel
    domain: Domain
    meta: dict = field(default_factory=dict, compare=False, hash=False)
    pixel_scale: float = 1.0

    @property
    def labelled(self) -> bool:
        """True unless ``score`` is NaN."""
        return not math.isnan(self.score)


class PairSource(Protocol):
    """What a dataset module provides: a name (used in metric keys) and its records."""

    name: str

    def records(self) -> list[PairRecord]:
        """Every sample of the dataset, labelled or not."""
