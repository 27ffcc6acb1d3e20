"""Helpers shared by the dataset readers: roots, case-insensitive names, score files.

Every failure raises a :mod:`hdr_iqa.errors` type that names the file (and the line of a score
file) and says what was expected and what was found.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
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
    if not records:
        raise DataError(f"{path}: no {what} found")
    return records
