"""Decode each image once: a per-process LRU in memory, or decoded files memory-mapped from disk.

With ``data.decoded_cache=<dir>`` every image is decoded once per dataset (not once per worker
and epoch) into ``<dir>/<key>.npy`` (uint8 for 8-bit files, float32 cd/m^2 for HDR files, the
exact decoded values) and memory-mapped afterwards: the DataLoader workers share the operating
system's page cache, a dataset larger than memory works, and cutting patches reads only the
pages they touch (a 1920x1080 EXR pair: a few ms instead of ~130 ms of ZIP decoding). The key
holds the file's absolute path, size and modification time, so an edited file is decoded again.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from pathlib import Path

import numpy as np

from hdr_iqa.io import read_image

CACHE_VERSION = 1
"""Part of every key; bump it when the decoded representation changes."""


class DecodedFileCache:
    """Decoded images as ``.npy`` files in ``directory``, memory-mapped (read-only) on read.

    The maps opened by a process are kept (up to ``max_open``; a map costs an address range,
    not memory), so a file is opened once per process.
    """

    def __init__(self, directory: str | Path, max_open: int = 4096) -> None:
        self.directory = Path(directory)
        self.max_open = max_open
        self._open: OrderedDict[str, np.ndarray] = OrderedDict()

    def file_for(self, path: str | Path) -> Path:
        """Where the decoded copy of ``path`` lives (whether or not it exists yet)."""
        source = Path(path).resolve()
        stat = source.stat()
        key = f"{CACHE_VERSION}|{source}|{stat.st_size}|{stat.st_mtime_ns}"
        digest = hashlib.sha1(key.encode()).hexdigest()
        return self.directory / digest[:2] / f"{digest}.npy"

    def get(self, path: str, warn_relative: bool = True) -> np.ndarray:
        """The decoded (H, W, 3) image of ``path`` (uint8, or float32 cd/m^2 for HDR): memory-mapped
        from its ``.npy`` copy, or decoded and the copy written on first use."""
        mapped = self._open.get(path)
        if mapped is not None:
            self._open.move_to_end(path)
            return mapped
        if not Path(path).is_file():
            return read_image(path, warn_relative=warn_relative)  # its clear error
        cached = self.file_for(path)
        if cached.is_file():
            try:
                mapped = np.load(cached, mmap_mode="r")
            except (OSError, ValueError):  # a damaged cache file: decode again
                mapped = None
            if mapped is not None:
                self._open[path] = mapped
                if len(self._open) > self.max_open:
                    self._open.popitem(last=False)
                return mapped
        image = read_image(path, warn_relative=warn_relative)
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.stem}.{os.getpid()}.tmp")
        with open(partial, "wb") as handle:
            np.save(handle, np.ascontiguousarray(image))
        os.replace(partial, cached)  # atomic: readers never see half a file
        return image


class ImageCache:
    """Per-process LRU of decoded images bounded in bytes, over an optional decoded-file cache.

    Args:
        max_bytes: memory budget of the LRU (ignored with ``directory``: the page cache, shared
            by all processes, holds the memory-mapped files instead).
        directory: a :class:`DecodedFileCache` directory, or None.
    """

    def __init__(self, max_bytes: int = 1 << 30, directory: str | Path | None = None) -> None:
        self.max_bytes = max_bytes
        self.files = DecodedFileCache(directory) if directory else None
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._bytes = 0

    def get(self, path: str, warn_relative: bool = True) -> np.ndarray:
        """The decoded image (H, W, 3) of ``path`` (see :func:`hdr_iqa.io.read_image`)."""
        if self.files is not None:
            return self.files.get(path, warn_relative)
        image = self._items.get(path)
        if image is not None:
            self._items.move_to_end(path)
            return image
        image = read_image(path, warn_relative=warn_relative)
        if image.nbytes <= self.max_bytes:
            self._items[path] = image
            self._bytes += image.nbytes
            while self._bytes > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= evicted.nbytes
        return image
