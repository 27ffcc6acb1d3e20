"""File helpers: result files and result sets are written atomically, with normal permissions.

* :func:`atomic_write_text`: a temporary file in the same directory, fsync'ed, then renamed over
  the target, so readers see the old file or the new one, never half of one.
* :func:`atomic_directory`: a set of files (``results/``) filled in a temporary sibling directory
  and swapped in whole, so readers see the previous complete set or the new one, never a mix.

Temporary files and directories are created with mode 0666 / 0777 less the umask, like
``open()`` and ``mkdir`` (``tempfile`` would make them 0600 / 0700, and the rename keeps that).
An ``OSError`` while writing (disk full, read-only, no permission) becomes a one-line
:class:`~hdr_iqa.errors.WriteError` naming the file.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import hashlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from hdr_iqa.errors import WriteError

_RENAME_EXCHANGE = 2
"""``renameat2`` flag (Linux >= 3.15): swap two paths atomically."""
_AT_FDCWD = -100


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` so that readers see the old file or the new one, never
    half (:func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half
    (a temporary file in the same folder, fsync'ed, then renamed; mode 0666 less the umask).

    Raises:
        WriteError: the file cannot be written (the message names it and says why); the
            previous file, if any, is left as it was.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_temp_file(path.parent, f".{path.name}.", ".tmp")
    except OSError as error:
        raise _write_error(path, error) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        tmp.unlink(missing_ok=True)
        if isinstance(error, OSError) and not isinstance(error, WriteError):
            raise _write_error(path, error) from None
        raise
    return path


@contextlib.contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """Yield a new, empty directory that replaces ``path`` as a whole when the block completes.

    The block fills the yielded temporary sibling of ``path``; on success it takes ``path``'s
    place (an atomic exchange where the OS has one, else two renames) and the previous
    directory is deleted. On any error the temporary directory is deleted and ``path`` keeps
    its previous contents; a :class:`~hdr_iqa.errors.WriteError` names the file under ``path``.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as root:
        ...     with atomic_directory(f"{root}/results") as tmp:
        ...         _ = atomic_write_text(tmp / "a.txt", "1")
        ...     sorted(p.name for p in Path(root, "results").iterdir())
        ['a.txt']
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _create_temp_dir(path.parent, f".{path.name}.", ".tmp")
    except OSError as error:
        raise _write_error(path, error) from None
    try:
        yield tmp
    except BaseException as error:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(error, WriteError) and str(tmp) in str(error):  # name the real place
            renamed = WriteError(str(error).replace(str(tmp), str(path)))
            renamed.errno = error.errno
            raise renamed from None
        raise
    try:
        _swap_in(tmp, path)
    except OSError as error:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _write_error(path, error) from None


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------- plumbing
def _write_error(path: Path, error: OSError) -> WriteError:
    reason = error.strerror or str(error) or type(error).__name__
    written = WriteError(f"cannot write {path}: {reason}")
    written.errno = error.errno
    return written


def _create_temp_file(directory: Path, prefix: str, suffix: str) -> tuple[int, Path]:
    """A new file opened for writing, mode 0666 less the umask (like ``open(path, "w")``)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = directory / f"{prefix}{secrets.token_hex(6)}{suffix}"
        with contextlib.suppress(FileExistsError):
            return os.open(tmp, flags, 0o666), tmp


def _create_temp_dir(directory: Path, prefix: str, suffix: str) -> Path:
    """A new directory, mode 0777 less the umask (like ``mkdir``)."""
    while True:
        tmp = directory / f"{prefix}{secrets.token_hex(6)}{suffix}"
        with contextlib.suppress(FileExistsError):
            tmp.mkdir(0o777)
            return tmp


def _swap_in(new: Path, path: Path) -> None:
    """Put directory ``new`` at ``path`` and delete what was there."""
    if not path.exists():
        os.rename(new, path)  # atomic; fails if another writer created a non-empty path
        return
    if _exchange(new, path):  # ``new`` now holds the previous directory
        shutil.rmtree(new, ignore_errors=True)
        return
    old = _create_temp_dir(path.parent, f".{path.name}.", ".old")
    os.rename(path, old / path.name)
    try:
        os.rename(new, path)
    except OSError:
        os.rename(old / path.name, path)  # put the previous set back
        shutil.rmtree(old, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    renameat2 = _libc_renameat2()
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EXDEV):
        return False  # kernel or file system without the exchange
    raise OSError(code, os.strerror(code), str(b))


@functools.cache
def _libc_renameat2() -> Callable[..., int] | None:
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    function.argtypes += [ctypes.c_uint]
    function.restype = ctypes.c_int
    return function
