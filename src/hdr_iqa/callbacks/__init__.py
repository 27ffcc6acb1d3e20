"""Lightning callbacks of this project."""

from hdr_iqa.callbacks.results import ResultsWriter
from hdr_iqa.callbacks.wandb import WandbExtras

__all__ = ["ResultsWriter", "WandbExtras"]
