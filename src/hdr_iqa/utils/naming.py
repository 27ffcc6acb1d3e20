"""A run's short name from its settings (W&B run names, ``${run_name:}``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

NAME_KEYS = {"da.weight": "w", "data.fold": "f", "seed": "s"}
"""Settings always in a run's name after model, norm and da, with their short prefixes."""
NAME_SKIPPED = ("hydra", "paths", "logger", "callbacks", "trainer", "tags", "ckpt_path",
                "task_name", "extras", "local", "gpu_pool", "data.num_workers",
                "data.decoded_cache", "data.root", "srgb_weights")  # fmt: skip
"""Overrides (keys or key prefixes) that never go into a run's name: where and how it runs."""


def run_name(
    choices: Mapping[str, Any], values: Mapping[str, Any], overrides: Sequence[str] = ()
) -> str:
    """A W&B run's name: the ``model``, ``norm`` and ``da`` choices, ``da.weight`` (``w``, with
    DA only), ``data.fold`` (``f``, when set), ``seed`` (``s``), then every other override of
    the command line (a group choice as its value, a setting as its last key part and value;
    none of :data:`NAME_SKIPPED`, no deletions and no list or dict values).

    Example:
        >>> choices = {"model": "pieapp", "norm": "pmax", "da": "coral"}
        >>> run_name(choices, {"da.weight": 0.025, "data.fold": 0, "seed": 1})
        'pieapp-pmax-coral-w0.025-f0-s1'
        >>> values = {"da.weight": 0.0, "data.fold": None, "seed": 0}
        >>> overrides = ["da=none", "model.optimizer.lr=1e-4", "data=kadid", "paths.data_dir=/d"]
        >>> run_name({**choices, "da": "none"}, values, overrides)
        'pieapp-pmax-none-s0-lr1e-4-kadid'
    """
    parts = [str(choices[k]) for k in ("model", "norm", "da") if choices.get(k) is not None]
    for key, short in NAME_KEYS.items():
        value = values.get(key)
        if value is None or (key == "da.weight" and choices.get("da") in (None, "none")):
            continue
        parts.append(f"{short}{value}")
    covered = {"model", "norm", "da", *NAME_KEYS}
    extra: dict[str, str] = {}  # a key given twice: its last value, at its first place
    for override in overrides:
        key, _, value = override.lstrip("+~").partition("=")
        if key in covered or key.startswith(tuple(f"{p}." for p in NAME_SKIPPED)):
            continue
        if key in NAME_SKIPPED or not value or value[0] in "[{":
            continue
        extra[key] = value if "." not in key and "/" not in key else f"{key.split('.')[-1]}{value}"
    return "-".join(part.replace("/", "_").replace(" ", "") for part in [*parts, *extra.values()])
