"""Helpers shared by the entry points: the runner and its one-line user errors, instantiation,
the metric to optimise.

Every command is a ``@hydra.main`` function that calls :func:`run_task`; :func:`run_command`
runs one on an explicit argument list (``main(argv)`` of ``aggregate`` and ``inspect``, which
also accept their older forms, :mod:`hdr_iqa.utils.legacy_args`).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from hydra.types import RunMode
from omegaconf import DictConfig
from omegaconf.errors import InterpolationToMissingValueError, MissingMandatoryValue

from hdr_iqa.errors import ConfigError, UserError
from hdr_iqa.utils.legacy_args import LegacyForm, legacy_overrides

log = logging.getLogger(__name__)
MISSING_VALUE = re.compile(r"Missing mandatory value: (\S+)")
"""OmegaConf's message for a ``???`` value, naming its key."""


def instantiate_group(config: DictConfig | None) -> list[Any]:
    """Instantiate every entry of a group such as ``callbacks`` or ``logger`` (nulls skipped)."""
    if not config:
        return []
    return [hydra.utils.instantiate(c) for c in config.values() if c and "_target_" in c]


def instantiate_callbacks(cfg: DictConfig) -> list[Any]:
    """The ``callbacks`` group, without progress bars when ``trainer.enable_progress_bar`` is
    false (Lightning refuses a progress-bar callback then)."""
    callbacks = instantiate_group(cfg.get("callbacks"))
    if not (cfg.get("trainer") or {}).get("enable_progress_bar", True):
        from pytorch_lightning.callbacks import ProgressBar

        callbacks = [c for c in callbacks if not isinstance(c, ProgressBar)]
    return callbacks


def user_message(error: BaseException) -> str:
    """The message of a user error, without the traceback text a DataLoader worker adds."""
    text = str(error)
    if "Original Traceback" in text:
        last = text.strip().splitlines()[-1]
        text = last.split(": ", 1)[1] if ": " in last else last
    return text


def user_error_cause(error: BaseException | None) -> UserError | None:
    """The :class:`UserError` behind ``error``: itself, or the cause of the (possibly nested)
    :class:`InstantiationException` Hydra wraps a constructor's error in; None if there is none.

    A mandatory value (``???``) read while unset becomes a :class:`ConfigError` naming its key.
    """
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, UserError):
            return error
        if isinstance(error, MissingMandatoryValue | InterpolationToMissingValueError):
            return unset_value_error(error)
        if not isinstance(error, InstantiationException):
            return None
        error = error.__cause__
    return None


def unset_value_error(
    error: MissingMandatoryValue | InterpolationToMissingValueError,
) -> ConfigError:
    """A mandatory value (``???``) read while unset, directly or through an interpolation."""
    key = error.full_key or "?"
    match = MISSING_VALUE.search(str(error))
    missing = match.group(1) if match else key
    via = f" (the value of {key})" if missing != key else ""
    return ConfigError(
        f"{missing}{via} is required but not set ('???' in the config): give it on the command "
        f"line, e.g. {missing}=<value>"
    )


def run_task(task: Callable[[DictConfig], Any], cfg: DictConfig) -> Any:
    """Run an entry point's task; a :class:`UserError` is printed as one line (exit code 1).

    Errors Hydra wraps (a constructor's user error inside an ``InstantiationException``) and
    mandatory values left unset (``???``) are reported the same way. In a multirun the error is
    re-raised so Hydra marks the job failed and runs the others.
    """
    try:
        try:
            return task(cfg)
        except (
            InstantiationException,
            MissingMandatoryValue,
            InterpolationToMissingValueError,
        ) as wrapped:
            cause = user_error_cause(wrapped)
            if cause is None:
                raise
            raise cause from None
    except UserError as error:
        log.error("%s: %s", type(error).__name__, user_message(error))
        if _mode() == RunMode.MULTIRUN:
            raise
        raise SystemExit(1) from None
    finally:
        _finish_wandb()


def run_command(
    command: Callable[[], Any], argv: Sequence[str] | None = None, legacy: LegacyForm | None = None
) -> int:
    """Run a ``@hydra.main`` function on ``argv`` (default: ``sys.argv[1:]``) as its command line.

    ``legacy`` translates a command's older argument forms into overrides first. Returns 0
    (also after ``--help``); a user error exits with code 1 (``SystemExit``, from
    :func:`run_task`), a usage error with Hydra's code. What Hydra changes globally for the run
    (``sys.argv``, the root logger's handlers and level, its own singleton) is restored, so a
    command can run in-process again.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if legacy is not None:
        args = legacy_overrides(args, legacy)
    root = logging.getLogger()
    handlers, level, saved_argv = root.handlers[:], root.level, sys.argv
    sys.argv = [saved_argv[0] if saved_argv else getattr(command, "__module__", ""), *args]
    try:
        command()
    except SystemExit as stopped:
        if stopped.code not in (0, None):
            raise
    finally:
        sys.argv = saved_argv
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
        from hydra.core.global_hydra import GlobalHydra

        GlobalHydra.instance().clear()
    return 0


def _mode() -> RunMode | None:
    try:
        return HydraConfig.get().mode
    except ValueError:
        return None


def _finish_wandb() -> None:
    wandb = sys.modules.get("wandb")  # never imported: no run to finish (and no import time)
    if wandb is not None and getattr(wandb, "run", None) is not None:
        wandb.finish()


def metric_value(metrics: dict[str, Any], name: str | None) -> float | None:
    """The value of the metric a sweeper optimises (None when no name is configured).

    A metric that was not logged (e.g. ``val/srocc_best`` of a run without validation data, or
    of ``train=false``) is an error only for a hyper-parameter search, which needs the value;
    otherwise it is None, with a warning.
    """
    if not name:
        return None
    if name not in metrics:
        message = f"optimized_metric {name!r} was not logged; logged metrics: {sorted(metrics)}"
        if _searching():
            raise ConfigError(message)
        log.warning("%s (no value returned)", message)
        return None
    return float(metrics[name])


def _searching() -> bool:
    """True inside a multirun whose sweeper optimises (anything but Hydra's basic sweeper)."""
    if _mode() != RunMode.MULTIRUN:
        return False
    sweeper = str(HydraConfig.get().sweeper.get("_target_", ""))
    return not sweeper.endswith("BasicSweeper")


@contextlib.contextmanager
def run_directory_lock(run_dir: str | Path) -> Iterator[None]:
    """Hold ``<run_dir>/.lock`` for the duration (an exclusive ``fcntl`` lock).

    A second run in the same directory (e.g. the same checkpoint resumed twice at once) stops
    with a :class:`ConfigError` instead of mixing checkpoints. The lock dies with the process,
    so a killed run leaves nothing to clean up. DDP ranks other than the launching one (which
    Lightning starts in the same directory) do not take it.
    """
    if os.environ.get("LOCAL_RANK", "0") != "0" or os.environ.get("NODE_RANK", "0") != "0":
        yield
        return
    path = Path(run_dir) / ".lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"another run is using the run directory {Path(run_dir)} (locked: {path}); "
                "wait for it to finish or use another directory"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
