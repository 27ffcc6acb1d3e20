"""Pairwise preference data (the PieAPP training set): which of two distortions is closer to a ref.

A :class:`PairwiseRecord` holds a reference, two distorted images A and B and the probability
that people judged A closer to the reference, P(A preferred). :class:`PairwiseDataset` cuts the
three images at the same patch positions; its items carry ``ref``, ``dist`` (A), ``dist_b`` (B)
and ``score`` = P(A preferred).

With the project's error-like quality q (0 = reference, larger = worse), A is preferred when
q_A < q_B, so the model's preference is P(A preferred) = sigmoid(q_B - q_A)
(:func:`hdr_iqa.losses.preference_probability`; the paper code has the sign inverted,
reference-spec 7.5). The training module scores (ref, A) and (ref, B) in one pass
(:func:`as_pair_batch`); validation on pairwise data correlates q_B - q_A with P(A preferred).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import torch

from hdr_iqa.data.pair_dataset import PairDataset
from hdr_iqa.data.records import Domain
from hdr_iqa.photometry.display import DisplayModel


@dataclass(frozen=True)
class PairwiseRecord:
    """One preference sample: reference, distorted A and B, and P(A preferred) in [0, 1].

    Attributes:
        ref, dist, dist_b: paths of the reference, distortion A and distortion B.
        score: probability that A was judged closer to the reference (NaN if unlabelled).
        content, display, domain, meta, pixel_scale: as in
            :class:`~hdr_iqa.data.records.PairRecord`.
    """

    ref: str
    dist: str
    dist_b: str
    score: float
    content: str
    display: DisplayModel
    domain: Domain
    meta: dict = field(default_factory=dict, compare=False, hash=False)
    pixel_scale: float = 1.0

    @property
    def labelled(self) -> bool:
        """True unless the preference ``score`` is NaN."""
        return not math.isnan(self.score)


class PairwiseDataset(PairDataset):
    """Aligned patches of (ref, A, B) triplets; same arguments as :class:`PairDataset`.

    Items: ``ref``, ``dist`` (A), ``dist_b`` (B): (R, N, 3, P, P); ``pos``: (R, N, 2);
    ``score``: P(A preferred); ``display``; ``index``.
    """

    image_keys = ("ref", "dist", "dist_b")

    def image_paths(self, record: PairwiseRecord) -> tuple[str, ...]:  # type: ignore[override]
        """The files of one triplet: (ref, A, B)."""
        return (record.ref, record.dist, record.dist_b)


def is_pairwise(batch: Mapping) -> bool:
    """True for a batch of :class:`PairwiseDataset` items."""
    return "dist_b" in batch


def as_pair_batch(batch: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A pairwise batch of B triplets as a full-reference batch of 2B pairs: (ref, A) then (ref, B).

    The model's scores of the result split with ``.chunk(2)`` into q_A and q_B, each (B,).
    """
    pairs = {
        "ref": torch.cat((batch["ref"], batch["ref"])),
        "dist": torch.cat((batch["dist"], batch["dist_b"])),
        "pos": torch.cat((batch["pos"], batch["pos"])),
        "display": torch.cat((batch["display"], batch["display"])),
    }
    return pairs
