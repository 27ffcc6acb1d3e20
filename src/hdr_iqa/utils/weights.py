"""Loading weight files from local paths named in the configuration (never downloaded)."""

from __future__ import annotations

from pathlib import Path

import torch

from hdr_iqa.errors import MissingFileError, WeightsError


def load_state_dict_file(path: str | Path, key: str) -> dict[str, torch.Tensor]:
    """Read a ``.pth``/``.pt``/``.ckpt`` or ``.safetensors`` file into a flat state dict.

    Args:
        path: local file.
        key: the configuration key that named the file (quoted in errors).
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise MissingFileError(f"{key}: weights file not found: {path}")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise WeightsError(f"{key}: cannot read weights file {path} ({error})") from error
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise WeightsError(
            f"{key}: {path} does not hold a state dict (found {type(state).__name__})"
        )
    return state
