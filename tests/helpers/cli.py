"""Run an entry point's command line (its ``@hydra.main`` function) inside the test process.

The same code as ``python -m hdr_iqa.<entry> args...`` without a new interpreter (which spends
seconds importing torch and Lightning): Hydra parses ``sys.argv``, composes the config, sets up
logging and runs the task. What the run changes globally (the root logger's handlers and level,
Hydra's singletons) is restored afterwards.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from hydra.core.global_hydra import GlobalHydra


def run_main(main: Callable[[], object], *args: str) -> int:
    """Call ``main()`` with ``sys.argv = [name, *args]``; returns the exit code (0 if it returns).

    Hydra's console log handler writes to ``sys.stdout`` (read it with ``capsys``).
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    argv = sys.argv
    sys.argv = [getattr(main, "__module__", "main"), *args]
    try:
        main()
        return 0
    except SystemExit as stopped:
        return stopped.code if isinstance(stopped.code, int) else 1
    finally:
        sys.argv = argv
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
        GlobalHydra.instance().clear()
