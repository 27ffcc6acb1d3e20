"""Backbones and the model registry.

Add a model with one module and one config file:

1. ``models/<name>.py``: an :class:`IQAModel` subclass decorated with
   ``@register_model("<name>")`` (every public module of this package is imported below, so
   the registry lists it);
2. ``conf/model/<name>.yaml``: ``defaults: [_module, _self_]`` (the training wiring of
   ``conf/model/_module.yaml``), ``net._target_`` naming the class with its arguments, and the
   ``sampling`` of patches; anything else only where it differs (see ``pieapp.yaml``).

Then ``python -m hdr_iqa.train model=<name>``.
"""

import importlib
import pkgutil

from hdr_iqa.models._registry import MODEL_REGISTRY, get_model_class, register_model
from hdr_iqa.models.base import IQAModel, IQAOutput
from hdr_iqa.models.diqa import DIQA
from hdr_iqa.models.pieapp import PieAPP
from hdr_iqa.models.vtamiq import VTAMIQ

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):  # import errors surface: no module is skipped
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "DIQA",
    "MODEL_REGISTRY",
    "VTAMIQ",
    "IQAModel",
    "IQAOutput",
    "PieAPP",
    "get_model_class",
    "register_model",
]
