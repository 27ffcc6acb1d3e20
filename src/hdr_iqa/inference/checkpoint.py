"""Re-create a trained model from a checkpoint: its saved run config rebuilds the module.

Checkpoints written by ``python -m hdr_iqa.train`` hold the resolved run config in
``checkpoint["hdr_iqa"]["config"]`` and load with ``torch.load(weights_only=True)``; nothing
else (no code, no pickled objects) is needed to rebuild the model anywhere.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import hydra
import torch

from hdr_iqa.errors import ConfigError, MissingFileError, WeightsError
from hdr_iqa.module import CHECKPOINT_KEY, IQAModule
from hdr_iqa.utils.weights import check_weights_content, load_failure


def read_checkpoint(path: str | Path, key: str = "ckpt_path") -> dict[str, Any]:
    """Load a checkpoint (``weights_only``) and check that ``hdr_iqa.train`` wrote it.

    Args:
        path: the ``.ckpt`` file.
        key: the setting that named the file (quoted in errors).
    Returns:
        the checkpoint dict, with ``state_dict`` and ``hdr_iqa.config``.
    Raises:
        MissingFileError: no such file.
        WeightsError: the file is empty, a Git LFS pointer, truncated, not a PyTorch file, or
            not a checkpoint of ``hdr_iqa.train`` (the message says which).
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise MissingFileError(f"{key}: checkpoint not found: {path}")
    check_weights_content(path, key)
    try:
        checkpoint = _load(path)
    except Exception as error:
        raise WeightsError(
            f"{key}: cannot read {path} as a PyTorch checkpoint: {load_failure(error)}"
        ) from None
    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("state_dict"), dict):
        found = (
            sorted(checkpoint)[:5] if isinstance(checkpoint, dict) else type(checkpoint).__name__
        )
        raise WeightsError(
            f"{key}: {path} is not a Lightning checkpoint (expected a dict with a 'state_dict' "
            f"entry, found {found}); a bare weights file belongs in model.net settings instead"
        )
    saved = checkpoint.get(CHECKPOINT_KEY)
    if not isinstance(saved, dict) or not isinstance(saved.get("config"), dict):
        raise WeightsError(
            f"{key}: {path} is a Lightning checkpoint of another program: it has no "
            f"'{CHECKPOINT_KEY}' entry with the run config (checkpoints of python -m hdr_iqa.train "
            "have one)"
        )
    return checkpoint


def _load(path: Path) -> Any:
    """torch.load, memory-mapped when possible (the optimiser state is then never read)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except RuntimeError:  # legacy (non-zip) serialisation cannot be memory-mapped
        return torch.load(path, map_location="cpu", weights_only=True)


def model_name(config: dict) -> str:
    """The registered name of the checkpoint's model (e.g. ``pieapp``), else its class path."""
    from hdr_iqa.models import MODEL_REGISTRY

    target = str(config.get("model", {}).get("net", {}).get("_target_", "?"))
    try:
        cls = hydra.utils.get_class(target)
    except Exception:
        return target
    return next((name for name, c in MODEL_REGISTRY.items() if c is cls), target)


def restore_module(checkpoint: dict[str, Any], path: str | Path = "") -> IQAModule:
    """Build the :class:`IQAModule` the saved config describes and load its weights (eval mode)."""
    config = checkpoint[CHECKPOINT_KEY]["config"]
    model_config = copy.deepcopy(config.get("model"))
    if not isinstance(model_config, dict) or "net" not in model_config:
        raise WeightsError(f"ckpt_path: {path}: the saved config has no model.net section")
    _clear_init_files(model_config["net"])
    try:
        module = hydra.utils.instantiate(model_config)
    except Exception as error:  # unknown class, or arguments this version does not accept
        cause = error.__cause__ or error
        raise ConfigError(
            f"ckpt_path: {path}: cannot build its model {model_name(config)!r} "
            f"({type(cause).__name__}: {cause}); was it written by another hdr_iqa version?"
        ) from None
    if not isinstance(module, IQAModule):
        raise ConfigError(f"ckpt_path: {path}: model config builds {type(module).__name__}")
    missing, unexpected = module.load_state_dict(checkpoint["state_dict"], strict=False)
    if missing or unexpected:
        raise WeightsError(
            f"ckpt_path: {path}: its weights do not fit the model its config describes "
            f"({model_name(config)!r}): missing {_head(missing)}, unexpected {_head(unexpected)}"
        )
    module.run_config = config
    return module.eval()


def _clear_init_files(net: dict[str, Any]) -> None:
    """Null the ``model.net`` settings that name initialisation files: the ``init_file_keys``
    of the model class ``net["_target_"]`` names (e.g. PieAPP's ``vgg16_weights`` and
    ``weights``). The checkpoint holds the trained weights, so those files may be gone. An
    unknown class is left to the instantiation, which reports it."""
    try:
        cls = hydra.utils.get_class(str(net.get("_target_")))
    except Exception:
        return
    for key in getattr(cls, "init_file_keys", ()):
        if key in net:
            net[key] = None


def _head(keys: list[str], n: int = 3) -> str:
    shown = ", ".join(keys[:n]) or "none"
    return f"[{shown}{f', ... {len(keys) - n} more' if len(keys) > n else ''}]"
