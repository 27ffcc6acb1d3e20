"""Where the Hydra configuration tree lives (repository checkout or installed package)."""

from __future__ import annotations

from pathlib import Path


def config_dir() -> str:
    """Absolute path of ``conf/``: packaged with the wheel, or at the repository root."""
    packaged = Path(__file__).resolve().parents[1] / "conf"
    if packaged.is_dir():
        return str(packaged)
    return str(Path(__file__).resolve().parents[3] / "conf")


import hdr_iqa.utils.resolvers  # noqa: E402, F401  (registers ${sweep_group:...} for the configs)
