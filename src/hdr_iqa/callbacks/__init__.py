"""Lightning callbacks of this project."""

from hdr_iqa.callbacks.results import ResultsWriter, metrics_by_dataset

__all__ = ["ResultsWriter", "metrics_by_dataset"]
