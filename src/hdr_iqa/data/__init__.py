"""Data: records, datasets, patch sampling, splits and the LightningDataModule."""

from hdr_iqa.data.datamodule import IQADataModule
from hdr_iqa.data.pair_dataset import PairDataset
from hdr_iqa.data.records import QUALITY_DIRECTION, PairRecord

__all__ = ["QUALITY_DIRECTION", "IQADataModule", "PairDataset", "PairRecord"]
