"""IQA metrics over a whole split: SROCC, KROCC, PLCC and RMSE (torchmetrics, DDP-synced).

Predictions and targets share the project's direction (0 = reference quality, larger = worse),
so a good model has positive correlations.
"""

from __future__ import annotations

import warnings

from torchmetrics import MeanSquaredError, MetricCollection
from torchmetrics.regression import KendallRankCorrCoef, PearsonCorrCoef, SpearmanCorrCoef

METRIC_NAMES = ("srocc", "krocc", "plcc", "rmse")


def iqa_metrics(prefix: str = "") -> MetricCollection:
    """Collection of the four IQA metrics; ``update(pred (B,), target (B,))``."""
    with warnings.catch_warnings():  # rank correlations need every prediction: that is intended
        warnings.filterwarnings("ignore", message=".*will save all targets and predictions")
        return _collection(prefix)


def _collection(prefix: str) -> MetricCollection:
    return MetricCollection(
        {
            "srocc": SpearmanCorrCoef(),
            "krocc": KendallRankCorrCoef(variant="b"),
            "plcc": PearsonCorrCoef(),
            "rmse": MeanSquaredError(squared=False),
        },
        prefix=prefix,
    )
