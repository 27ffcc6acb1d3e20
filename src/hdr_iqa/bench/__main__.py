"""``python -m hdr_iqa.bench model=pieapp norm=pmax da=coral [trainer=gpu ...]``.

Sections (``bench.sections``, :mod:`hdr_iqa.bench.sections`): ``photometry``, ``data``,
``train``, ``eval`` and ``predict``. Prints tables; writes ``bench.json`` to the run directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from hdr_iqa.bench.report import print_report
from hdr_iqa.bench.sections import SECTIONS, run_sections
from hdr_iqa.utils.config import config_dir
from hdr_iqa.utils.files import atomic_write_text
from hdr_iqa.utils.run import run_task


def bench(cfg: DictConfig) -> dict[str, Any]:
    """Run the configured sections; returns the results (also in ``bench.json``)."""
    results = run_sections(cfg)
    out = Path(cfg.paths.output_dir) / "bench.json"
    atomic_write_text(out, json.dumps(results, indent=2))
    print_report(results, str(out))
    return results


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="bench")
def main(cfg: DictConfig) -> None:
    """``python -m hdr_iqa.bench``: run the configured benchmark sections."""
    run_task(bench, cfg)


__all__ = ["SECTIONS", "bench", "main"]

if __name__ == "__main__":
    main()
