"""hdr_iqa: full-reference IQA on HDR images with SDR->HDR domain adaptation.

``from hdr_iqa import load_model`` loads a trained checkpoint for scoring (:mod:`hdr_iqa.api`);
it is imported lazily, so ``import hdr_iqa.photometry`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hdr_iqa.api import load_model

__all__ = ["load_model"]


def __getattr__(name: str) -> Any:
    if name == "load_model":
        from hdr_iqa.api import load_model

        return load_model
    raise AttributeError(f"module 'hdr_iqa' has no attribute {name!r}")
