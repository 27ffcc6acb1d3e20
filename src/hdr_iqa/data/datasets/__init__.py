"""Dataset modules: one per dataset, each producing :class:`~hdr_iqa.data.records.PairRecord`."""

from hdr_iqa.data.datasets.synthetic import SyntheticIQA

__all__ = ["SyntheticIQA"]
