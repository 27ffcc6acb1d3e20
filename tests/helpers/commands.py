"""``python -m hdr_iqa.train`` / ``hdr_iqa.eval`` through the command line (tests/helpers/cli.py)
with the shipped defaults (logger, callbacks, progress bar) at tiny sizes on the synthetic data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import TINY
from tests.data.conftest import TINY_MODEL
from tests.helpers.cli import run_main

TINY_CLI = [
    a for a in TINY if not a.startswith(("~logger", "callbacks.", "trainer.enable_progress_bar"))
]
"""The tiny sizes of tests/conftest.py, without turning off the logger or any callback."""


def train_command(run_dir: Path, data_dir: Path, *overrides: str, tiny_model: bool = True) -> int:
    """``python -m hdr_iqa.train`` into ``run_dir`` (of the tiny network unless ``tiny_model`` is
    false: then of the configured model); returns the exit code."""
    from hdr_iqa.train import main

    return run_main(
        main, f"hydra.run.dir={run_dir}", f"paths.root_dir={run_dir.parent}",
        f"paths.data_dir={data_dir}", *TINY_CLI, *(TINY_MODEL if tiny_model else []), *overrides,
    )  # fmt: skip


def eval_command(run_dir: Path, ckpt_path: Path, *overrides: str) -> int:
    """``python -m hdr_iqa.eval ckpt_path=...`` into ``run_dir``; returns the exit code."""
    from hdr_iqa.eval import main

    return run_main(
        main, f"hydra.run.dir={run_dir}", f"paths.root_dir={run_dir.parent}",
        f"ckpt_path={ckpt_path}", "trainer.accelerator=cpu", "trainer.limit_test_batches=2",
        *overrides,
    )  # fmt: skip


ANSI = re.compile(r"\x1b\[[0-9;]*m")
LOGGED_ERROR = re.compile(r"\]\[ERROR\] - (.*)")


def logged_errors(capsys: pytest.CaptureFixture) -> list[str]:
    """The ERROR lines of the command's console log (Hydra's handler writes them to stdout)."""
    output = ANSI.sub("", "".join(capsys.readouterr()))
    assert "Traceback" not in output, output[-3000:]
    return [m.group(1) for m in LOGGED_ERROR.finditer(output)]


def baseline_command(run_dir: Path, data_dir: Path, *overrides: str) -> int:
    """``python -m hdr_iqa.eval model=<baseline> ...`` (no checkpoint) into ``run_dir`` on the
    whole test split (without loader workers when ``data=`` is given); returns the exit code."""
    from hdr_iqa.eval import main

    workers = ["data.num_workers=0"] if any(o.startswith("data=") for o in overrides) else []
    return run_main(
        main, f"hydra.run.dir={run_dir}", f"paths.root_dir={run_dir.parent}",
        f"paths.data_dir={data_dir}", "trainer.accelerator=cpu", *workers, *overrides,
    )  # fmt: skip
