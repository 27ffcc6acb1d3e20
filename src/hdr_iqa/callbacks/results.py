"""Write a run's results into its output directory (atomically, rank zero only).

The results set replaces ``results/`` as a whole once every file is written.

<output_dir>/splits.json                  content ids per dataset and split
<output_dir>/results/metrics.json|csv     test metrics per dataset (evaluation protocol:
                                          raw and logistic-fitted, fit parameters in the JSON)
<output_dir>/results/predictions_<dataset>.csv   one row per test pair
<output_dir>/results/scatter_<dataset>.png       prediction vs target with the fitted curve

The scatter plots also go to the run's loggers: TensorBoard gets them as figures
(``add_figure``), W&B as images, both under ``test/<dataset>/scatter``.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytorch_lightning as pl
import torch
from pytorch_lightning.loggers import TensorBoardLogger, WandbLogger
from pytorch_lightning.utilities import rank_zero_only

from hdr_iqa.errors import EvaluationError
from hdr_iqa.metrics import METRIC_NAMES
from hdr_iqa.metrics.plots import png_bytes, scatter_figures
from hdr_iqa.metrics.protocol import QUALITY_DIRECTION
from hdr_iqa.metrics.report import print_summary
from hdr_iqa.metrics.results import DatasetResult, results_table
from hdr_iqa.utils.files import atomic_directory, atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)


def _csv_text(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _cell(value: object) -> object:
    return "nan" if value is None else value


class ResultsWriter(pl.Callback):
    """Save splits at set-up; after testing, print the metrics table and write the results.

    Everything comes from the module's :attr:`~hdr_iqa.module.IQAModule.test_results` (built once
    per dataset at the end of the test epoch).

    The results set (``metrics.json``, ``metrics.csv``, ``predictions_<dataset>.csv``,
    ``scatter_<dataset>.png``) replaces ``results/`` as a whole
    (:func:`~hdr_iqa.utils.files.atomic_directory`): a failed write leaves the previous set.
    A test set without a single valid (finite) prediction is an
    :class:`~hdr_iqa.errors.EvaluationError`, not a result with ``n: 0``.

    Args:
        output_dir: the run directory.
        plots: write the scatter plots and log them to the TensorBoard and W&B loggers.
        title: title of the metrics table printed to the console (None: no table).
    """

    def __init__(
        self, output_dir: str | Path, plots: bool = True, title: str | None = "Test metrics"
    ) -> None:
        super().__init__()
        self.output_dir = Path(output_dir)
        self.plots = plots
        self.title = title

    @rank_zero_only
    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        """Write ``<output_dir>/splits.json`` when the data module has splits (rank zero)."""
        datamodule = getattr(trainer, "datamodule", None)
        if datamodule is not None and getattr(datamodule, "splits", None):
            datamodule.save_splits(self.output_dir)

    @rank_zero_only
    def on_test_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Print the metrics table, write the results set and log the scatter plots (rank zero)."""
        results = getattr(pl_module, "test_results", {})
        files = results_files(results, trainer.datamodule)
        if self.title:
            print_summary(results_table(results), str(self.output_dir), self.title)
        figures = scatter_figures(results) if self.plots else {}
        results = self.output_dir / "results"
        with atomic_directory(results) as tmp:
            for name, text in files.items():
                atomic_write_text(tmp / name, text)
            for name, figure in figures.items():
                atomic_write_bytes(tmp / f"scatter_{name}.png", png_bytes(figure))
        log.info("test results written to %s", results)
        log_scatter_plots(trainer, figures, results)


def log_scatter_plots(trainer: pl.Trainer, figures: dict[str, Figure], results: Path) -> None:
    """Each dataset's scatter plot to the trainer's loggers as ``test/<dataset>/scatter``:
    a figure for TensorBoard, the written ``scatter_<dataset>.png`` as an image for W&B."""
    for logger in trainer.loggers if figures else ():
        if isinstance(logger, TensorBoardLogger):
            for name, figure in figures.items():
                logger.experiment.add_figure(
                    f"test/{name}/scatter", figure, global_step=trainer.global_step, close=False
                )
            logger.experiment.flush()
        elif isinstance(logger, WandbLogger):
            import wandb

            images = {
                f"test/{name}/scatter": wandb.Image(
                    str(results / f"scatter_{name}.png"), caption=QUALITY_DIRECTION
                )
                for name in figures
            }
            logger.experiment.log(images)


def results_files(
    results: Mapping[str, DatasetResult], datamodule: object | None = None
) -> dict[str, str]:
    """``{file name: text}`` of the results set of one test (``datamodule``'s records name the
    files of each prediction row).

    Raises:
        EvaluationError: a tested dataset has no valid prediction (none tested, or none finite).
    """
    records = datamodule.eval_records("test") if datamodule is not None else {}
    for name in [*records, *(n for n in results if n not in records)]:
        result = results.get(name)
        if result is None or not result.metrics()["n"]:
            raise EvaluationError(_no_result_message(name, result))
    metrics = results_table(results)
    payload = {"quality_direction": QUALITY_DIRECTION, "test": metrics}
    columns = [*METRIC_NAMES, "n", "fit"]
    rows = [[name, *(_cell(m.get(k)) for k in columns)] for name, m in metrics.items()]
    files = {
        "metrics.json": json.dumps(payload, indent=2) + "\n",
        "metrics.csv": _csv_text(["dataset", *columns], rows),
    }
    header = ["ref", "dist", "content", "target", "prediction"]
    for name, result in results.items():
        recs = records.get(name, [])
        rows = []
        for index, prediction, target in zip(
            result.index.tolist(), result.prediction.tolist(), result.target.tolist(), strict=True
        ):
            record = recs[index] if index < len(recs) else None
            rows.append([
                record.ref if record else "", record.dist if record else "",
                record.content if record else "", target, prediction,
            ])  # fmt: skip
        files[f"predictions_{name}.csv"] = _csv_text(header, rows)
    return files


def _no_result_message(name: str, result: DatasetResult | None) -> str:
    if result is None or not result.n:
        return (
            f"test set of dataset {name!r}: no sample was tested (check trainer.limit_test_batches "
            "and the test split); no results written"
        )
    total = result.n
    bad = int((~torch.isfinite(result.prediction)).sum())
    if bad:
        return (
            f"test set of dataset {name!r}: {bad} of its {total} predictions are NaN or infinite "
            "and none is valid (a diverged model?); no results written"
        )
    return (
        f"test set of dataset {name!r}: none of its {total} samples has a finite target and "
        "prediction; no results written"
    )
