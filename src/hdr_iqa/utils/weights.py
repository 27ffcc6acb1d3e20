"""Loading weight files from local paths named in the configuration (never downloaded).

Layouts read (``weights-compat.md``), all from ``.pth``/``.pt``/``.ckpt`` or ``.safetensors``:

* this project's Lightning checkpoints (``state_dict`` with ``net.`` keys) and plain state dicts
  (``torch.save(model.state_dict(), path)``);
* the paper code's checkpoints ([DA], ``{"model_state_dict": ..., "epoch": ...}``);
* nested state dicts such as the official PU-PieAPP file (``{"extractor": {...}, ...}``),
  flattened.

Model-specific layouts are converted by each model's ``convert_state_dict`` (in its own file,
e.g. :mod:`hdr_iqa.models.pieapp`, :mod:`hdr_iqa.models.vtamiq`, which also holds the loader of
timm ViT files for VTAMIQ's backbone); this module only reads, flattens, renames and checks.

Every load is strict: a file that does not match raises :class:`~hdr_iqa.errors.WeightsError`
naming the config key, the path, and the missing / unexpected / mis-shaped keys. A file that
cannot be read is named with the reason (empty, a Git LFS pointer, truncated, pickled objects),
never with the loaders' advice to load it unsafely (``weights_only=False``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from hdr_iqa.errors import MissingFileError, WeightsError

log = logging.getLogger(__name__)
LIST_LIMIT = 6
"""Keys quoted per category in an error message."""

LIGHTNING_NET_PREFIX = "net."
"""Attribute of the backbone in :class:`hdr_iqa.module.IQAModule` (prefix of its keys)."""


# ---------------------------------------------------------------------------- reading files
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/"
"""How a Git LFS pointer file (left in place of the real file without ``git lfs pull``) begins."""
UNSAFE_ADVICE = ("weights_only", "allow_pickle", "trust")
"""Loaders' advice to load a file unsafely: never repeated in this project's messages."""


def check_weights_content(path: Path, key: str) -> None:
    """Refuse, by name, a file that cannot hold weights: empty, or a Git LFS pointer.

    Raises:
        WeightsError: naming ``key``, ``path`` and what is wrong.
    """
    with open(path, "rb") as handle:
        head = handle.read(len(LFS_POINTER_PREFIX))
    if not head:
        raise WeightsError(
            f"{key}: {path} is empty (0 bytes), not the weights: an interrupted download or "
            "copy? Fetch or copy it again"
        )
    if head == LFS_POINTER_PREFIX:
        raise WeightsError(f"{key}: {path} is a Git LFS pointer, not the weights: run git lfs pull")


def load_failure(error: BaseException) -> str:
    """Why ``torch.load`` / safetensors / NumPy could not read a file, in a few words.

    Never repeats the loaders' advice to load unsafely (``weights_only=False``,
    ``allow_pickle=True``): a file that needs it is not a weights file this project reads.

    Example:
        >>> load_failure(EOFError("Ran out of input"))
        'the file ends early, it is truncated (an interrupted download or copy?)'
    """
    text = str(error)
    if isinstance(error, EOFError):
        return "the file ends early, it is truncated (an interrupted download or copy?)"
    if "central directory" in text or "PytorchStreamReader failed" in text:
        return "its zip archive is incomplete or corrupt, it is truncated or damaged"
    if unsafe := re.search(r"Unsupported global: GLOBAL (\S+)", text):
        return (
            f"it holds pickled Python objects ({unsafe.group(1)}) besides tensors and plain "
            "containers, which are not loaded since loading them can run code; save a state "
            "dict instead, torch.save(model.state_dict(), path)"
        )
    if "Weights only load failed" in text or type(error).__name__ == "UnpicklingError":
        return "it is not a PyTorch file (neither a torch.save zip archive nor a tensor pickle)"
    if type(error).__name__ == "SafetensorError":
        return f"it is not a complete safetensors file ({text.rsplit(': ', 1)[-1]})"
    if "allow_pickle" in text or "pickled" in text:
        return "it is not an archive of arrays (it holds pickled objects, which are not loaded)"
    line = next((x.strip() for x in text.splitlines() if x.strip()), "")
    if not line or any(word in line for word in UNSAFE_ADVICE):
        return type(error).__name__
    return line


def read_weights_file(path: str | Path, key: str) -> Any:
    """The object stored in a ``.pth``/``.pt``/``.ckpt`` (weights only) or ``.safetensors`` file.

    Args:
        path: local file.
        key: the configuration key that named the file (quoted in errors).
    Raises:
        MissingFileError: no such file.
        WeightsError: the file is empty, a Git LFS pointer, truncated, or not a weights file.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise MissingFileError(f"{key}: weights file not found: {path}")
    check_weights_content(path, key)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise WeightsError(
            f"{key}: cannot read weights file {path}: {load_failure(error)}"
        ) from None


