"""Helpers shared by the entry points: instantiation, clean errors, the metric to optimise."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from hydra.types import RunMode
from omegaconf import DictConfig
from omegaconf.errors import InterpolationToMissingValueError, MissingMandatoryValue

from hdr_iqa.errors import ConfigError, UserError

log = logging.getLogger(__name__)
MISSING_VALUE = re.compile(r"Missing mandatory value: (\S+)")
"""OmegaConf's message for a ``???`` value, naming its key."""


def instantiate_group(config: DictConfig | None) -> list[Any]:
    """Instantiate every entry of a group such as ``callbacks`` or ``logger`` (nulls skipped)."""
    if not config:
        return []
    return [hydra.utils.instantiate(c) for c in config.values() if c and "_target_" in c]


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


def _mode() -> RunMode | None:
    try:
        return HydraConfig.get().mode
    except ValueError:
        return None


def _finish_wandb() -> None:
    try:
        import wandb
    except ImportError:  # pragma: no cover
        return
    if wandb.run is not None:
        wandb.finish()


def metric_value(metrics: dict[str, Any], name: str | None) -> float | None:
    """The value of the metric a sweeper optimises (None when no name is configured)."""
    if not name:
        return None
    if name not in metrics:
        raise ConfigError(
            f"optimized_metric {name!r} was not logged; logged metrics: {sorted(metrics)}"
        )
    return float(metrics[name])
