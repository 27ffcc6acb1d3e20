"""The evaluation protocol as a torchmetrics ``Metric``: whole split, synchronised across ranks.

Predictions, targets and sample indices are kept (``cat`` states); ``compute()`` gathers them from
every DDP rank, drops the duplicates that ``DistributedSampler`` pads in (same sample index), and
runs :func:`hdr_iqa.metrics.protocol.evaluate` on the complete split, so the numbers do not
depend on the number of devices.
"""

from __future__ import annotations

import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from hdr_iqa.metrics.protocol import SCALAR_METRICS, Evaluation, evaluate

METRIC_NAMES = SCALAR_METRICS
"""Logged metric names: srocc, krocc, plcc, rmse (raw predictions), plcc_fit, rmse_fit."""


def unique_by_index(index: torch.Tensor, *values: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Sort by sample index and keep one row per index (rows with index < 0 are all kept).

    Example:
        >>> unique_by_index(torch.tensor([2, 0, 2]), torch.tensor([5.0, 3.0, 5.0]))
        (tensor([0, 2]), tensor([3., 5.]))
    """
    order = torch.argsort(index, stable=True)
    index = index[order]
    keep = torch.ones_like(index, dtype=torch.bool)
    keep[1:] = (index[1:] != index[:-1]) | (index[1:] < 0)
    return (index[keep], *(v[order][keep] for v in values))


class IQAEvaluation(Metric):
    """SROCC, KROCC, PLCC, RMSE and the logistic-fitted PLCC/RMSE of a whole split.

    ``update(preds (B,), target (B,), index (B,) | None)``; ``compute()`` returns a dict of
    0-d float tensors (the :data:`METRIC_NAMES` and ``n``, the number of unique samples);
    :attr:`evaluation` keeps the last full result (fit parameters included).

    Args:
        prediction_sign: +1 if larger predictions mean worse quality (every model here), -1
            for a larger-is-better predictor.
    """

    full_state_update = False
    is_differentiable = False
    higher_is_better = None

    def __init__(self, prediction_sign: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.prediction_sign = prediction_sign
        self.add_state("preds", default=[], dist_reduce_fx="cat")
        self.add_state("target", default=[], dist_reduce_fx="cat")
        self.add_state("index", default=[], dist_reduce_fx="cat")
        self.evaluation: Evaluation | None = None

    def update(
        self, preds: torch.Tensor, target: torch.Tensor, index: torch.Tensor | None = None
    ) -> None:
        """Keep (B,) predictions, targets and sample indices (None: -1, rows never deduplicated)."""
        preds, target = preds.detach().reshape(-1).float(), target.detach().reshape(-1).float()
        if index is None:
            index = torch.full_like(preds, -1, dtype=torch.long)
        self.preds.append(preds)
        self.target.append(target)
        self.index.append(index.detach().reshape(-1).long().to(preds.device))

    def compute(self) -> dict[str, torch.Tensor]:
        """Metrics of the whole split, gathered from all ranks without duplicates: ``{name: 0-d
        float32}`` with ``n``; the full result goes to :attr:`evaluation`."""
        _, preds, target = unique_by_index(
            dim_zero_cat(self.index), dim_zero_cat(self.preds), dim_zero_cat(self.target)
        )
        self.evaluation = evaluate(
            preds.cpu().double().numpy(), target.cpu().double().numpy(), self.prediction_sign
        )
        return {
            k: torch.tensor(v, dtype=torch.float32, device=self.device)
            for k, v in self.evaluation.scalars().items()
        }


def iqa_metrics(prediction_sign: int = 1) -> IQAEvaluation:
    """The metric of one evaluated dataset; ``update(pred (B,), target (B,), index (B,))``."""
    return IQAEvaluation(prediction_sign=prediction_sign)
