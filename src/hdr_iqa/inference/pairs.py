"""The pairs ``predict`` scores: one pair, two folders matched by file name, or a CSV list.

* ``ref=a.png dist=b.png``: one pair;
* ``ref=refs/ dist=dists/``: every image of ``dists/`` with the image of ``refs/`` that has the
  same name (extension aside: ``refs/x.png`` matches ``dists/x.jpg``);
* ``ref=a.exr dist=dists/``: every image of ``dists/`` against the one reference;
* ``dist=...`` alone: no-reference models;
* ``pairs=list.csv``: columns ``dist`` and ``ref`` (and optionally ``display``, a preset name per
  row); relative paths are relative to the CSV's folder.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from hdr_iqa.errors import ConfigError, DataError, MissingFileError
from hdr_iqa.io import DISPLAY_SUFFIXES, LUMINANCE_SUFFIXES

IMAGE_SUFFIXES = DISPLAY_SUFFIXES | LUMINANCE_SUFFIXES


@dataclass(frozen=True)
class Pair:
    """Files of one pair; ``display`` is a per-pair preset name (from a CSV), or None."""

    dist: str
    ref: str | None = None
    display: str | None = None


def collect_pairs(ref: str | None, dist: str | None, pairs: str | None = None) -> list[Pair]:
    """The pairs named by the ``ref``, ``dist`` and ``pairs`` settings (see the module doc)."""
    if pairs is not None:
        if ref is not None or dist is not None:
            raise ConfigError("give either pairs=<csv> or ref=/dist=, not both")
        return read_pairs_csv(pairs)
    if dist is None:
        raise ConfigError("nothing to score: give dist= (and ref=) or pairs=<csv>")
    dist_path, ref_path = _existing(dist, "dist"), _existing(ref, "ref") if ref else None
    if not dist_path.is_dir():
        if ref_path is not None and ref_path.is_dir():
            raise ConfigError(f"ref={ref} is a folder but dist={dist} is a file; give two folders")
        return [Pair(str(dist_path), str(ref_path) if ref_path else None)]
    dists = images_in(dist_path)
    if ref_path is None or not ref_path.is_dir():
        return [Pair(str(d), str(ref_path) if ref_path else None) for d in dists]
    return match_by_name(images_in(ref_path), dists, ref_path, dist_path)


def images_in(folder: Path) -> list[Path]:
    """Image files of a folder (sorted by name; hidden files and other formats skipped)."""
    found = sorted(
        p for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES
    )  # fmt: skip
    if not found:
        raise DataError(
            f"{folder}: no images found (expected files ending in {sorted(IMAGE_SUFFIXES)})"
        )
    return found


def match_by_name(refs: list[Path], dists: list[Path], ref_dir: Path, dist_dir: Path) -> list[Pair]:
    """Pair the images of two folders by file name without extension; all must match."""
    by_name = [_by_stem(refs, ref_dir), _by_stem(dists, dist_dir)]
    no_ref = sorted(set(by_name[1]) - set(by_name[0]))
    no_dist = sorted(set(by_name[0]) - set(by_name[1]))
    if no_ref or no_dist:
        problems = []
        if no_ref:
            problems.append(
                f"{_few(by_name[1], no_ref)} in {dist_dir} have no reference in {ref_dir}"
            )
        if no_dist:
            problems.append(f"{_few(by_name[0], no_dist)} in {ref_dir} have no image in {dist_dir}")
        raise DataError(f"file names do not match: {'; '.join(problems)}")
    return [Pair(str(by_name[1][k]), str(by_name[0][k])) for k in sorted(by_name[1])]


def read_pairs_csv(path: str | Path) -> list[Pair]:
    """Pairs listed in a CSV with columns ``dist``, ``ref`` (and optionally ``display``)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise MissingFileError(f"pairs: CSV file not found: {path}")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = [c.strip() for c in reader.fieldnames or []]
        if "dist" not in columns:
            raise DataError(f"{path}: expected a header with columns dist and ref, found {columns}")
        reader.fieldnames = columns
        pairs = []
        for line, row in enumerate(reader, start=2):
            dist, ref = (row.get("dist") or "").strip(), (row.get("ref") or "").strip()
            if not dist:
                raise DataError(f"{path} line {line}: empty dist")
            files = [_relative(dist, path, line, "dist")]
            files.append(_relative(ref, path, line, "ref") if ref else None)
            pairs.append(Pair(*files, display=(row.get("display") or "").strip() or None))
    if not pairs:
        raise DataError(f"{path}: no pairs listed (only a header)")
    return pairs


def _existing(value: str, key: str) -> Path:
    path = Path(value).expanduser()
    if not path.exists():
        raise MissingFileError(f"{key}: file or folder not found: {path}")
    return path


def _relative(value: str, csv_path: Path, line: int, column: str) -> str:
    path = Path(value).expanduser()
    path = path if path.is_absolute() else csv_path.parent / path
    if not path.is_file():
        raise MissingFileError(f"{csv_path} line {line}: {column} file not found: {path}")
    return str(path)


def _by_stem(files: list[Path], folder: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for file in files:
        if file.stem in found:
            raise DataError(f"{folder}: {found[file.stem].name} and {file.name} share a name")
        found[file.stem] = file
    return found


def _few(files: dict[str, Path], names: list[str], n: int = 5) -> str:
    shown = ", ".join(files[k].name for k in names[:n])
    return shown + (f" (and {len(names) - n} more)" if len(names) > n else "")
