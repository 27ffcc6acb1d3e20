"""Atomic writes: normal permissions (the umask), one-line errors, whole result sets."""

import errno
import os
import stat

import pytest

from hdr_iqa.errors import UserError, WriteError
from hdr_iqa.utils import files
from hdr_iqa.utils.files import atomic_directory, atomic_write_text


@pytest.fixture
def umask():
    """``umask(value)`` sets the process umask for the test (restored afterwards)."""
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_files_and_directories_honour_the_umask(tmp_path, umask, mask):
    umask(mask)
    written = atomic_write_text(tmp_path / "a" / "config.yaml", "x: 1\n")
    assert mode(written) == 0o666 & ~mask
    with atomic_directory(tmp_path / "results") as tmp:
        atomic_write_text(tmp / "metrics.json", "{}")
    assert mode(tmp_path / "results") == 0o777 & ~mask
    assert mode(tmp_path / "results/metrics.json") == 0o666 & ~mask


def test_a_full_disk_is_one_line_naming_the_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    path = atomic_write_text(tmp_path / "metrics.json", "old")
    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(WriteError) as raised:
        atomic_write_text(path, "new")
    assert isinstance(raised.value, UserError) and raised.value.errno == errno.ENOSPC
    assert str(raised.value) == f"cannot write {path}: No space left on device"
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # no temporary file left


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two renames"])
def test_a_directory_is_replaced_whole(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(files, "_exchange", lambda a, b: False)
    with atomic_directory(tmp_path / "results") as tmp:
        atomic_write_text(tmp / "predictions_old.csv", "old")
        atomic_write_text(tmp / "metrics.json", "old")
    with atomic_directory(tmp_path / "results") as tmp:
        assert tmp.parent == tmp_path and not list(tmp.iterdir())
        atomic_write_text(tmp / "metrics.json", "new")
        assert (tmp_path / "results/metrics.json").read_text() == "old"  # until complete
    assert [p.name for p in tmp_path.iterdir()] == ["results"]
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["metrics.json"]
    assert (tmp_path / "results/metrics.json").read_text() == "new"


def test_a_failed_set_leaves_the_previous_set(tmp_path, monkeypatch):
    with atomic_directory(tmp_path / "results") as tmp:
        atomic_write_text(tmp / "metrics.json", "old")
    expected = f"^cannot write {tmp_path}/results/predictions_hdr.csv: No space left on device$"
    with pytest.raises(WriteError, match=expected), atomic_directory(tmp_path / "results") as tmp:
        atomic_write_text(tmp / "metrics.json", "new")
        monkeypatch.setattr(os, "fsync", disk_full)
        atomic_write_text(tmp / "predictions_hdr.csv", "new")
    assert [p.name for p in tmp_path.iterdir()] == ["results"]
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["metrics.json"]
    assert (tmp_path / "results/metrics.json").read_text() == "old"
