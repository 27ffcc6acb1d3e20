"""Losses: IQA regression losses and DeepCORAL."""

from hdr_iqa.losses.coral import CoralLoss, coral_loss
from hdr_iqa.losses.iqa import IQALoss, mae_loss, pearson_loss, rank_loss

__all__ = ["CoralLoss", "IQALoss", "coral_loss", "mae_loss", "pearson_loss", "rank_loss"]
