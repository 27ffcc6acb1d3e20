"""Run an entry point's command line (its ``@hydra.main`` function) inside the test process.

The same code as ``python -m hdr_iqa.<entry> args...`` without a new interpreter (which spends
seconds importing torch and Lightning): Hydra parses ``sys.argv``, composes the config, sets up
logging and runs the task. What the run changes globally (the root logger's handlers and level,
Hydra's singletons) is restored afterwards.
"""

from __future__ import annotations

from collections.abc import Callable

from hdr_iqa.utils.run import run_command


def run_main(main: Callable[[], object], *args: str) -> int:
    """Call ``main()`` with ``sys.argv = [name, *args]``; returns the exit code (0 if it returns).

    The package's :func:`~hdr_iqa.utils.run.run_command` runs it and restores the global state;
    Hydra's console log handler writes to ``sys.stdout`` (read it with ``capsys``).
    """
    try:
        return run_command(main, list(args))
    except SystemExit as stopped:
        return stopped.code if isinstance(stopped.code, int) else 1
