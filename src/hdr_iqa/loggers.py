"""Loggers of this project (the ``logger`` config group names them)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from lightning_fabric.loggers.logger import rank_zero_experiment
from pytorch_lightning.loggers import CSVLogger as LightningCSVLogger
from pytorch_lightning.loggers.csv_logs import ExperimentWriter


class _AppendingWriter(ExperimentWriter):
    """Lightning's CSV writer, made to add to an existing ``metrics.csv`` instead of replacing it.

    * A resumed run keeps the rows of the epochs before the restart.
    * The header is the union of the file's and this process's columns, so a process that did
      not log the earlier columns (the test stage of a ``ddp_spawn`` run, started in a fresh
      process) rewrites the file with every column instead of failing on unknown fields.
    """

    def _check_log_dir_exists(self) -> None:  # Lightning deletes the file here
        pass

    def save(self) -> None:
        if not self.metrics:
            return
        path = Path(self.metrics_file_path)
        rows: list[dict[str, str]] = []
        header: list[str] = []
        if path.is_file():
            with open(path, newline="") as handle:
                reader = csv.DictReader(handle)
                header = list(reader.fieldnames or [])
                rows = list(reader)
        keys = set(header).union(self.metrics_keys, *self.metrics)
        self.metrics_keys = sorted(keys)
        if header == self.metrics_keys:
            with open(path, "a", newline="") as handle:
                csv.DictWriter(handle, fieldnames=self.metrics_keys).writerows(self.metrics)
        else:  # a new column: rewrite the file with the whole header (atomically)
            tmp = path.with_name(f".{path.name}.tmp")
            with open(tmp, "w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=self.metrics_keys)
                writer.writeheader()
                writer.writerows([*rows, *self.metrics])
            os.replace(tmp, path)
        self.metrics = []


class CSVLogger(LightningCSVLogger):
    """Lightning's CSV logger (``<save_dir>/<name>/<version>/metrics.csv``) that appends to the
    file of a resumed run and tolerates new columns from other processes (DDP)."""

    @property
    @rank_zero_experiment
    def experiment(self) -> ExperimentWriter:
        """The ``metrics.csv`` writer (created on first use, rank zero), appending to an existing
        file."""
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = _AppendingWriter(log_dir=self.log_dir)
        return self._experiment
