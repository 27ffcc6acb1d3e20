"""Name -> model class registry (one list that the configs and the API share)."""

from __future__ import annotations

import difflib
from collections.abc import Callable

from hdr_iqa.errors import ConfigError

MODEL_REGISTRY: dict[str, type] = {}


def register_model(name: str) -> Callable[[type], type]:
    """Class decorator: make a model available under ``name``."""

    def decorator(cls: type) -> type:
        if name in MODEL_REGISTRY and MODEL_REGISTRY[name] is not cls:
            raise ValueError(f"model name {name!r} is already registered")
        MODEL_REGISTRY[name] = cls
        return cls

    return decorator


def get_model_class(name: str) -> type:
    """The model class registered as ``name``; unknown names list the known ones."""
    if name not in MODEL_REGISTRY:
        close = difflib.get_close_matches(name, MODEL_REGISTRY, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"unknown model {name!r}; available: {sorted(MODEL_REGISTRY)}.{hint}")
    return MODEL_REGISTRY[name]
