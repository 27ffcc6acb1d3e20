"""The older command-line forms of ``aggregate`` and ``inspect``, translated to Hydra overrides.

Every command's canonical form is Hydra's ``key=value``. ``aggregate`` and ``inspect`` also
accept the forms they had before they were Hydra commands (README): bare arguments (run
directories, an image file) and ``--flag value`` options. :func:`legacy_overrides` turns them
into overrides (quoted, so any path survives); everything else (``key=value``, ``~key``,
Hydra's own flags such as ``--help``, ``--cfg job`` or ``-m``) is passed on unchanged, Hydra's
flags first (its parser wants them before the overrides).

Example:
    >>> form = LegacyForm("dirs", many=True, options={"--out": "out"}, lists={"--over": "over"})
    >>> argv = ["runs/a", "runs/b", "--over", "seed", "--out", "cmp", "metric=plcc"]
    >>> legacy_overrides(argv, form)
    ["dirs=['runs/a','runs/b']", "over=['seed']", "out='cmp'", 'metric=plcc']
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HYDRA_FLAGS_WITH_VALUE = frozenset(
    ["--cfg", "-c", "--package", "-p", "--config-path", "-cp", "--config-name", "-cn",
     "--config-dir", "-cd", "--experimental-rerun"]
)  # fmt: skip
"""Hydra's own flags that take the next argument as their value."""
HYDRA_INFO = ("--info", "-i")
HYDRA_INFO_VALUES = frozenset(
    ["all", "config", "defaults", "defaults-tree", "plugins", "searchpath"]
)  # fmt: skip
"""``--info`` takes the next argument only when it is one of these."""


@dataclass(frozen=True)
class LegacyForm:
    """How a command's older arguments map to its config keys.

    Attributes:
        positional: the key of the bare arguments (``dirs``, ``image``).
        many: bare arguments make a list (``dirs=[a,b]``); else one value (``image=a``; several
            still make a list, which the command reports as an error).
        options: ``--flag value`` -> key (one value; ``--flag=value`` too).
        lists: ``--flag v1 v2 ...`` -> key (a list: the values up to the next flag or
            ``key=value``; none gives ``key=[]``).
    """

    positional: str
    many: bool = False
    options: Mapping[str, str] = field(default_factory=dict)
    lists: Mapping[str, str] = field(default_factory=dict)


def legacy_overrides(argv: Sequence[str], form: LegacyForm) -> list[str]:
    """``argv`` with the legacy forms of ``form`` replaced by Hydra overrides.

    A bare argument is one without ``=`` that does not start with ``-`` or ``~`` (or any
    argument naming an existing file or directory). Returned: Hydra's flags (with their
    values), the translated overrides (positional first), then the other overrides as given.
    """
    argv = list(argv)
    bare: list[str] = []
    translated: list[str] = []
    passed: list[str] = []
    flags: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        flag, _, inline = arg.partition("=")
        if flag in form.options or flag in form.lists:
            if inline or "=" in arg:
                values = [inline]
            elif flag in form.options:
                values = argv[i + 1 : i + 2]
            else:
                values = []
                while i + 1 + len(values) < len(argv) and _is_value(argv[i + 1 + len(values)]):
                    values.append(argv[i + 1 + len(values)])
            i += 1 + (0 if "=" in arg else len(values))
            if flag in form.lists:
                translated.append(f"{form.lists[flag]}={_list(values)}")
            else:
                translated.append(f"{form.options[flag]}={quote(values[0] if values else '')}")
            continue
        if arg in HYDRA_FLAGS_WITH_VALUE or (
            arg in HYDRA_INFO and i + 1 < len(argv) and argv[i + 1] in HYDRA_INFO_VALUES
        ):
            flags += argv[i : i + 2]
            i += 2
            continue
        if _is_bare(arg):
            bare.append(arg)
        else:
            (flags if arg.startswith("-") else passed).append(arg)
        i += 1
    if bare:
        value = _list(bare) if form.many or len(bare) > 1 else quote(bare[0])
        translated.insert(0, f"{form.positional}={value}")
    return [*flags, *translated, *passed]


def quote(value: str) -> str:
    """``value`` as a single-quoted Hydra string: any path, with spaces, commas, brackets,
    ``=`` or quotes, reaches the config unchanged.

    Example:
        >>> quote("it's a,b")
        "'it\\\\'s a,b'"
    """
    # Hydra unescapes backslashes only before a quote (and at the end of the string)
    escaped = re.sub(r"(\\+)('|$)", lambda m: m[1] * 2 + m[2], value)
    return "'" + escaped.replace("'", "\\'") + "'"


def _list(values: Sequence[str]) -> str:
    return "[" + ",".join(quote(v) for v in values) + "]"


def _is_bare(arg: str) -> bool:
    if arg.startswith("-"):
        return False
    return not ("=" in arg or arg.startswith("~")) or Path(arg).exists()


def _is_value(arg: str) -> bool:
    """A value of a list flag: not a flag, an override or a deletion."""
    return not arg.startswith(("-", "~")) and "=" not in arg
