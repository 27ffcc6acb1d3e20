"""Lightning callbacks of this project."""

from hdr_iqa.callbacks.results import ResultsWriter, metrics_by_dataset, test_table
from hdr_iqa.callbacks.wandb import WandbExtras

__all__ = ["ResultsWriter", "WandbExtras", "metrics_by_dataset", "test_table"]
