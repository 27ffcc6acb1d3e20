"""Backbones and the model registry.

Add a model: write ``models/<name>.py`` with an :class:`IQAModel` subclass, decorate it with
``@register_model("<name>")`` and import it below, then add ``conf/model/<name>.yaml``.
"""

from hdr_iqa.models._registry import MODEL_REGISTRY, get_model_class, register_model
from hdr_iqa.models.base import IQAModel, IQAOutput
from hdr_iqa.models.pieapp import PieAPP

register_model("pieapp")(PieAPP)

__all__ = [
    "MODEL_REGISTRY",
    "IQAModel",
    "IQAOutput",
    "PieAPP",
    "get_model_class",
    "register_model",
]
