"""Helpers shared by the dataset readers: roots, case-insensitive names, score files.

Every failure raises a :mod:`hdr_iqa.errors` type that names the file (and the line of a score
file) and says what was expected and what was found. Score files with a header are read by
column name (:func:`read_table`), never by position, so a file with a renamed, missing or moved
column is an error rather than another column read as the score; a sample listed twice is an
error naming both lines (:func:`check_duplicates`).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Hashable, Iterable, Iterator, Sequence
from pathlib import Path

from hdr_iqa.errors import DataError, MissingFileError


def require_dir(path: str | Path, what: str) -> Path:
    """``path`` as a Path if it is a directory, else a MissingFileError naming it."""
    path = Path(path).expanduser()
    if not path.is_dir():
        raise MissingFileError(
            f"{what} not found: {path} is not a directory (set paths.data_dir to the folder "
            f"that holds it, or the dataset's root)"
        )
    return path


def require_file(path: Path, what: str) -> Path:
    """``path`` if it is a file, else a MissingFileError naming ``what``."""
    if not path.is_file():
        raise MissingFileError(f"{what} not found: {path}")
    return path


class Folder:
    """A directory whose file names are matched case-insensitively (listed once).

    Datasets published from Windows name files inconsistently (TID2013: ``I01.BMP`` next to
    ``i25.bmp``, score files in lower case); an exact match wins, then a case-insensitive one.
    """

    def __init__(self, path: Path, what: str) -> None:
        self.path = require_dir(path, what)
        self.what = what
        self._names = {p.name for p in self.path.iterdir()}
        self._lower: dict[str, str] = {}
        for name in sorted(self._names):
            self._lower.setdefault(name.lower(), name)

    def find(self, name: str) -> Path | None:
        """The file called ``name`` in any letter case, or None."""
        if name in self._names:
            return self.path / name
        actual = self._lower.get(name.lower())
        return None if actual is None else self.path / actual

    def resolve(self, name: str, source: str = "") -> Path:
        """Like :meth:`find`, but a missing file is a MissingFileError naming ``source``."""
        found = self.find(name)
        if found is None:
            where = f" (listed in {source})" if source else ""
            raise MissingFileError(f"{self.path / name}: {self.what} image not found{where}")
        return found

    def names(self) -> list[str]:
        """Every file name in the directory, as spelled there, sorted."""
        return sorted(self._names)


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(1-based line number, stripped text) of each non-empty line; CRLF and a BOM are fine."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not a text file ({error})") from error
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line.strip()


def read_csv(path: Path, columns: int, header: bool = True) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each data row of a comma-separated file with >= ``columns``.

    Quoted fields (R ``write.csv`` style) and CRLF line endings are handled; blank lines are
    skipped; a short row is a DataError naming the file and line.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not a text file ({error})") from error
    reader = csv.reader(io.StringIO(text, newline=""))
    for row in reader:
        number = reader.line_num
        if header and number == 1:
            continue
        if not any(field.strip() for field in row):
            continue
        if len(row) < columns:
            raise DataError(
                f"{path}:{number}: expected {columns} comma-separated fields, found {len(row)}: "
                f"{','.join(row)!r}"
            )
        yield number, [field.strip() for field in row]


def csv_header(path: Path) -> list[str]:
    """The first row of a CSV file, fields stripped of spaces and quotes, lower case."""
    try:
        first = path.read_bytes().decode("utf-8-sig").splitlines()[:1]
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not a text file ({error})") from error
    if not first:
        raise DataError(f"{path}: empty file, expected a header line")
    return [f.strip().strip('"').strip().lower() for f in next(csv.reader(first))]


def column_index(header: list[str], path: Path, *names: str) -> int:
    """Position of the first of ``names`` in ``header`` (lower case), else a DataError."""
    for name in names:
        if name in header:
            return header.index(name)
    raise DataError(f"{path}: expected a column named {names[0]!r} in the header, found {header}")


def column_containing(header: list[str], path: Path, phrase: str) -> int:
    """Position of the one column whose name contains ``phrase`` (lower case), else a DataError.

    For files whose header is prose (PieAPP: "processed probability of preference for A").
    """
    found = [i for i, name in enumerate(header) if phrase in " ".join(name.split())]
    if len(found) != 1:
        which = "no column" if not found else f"{len(found)} columns"
        raise DataError(
            f"{path}: expected one column whose name contains {phrase!r}, found {which} in the "
            f"header {header}"
        )
    return found[0]


def read_table(
    path: Path, columns: Sequence[str], optional: Sequence[str] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: field}) of each data row of a CSV file, by header name.

    ``columns`` must all be in the header (lower case, quotes and spaces stripped), else a
    DataError names the file, the missing columns and the columns found; ``optional`` ones are
    read when present. Rows too short for a needed column are an error naming their line.
    """
    header = csv_header(path)
    missing = [name for name in columns if name not in header]
    if missing:
        names = ", ".join(repr(m) for m in missing)
        raise DataError(
            f"{path}: no column named {names} in the header; found {header} (columns are read "
            "by name, not by position)"
        )
    index = {name: header.index(name) for name in (*columns, *optional) if name in header}
    for line, fields in read_csv(path, columns=max(index.values()) + 1):
        yield line, {name: fields[i] for name, i in index.items()}


def check_duplicates(
    keyed: Iterable[tuple[int | str, Hashable]],
    path: Path | str,
    what: str,
    shown: int = 5,
    unit: str = "lines",
) -> None:
    """A DataError if a key occurs on more than one line: ``keyed`` holds (line, key) pairs,
    ``what`` names the keys, e.g. ``"distorted images"``; up to ``shown`` duplicates are listed
    with all their lines (``unit``: what the numbers count, e.g. ``"rows"`` of a sheet)."""
    lines: dict[Hashable, list[int | str]] = {}
    for line, key in keyed:
        lines.setdefault(key, []).append(line)
    repeated = [(key, where) for key, where in lines.items() if len(where) > 1]
    if not repeated:
        return
    listed = "; ".join(
        f"{_key_text(key)} on {unit} {', '.join(str(w) for w in where[:shown])}"
        + (", ..." if len(where) > shown else "")
        for key, where in repeated[:shown]
    )
    more = f"; and {len(repeated) - shown} more" if len(repeated) > shown else ""
    raise DataError(
        f"{path}: {len(repeated)} {what} listed more than once (each sample must be listed "
        f"once): {listed}{more}"
    )


def _key_text(key: Hashable) -> str:
    if isinstance(key, tuple):
        return "(" + ", ".join(repr(k) for k in key) + ")"
    return repr(key)


def parse_score(text: str, path: Path | str, line: int | str, what: str = "score") -> float:
    """A finite float from a score file, else a DataError naming the file and line."""
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{path}:{line}: {what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise DataError(f"{path}:{line}: {what} {text!r} is not a finite number")
    return value


def check_not_empty(records: list, path: Path | str, what: str) -> list:
    """``records`` unchanged, or a DataError when no ``what`` was read from ``path``."""
    if not records:
        raise DataError(f"{path}: no {what} found")
    return records
