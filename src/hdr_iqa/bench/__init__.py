"""``python -m hdr_iqa.bench``: where training and inference time goes (README, "Speed")."""

from hdr_iqa.bench.timing import STAGES, StepTimer, summarise_steps

__all__ = ["STAGES", "StepTimer", "summarise_steps"]
