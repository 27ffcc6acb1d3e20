"""The result of testing one dataset: the evaluation protocol's numbers and every prediction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from hdr_iqa.metrics.protocol import Evaluation


@dataclass(frozen=True)
class DatasetResult:
    """One tested dataset, built once at the end of the test epoch
    (:meth:`hdr_iqa.module.IQAModule.on_test_epoch_end`) and read by the results files, the
    console table, the plots and the baselines' comparison.

    Attributes:
        evaluation: the protocol's result (raw and fitted metrics, fit parameters); None when
            no pair could be evaluated.
        index, prediction, target: (n,) CPU tensors, one row per tested sample, sorted by
            sample index (int64, float32, float32; target NaN when unlabelled).
    """

    evaluation: Evaluation | None
    index: torch.Tensor
    prediction: torch.Tensor
    target: torch.Tensor

    @property
    def n(self) -> int:
        """Number of tested samples."""
        return len(self.index)

    def metrics(self) -> dict[str, Any]:
        """JSON-ready metrics (:meth:`Evaluation.to_dict`; ``n`` = pairs evaluated, else tested)."""
        values = self.evaluation.to_dict() if self.evaluation is not None else {}
        values.setdefault("n", self.n)
        return values


def results_table(results: Mapping[str, DatasetResult]) -> dict[str, dict[str, Any]]:
    """``{dataset: metrics}`` of a test: the rows of the console table and ``metrics.json``."""
    return {name: result.metrics() for name, result in results.items()}
