"""User-facing errors: raised for bad input or configuration, printed without a traceback.

Entry points catch :class:`UserError` and print its message (which names the file, key or value
at fault and what was expected); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """Base class of errors caused by input or configuration, not by a bug."""


class ConfigError(UserError, ValueError):
    """A configuration value is missing, unknown or out of range."""


class DataError(UserError, ValueError):
    """A data file is unreadable, malformed or inconsistent."""


class MissingFileError(UserError, FileNotFoundError):
    """A file or directory named by the configuration does not exist."""


class WeightsError(UserError, ValueError):
    """A weights file does not match the model it is loaded into."""


class WriteError(UserError, OSError):
    """An output file cannot be written (disk full, read-only file system, no permission)."""


class EvaluationError(UserError, ValueError):
    """A test set yielded no valid prediction, so there is no result to report."""


class TrainingDivergedError(UserError, ArithmeticError):
    """Training produced a non-finite loss or gradient (the run stops instead of going on)."""
