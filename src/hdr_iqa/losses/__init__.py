"""Losses: IQA regression losses, the pairwise preference loss and DeepCORAL."""

from hdr_iqa.losses.coral import CoralLoss, coral_loss
from hdr_iqa.losses.iqa import IQALoss, mae_loss, pearson_loss, rank_loss
from hdr_iqa.losses.pairwise import PreferenceLoss, preference_probability

__all__ = [
    "CoralLoss",
    "IQALoss",
    "PreferenceLoss",
    "coral_loss",
    "mae_loss",
    "pearson_loss",
    "preference_probability",
    "rank_loss",
]
