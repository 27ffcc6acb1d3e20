"""Check every listed image before the first training step (``data.verify``).

Each image of every role, split and test dataset is opened once and must decode and hold valid
values (:func:`hdr_iqa.io.read_image`: finite, non-negative luminance, not all black); the images
of a pair must have the same size, and every image must be at least one patch wide and high.
All problems are collected and raised together as one DataError (file and problem, the first
:data:`SHOWN_ERRORS` listed), instead of the first one stopping training hours in.

``data.verify``:

* ``auto`` (default): verify when the datasets list at most :data:`AUTO_LIMIT` distinct image
  files, or whenever ``data.decoded_cache`` is set (verification then decodes each file into that
  cache, which training reads anyway);
* ``true`` / ``false``: always / never.

Files run through ``data.num_workers`` worker processes (in-process with 0 workers or few files)
with a progress bar. Files that passed are remembered in a JSON file by absolute path, size and
modification time, so later runs only check new or changed files:
``<data.decoded_cache>/verified.json`` when a decoded cache is set, else
``$XDG_CACHE_HOME/hdr_iqa/verified.json`` (``~/.cache/hdr_iqa/verified.json``). Datasets that
check their own files (``files_verified = True``: the synthetic dataset, whose every file's
SHA-256 is checked against its manifest) are skipped.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import tempfile
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from hdr_iqa.data.image_cache import DecodedFileCache
from hdr_iqa.errors import ConfigError, DataError, UserError
from hdr_iqa.io import read_image

log = logging.getLogger(__name__)

AUTO_LIMIT = 20_000
"""``verify: auto`` checks datasets listing at most this many distinct image files."""
SHOWN_ERRORS = 20
"""Problems listed in the error message (all are counted)."""
CACHE_FILE = "verified.json"
CACHE_VERSION = 1
"""Bump when the checks change, so that files are checked again."""
_PARALLEL_MIN = 32
"""Fewer unchecked files than this are checked in-process (starting workers costs more)."""


@dataclass(frozen=True)
class FileCheck:
    """What checking one file found: its (height, width), or the problem."""

    path: str
    size: tuple[int, int] | None
    error: str | None = None


def check_file(path: str, decoded_cache: str | None = None) -> FileCheck:
    """Decode ``path`` (into ``decoded_cache`` if given) and report its size or its problem."""
    try:
        if decoded_cache:
            image = DecodedFileCache(decoded_cache).get(path, warn_relative=False)
        else:
            image = read_image(path, warn_relative=False)
    except UserError as error:
        message = str(error)
        return FileCheck(path, None, message if path in message else f"{path}: {message}")
    return FileCheck(path, (int(image.shape[0]), int(image.shape[1])))


def cache_path(decoded_cache: str | Path | None) -> Path:
    """Where the results of earlier verifications are kept (see the module docstring)."""
    if decoded_cache:
        return Path(decoded_cache) / CACHE_FILE
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hdr_iqa" / CACHE_FILE


def verify_records(
    groups: Mapping[str, tuple[Any, Mapping[str, list]]],
    mode: bool | str = "auto",
    workers: int = 0,
    decoded_cache: str | Path | None = None,
    patch_size: int = 0,
) -> None:
    """Check every image of ``groups`` ({role: (source, {split: records})}); see the module.

    Raises a DataError listing every problem found; returns silently when all images are fine
    or when ``mode`` says not to verify.
    """
    if mode not in (True, False, "auto"):
        raise ConfigError(f"data.verify must be true, false or auto, got {mode!r}")
    records = [
        record
        for source, by_split in groups.values()
        if not getattr(source, "files_verified", False)
        for split in by_split.values()
        for record in split
    ]
    paths = sorted({p for r in records for p in _paths(r)})
    if not paths or mode is False:
        return
    if mode == "auto" and len(paths) > AUTO_LIMIT and not decoded_cache:
        log.info(
            "data.verify=auto: %d image files listed (more than %d) and no data.decoded_cache: "
            "not verified before training (data.verify=true checks them all first)",
            len(paths), AUTO_LIMIT,
        )  # fmt: skip
        return
    checks = check_files(paths, workers, decoded_cache)
    problems = [c.error for c in checks.values() if c.error]
    problems += _pair_problems(records, checks, patch_size)
    if problems:
        shown = "\n  ".join(problems[:SHOWN_ERRORS])
        hidden = len(problems) - SHOWN_ERRORS
        more = f"\n  ... and {hidden} more" if hidden > 0 else ""
        raise DataError(
            f"data.verify found {len(problems)} problems in the {len(paths)} listed images "
            f"(fix or remove them; data.verify=false skips this check):\n  {shown}{more}"
        )


def check_files(
    paths: list[str], workers: int = 0, decoded_cache: str | Path | None = None
) -> dict[str, FileCheck]:
    """{path: check} of every file, reusing the cache for files unchanged since they passed."""
    cache_file = cache_path(decoded_cache)
    known = _load_cache(cache_file)
    results: dict[str, FileCheck] = {}
    todo = []
    for path in paths:
        entry, stamp = known.get(os.path.abspath(path)), _stamp(path)
        if entry is not None and stamp is not None and entry[:2] == list(stamp):
            results[path] = FileCheck(path, (entry[2], entry[3]))
        else:
            todo.append(path)
    if not todo:
        log.info("data.verify: all %d images were verified before (%s)", len(paths), cache_file)
        return results
    cache_dir = str(decoded_cache) if decoded_cache else None
    bar = tqdm(total=len(todo), desc="Verifying images", unit="img", disable=None, leave=False)
    with bar:
        for check in _run(todo, workers, cache_dir):
            results[check.path] = check
            bar.update()
    log.info("data.verify: checked %d images (%d more unchanged since they passed)",
             len(todo), len(paths) - len(todo))  # fmt: skip
    passed = {p: results[p] for p in todo if results[p].error is None}
    if passed:
        _save_cache(cache_file, known, passed)
    return results


def _run(paths: list[str], workers: int, decoded_cache: str | None) -> Iterable[FileCheck]:
    if workers < 1 or len(paths) < _PARALLEL_MIN:
        return (check_file(p, decoded_cache) for p in paths)
    # fork: the workers inherit the loaded modules (as DataLoader workers do on Linux)
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    chunk = max(1, min(32, len(paths) // (4 * workers)))

    def results() -> Iterable[FileCheck]:
        with pool:
            yield from pool.map(check_file, paths, [decoded_cache] * len(paths), chunksize=chunk)

    return results()


def _paths(record: Any) -> list[str]:
    return [p for p in (record.ref, record.dist, getattr(record, "dist_b", None)) if p]


def _pair_problems(records: list, checks: Mapping[str, FileCheck], patch_size: int) -> list[str]:
    """Size mismatches within a pair and images smaller than one patch, once each."""
    problems: dict[str, str] = {}
    for record in records:
        paths = _paths(record)
        sizes = [checks[p].size for p in paths]
        if any(s is None for s in sizes):
            continue  # already reported as unreadable
        listed = record.meta.get("origin") if isinstance(record.meta, dict) else None
        where = f" (listed in {listed})" if listed else ""
        for path, size in zip(paths, sizes, strict=True):
            if patch_size and min(size) < patch_size and path not in problems:
                problems[path] = (
                    f"{path}: {_text(size)} pixels, smaller than the {patch_size}x{patch_size} "
                    f"patches (data.patch_size){where}"
                )
        first = paths[0]
        for path, size in zip(paths[1:], sizes[1:], strict=True):
            if size != sizes[0]:
                problems.setdefault(
                    f"{first}|{path}",
                    f"{path}: {_text(size)} pixels, but its reference {first} is "
                    f"{_text(sizes[0])}{where}",
                )
    return list(problems.values())


def _text(size: tuple[int, int]) -> str:
    return f"{size[1]}x{size[0]}"


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _load_cache(path: Path) -> dict[str, list]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}  # none yet, or damaged: check again
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return {}
    files = data.get("files")
    return files if isinstance(files, dict) else {}


def _save_cache(path: Path, known: dict[str, list], passed: Mapping[str, FileCheck]) -> None:
    """Add ``passed`` to the cache file (atomically); entries of deleted files are dropped."""
    files = {p: e for p, e in known.items() if os.path.exists(p)}
    for check in passed.values():
        stamp = _stamp(check.path)
        if stamp is not None and check.size is not None:
            files[os.path.abspath(check.path)] = [*stamp, *check.size]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".verified.", suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            json.dump({"version": CACHE_VERSION, "files": files}, handle)
        os.replace(tmp, path)
    except OSError as error:  # a read-only cache directory only costs the next run time
        log.warning("data.verify: cannot write %s (%s); files will be checked again", path, error)
