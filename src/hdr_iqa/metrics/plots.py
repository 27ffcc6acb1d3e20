"""The predicted-vs-target scatter plot of a tested dataset (one home for the figure).

Written by :class:`~hdr_iqa.callbacks.ResultsWriter` as ``results/scatter_<dataset>.png`` and
handed to the loggers (TensorBoard as a figure, W&B as an image). Rendered with matplotlib's
Agg canvas on a :class:`~matplotlib.figure.Figure` (no pyplot state, no display needed).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING

import torch

from hdr_iqa.metrics.protocol import Evaluation
from hdr_iqa.metrics.results import DatasetResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def scatter_figure(
    prediction: torch.Tensor, target: torch.Tensor, name: str, evaluation: Evaluation | None
) -> Figure:
    """Predictions vs targets of dataset ``name``, with the protocol's fitted map when there is one.

    Example:
        >>> figure = scatter_figure(torch.arange(5.0), torch.arange(5.0) ** 2, "hdr", None)
        >>> png_bytes(figure)[:4]
        b'\\x89PNG'
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import numpy as np
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.5, 4.0), dpi=100, layout="constrained")
    axes = figure.subplots()
    x, y = prediction.detach().double().cpu().numpy(), target.detach().double().cpu().numpy()
    axes.scatter(x, y, s=10, alpha=0.7)
    title = f"{name}: n = {len(x)}"
    if evaluation is not None:
        title += f", SROCC {evaluation.srocc:.3f}, PLCC_fit {evaluation.plcc_fit:.3f}"
        if evaluation.fit.method != "none" and len(x):
            grid = np.linspace(x.min(), x.max(), 200)
            axes.plot(grid, evaluation.fit(grid), color="C1", label=evaluation.fit.method)
            axes.legend(loc="upper left")
    axes.set(xlabel="prediction", ylabel="target (larger = worse)", title=title)
    axes.title.set_fontsize(9)
    return figure


def png_bytes(figure: Figure) -> bytes:
    """The figure encoded as PNG."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def scatter_figures(results: Mapping[str, DatasetResult]) -> dict[str, Figure]:
    """``{dataset: scatter figure}`` of a test's results."""
    return {
        name: scatter_figure(r.prediction, r.target, name, r.evaluation)
        for name, r in results.items()
    }
