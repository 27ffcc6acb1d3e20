"""Dataset modules: one per dataset, each producing :class:`~hdr_iqa.data.records.PairRecord`.

Raw scores are mapped to the project direction in one place,
:mod:`hdr_iqa.data.datasets._scores`.
"""

from hdr_iqa.data.datasets._scores import SCORE_SCALES, ScoreScale
from hdr_iqa.data.datasets.csiq import CSIQ
from hdr_iqa.data.datasets.csv_dataset import CSVDataset
from hdr_iqa.data.datasets.kadid import KADID10k
from hdr_iqa.data.datasets.koniq import KonIQ10k
from hdr_iqa.data.datasets.live import LIVE
from hdr_iqa.data.datasets.pieapp import PieAPP
from hdr_iqa.data.datasets.sihdr import SIHDR
from hdr_iqa.data.datasets.synthetic import SyntheticIQA
from hdr_iqa.data.datasets.tid import TID2008, TID2013
from hdr_iqa.data.datasets.upiq import UPIQ

__all__ = [
    "CSIQ",
    "LIVE",
    "SCORE_SCALES",
    "SIHDR",
    "TID2008",
    "TID2013",
    "UPIQ",
    "CSVDataset",
    "KADID10k",
    "KonIQ10k",
    "PieAPP",
    "ScoreScale",
    "SyntheticIQA",
]
