"""Check a dataset or an image before training: ``python -m hdr_iqa.inspect`` (keys:
``conf/inspect.yaml``, the training config plus ``image``).

    python -m hdr_iqa.inspect data=upiq_hdr paths.data_dir=/data      # a data config
    python -m hdr_iqa.inspect data=kadid data.fold=0 display=sdr_100   # any train overrides
    python -m hdr_iqa.inspect image=/data/scene.exr                    # an image file
    python -m hdr_iqa.inspect image=photo.png display=hdr_5000         # ... on a display

The README's older form ``python -m hdr_iqa.inspect photo.png display=hdr_5000`` (the image as a
bare argument) works too. What is reported: :mod:`hdr_iqa.data.inspection`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import hydra
from omegaconf import DictConfig, ListConfig

from hdr_iqa.data.inspection import (
    format_dataset_report,
    format_image_report,
    inspect_datamodule,
    inspect_image,
    luminance_summary,
)
from hdr_iqa.errors import ConfigError
from hdr_iqa.io import image_encoding
from hdr_iqa.utils.config import config_dir
from hdr_iqa.utils.legacy_args import LegacyForm
from hdr_iqa.utils.run import run_command, run_task

LEGACY = LegacyForm("image")
"""``inspect <file> [overrides]`` -> ``inspect image=<file> [overrides]``."""


def inspect(cfg: DictConfig) -> str:
    """Print (and return) the report of ``cfg.image``, else of every dataset of ``cfg.data``."""
    if isinstance(cfg.image, ListConfig):
        raise ConfigError(f"inspect takes one image file (image=<file>), got {list(cfg.image)}")
    if cfg.image is not None:
        image_encoding(cfg.image)  # a clear error for an unsupported suffix
        display = hydra.utils.instantiate(cfg.display) if cfg.get("display") else None
        text = format_image_report(inspect_image(cfg.image, display))
    else:
        datamodule = hydra.utils.instantiate(cfg.data)
        datamodule.prepare_data()
        reports = inspect_datamodule(datamodule, cfg.sample_images)
        text = "\n\n".join(format_dataset_report(r) for r in reports)
    print(text)
    return text


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="inspect")
def hydra_main(cfg: DictConfig) -> None:
    """Hydra entry point of ``python -m hdr_iqa.inspect`` (``key=value`` overrides only)."""
    run_task(inspect, cfg)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hdr_iqa.inspect`` on ``argv`` (default: the command line); returns 0, a user
    error exits with code 1."""
    return run_command(hydra_main, argv, LEGACY)


__all__ = ["inspect", "inspect_datamodule", "inspect_image", "luminance_summary", "main"]

if __name__ == "__main__":
    sys.exit(main())
