"""Evaluation metrics: the IQA protocol (raw and logistic-fitted correlations) per split."""

from hdr_iqa.metrics.iqa import METRIC_NAMES, IQAEvaluation, iqa_metrics, unique_by_index
from hdr_iqa.metrics.protocol import Evaluation, MonotoneFit, evaluate, fit_logistic5, logistic5

__all__ = [
    "METRIC_NAMES",
    "Evaluation",
    "IQAEvaluation",
    "MonotoneFit",
    "evaluate",
    "fit_logistic5",
    "iqa_metrics",
    "logistic5",
    "unique_by_index",
]
