"""Evaluation metrics."""

from hdr_iqa.metrics.iqa import METRIC_NAMES, iqa_metrics

__all__ = ["METRIC_NAMES", "iqa_metrics"]