def flatten_state_dict(stored: Any) -> dict[str, torch.Tensor]:
    """Unwrap a checkpoint container and flatten nested dicts into ``a.b.c`` tensor keys.

    * Lightning / timm-train checkpoints: ``stored["state_dict"]``; a Lightning checkpoint of
      this project keeps only the backbone (``net.*`` keys, prefix removed).
    * [DA] checkpoints: ``stored["model_state_dict"]``.
    * Nested state dicts (official PU-PieAPP): ``{"extractor": {"conv1.weight": ...}}`` ->
      ``"extractor.conv1.weight"``. Non-tensor leaves (epoch, metrics) are dropped.

    Example:
        >>> flat = flatten_state_dict({"a": {"w": torch.zeros(1)}, "epoch": 3})
        >>> list(flat)
        ['a.w']
    """
    if isinstance(stored, Mapping):
        if isinstance(stored.get("state_dict"), Mapping):
            inner = stored["state_dict"]
            if "pytorch-lightning_version" in stored or "hdr_iqa" in stored:
                inner = {
                    k[len(LIGHTNING_NET_PREFIX) :]: v
                    for k, v in inner.items()
                    if k.startswith(LIGHTNING_NET_PREFIX)
                }
            stored = inner
        elif isinstance(stored.get("model_state_dict"), Mapping):
            stored = stored["model_state_dict"]
    if not isinstance(stored, Mapping):
        raise TypeError(f"a state dict must be a mapping, found {type(stored).__name__}")
    flat: dict[str, torch.Tensor] = {}
    for name, value in stored.items():
        if isinstance(value, torch.Tensor):
            flat[str(name)] = value
        elif isinstance(value, Mapping):
            for inner_name, tensor in flatten_state_dict(value).items():
                flat[f"{name}.{inner_name}"] = tensor
    return flat


def load_state_dict_file(path: str | Path, key: str) -> dict[str, torch.Tensor]:
    """Read a weights file into a flat state dict (see :func:`flatten_state_dict`)."""
    stored = read_weights_file(path, key)
    try:
        state = flatten_state_dict(stored)
    except TypeError as error:
        raise WeightsError(f"{key}: {path} does not hold a state dict ({error})") from None
    if not state:
        raise WeightsError(f"{key}: {path} holds no tensors (expected a state dict)")
    return state


# ---------------------------------------------------------------------------- key maps
def rename_keys(
    state: Mapping[str, torch.Tensor], rules: Iterable[tuple[str, str]]
) -> dict[str, torch.Tensor]:
    """Apply the first matching ``(regex, replacement)`` rule to each key (others unchanged).

    Example:
        >>> rules = [(r"^comparitor\\.", "comparator.")]
        >>> list(rename_keys({"comparitor.fcs.0.bias": torch.zeros(1)}, rules))
        ['comparator.fcs.0.bias']
    """
    compiled = [(re.compile(pattern), replacement) for pattern, replacement in rules]
    renamed = {}
    for name, value in state.items():
        for pattern, replacement in compiled:
            if pattern.search(name):
                name = pattern.sub(replacement, name, count=1)
                break
        renamed[name] = value
    return renamed


# ---------------------------------------------------------------------------- strict loading
def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:LIST_LIMIT])
    return shown + (f", ... ({len(names)} in all)" if len(names) > LIST_LIMIT else "")


def mismatch_report(
    module: nn.Module,
    state: Mapping[str, torch.Tensor],
    ignore_missing: str | None = None,
    ignore_unexpected: str | None = None,
) -> str:
    """What keeps ``state`` from loading strictly into ``module`` ('' when it loads).

    Args:
        ignore_missing, ignore_unexpected: regexes of keys allowed to be absent / extra.
    """
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if ignore_missing:
        missing = [k for k in missing if not re.search(ignore_missing, k)]
    if ignore_unexpected:
        unexpected = [k for k in unexpected if not re.search(ignore_unexpected, k)]
    shapes = [
        f"{k} {tuple(state[k].shape)} (expected {tuple(v.shape)})"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    problems = []
    if missing:
        problems.append(f"missing keys: {_listed(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {_listed(unexpected)}")
    if shapes:
        problems.append(f"wrong shapes: {_listed(shapes)}")
    return "; ".join(problems)


def load_model_weights(model: nn.Module, path: str | Path, key: str) -> None:
    """Load a complete weights file into ``model`` strictly.

    The file is read by :func:`load_state_dict_file`, converted by the model's
    ``convert_state_dict`` (published layouts), then checked key by key and shape by shape.
    """
    state = load_state_dict_file(path, key)
    convert = getattr(model, "convert_state_dict", None)
    if convert is not None:
        state = convert(state)
    load_state_dict_strict(model, state, path, key)


def load_state_dict_strict(
    model: nn.Module, state: Mapping[str, torch.Tensor], path: str | Path, key: str
) -> None:
    """Load ``state`` (already in ``model``'s key names) strictly; ``path`` and ``key`` name
    its source in errors.

    Raises:
        WeightsError: listing the missing / unexpected / mis-shaped keys.
    """
    problems = mismatch_report(model, state)
    if problems:
        raise WeightsError(
            f"{key}: {path} does not match {type(model).__name__} "
            f"({len(model.state_dict())} entries expected): {problems}"
        )
    model.load_state_dict(state, strict=True)
    log.info("loaded %s weights from %s", type(model).__name__, path)


def load_submodule_weights(module: nn.Module, path: str | Path, key: str, prefix: str) -> None:
    """Load the ``prefix``-keyed part of a weights file into ``module`` strictly.

    E.g. DIQA's feature extractor from a phase-one checkpoint (``prefix="features."``).
    """
    state = load_state_dict_file(path, key)
    part = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    if not part:
        raise WeightsError(
            f"{key}: {path} has no '{prefix}*' keys (expected the {prefix.rstrip('.')} weights; "
            f"found keys such as {_listed(sorted(state))})"
        )
    problems = mismatch_report(module, part)
    if problems:
        raise WeightsError(f"{key}: the '{prefix}*' weights in {path} do not match: {problems}")
    module.load_state_dict(part, strict=True)
