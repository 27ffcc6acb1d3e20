"""Content-disjoint, seeded splits: all distortions of one reference land in one partition."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from hdr_iqa.errors import ConfigError
from hdr_iqa.utils.files import atomic_write_text

SPLIT_NAMES = ("train", "val", "test")


def split_contents(
    contents: Iterable[str], ratios: Mapping[str, float], seed: int
) -> dict[str, list[str]]:
    """Partition content ids by ``ratios`` (e.g. train 0.6, val 0.2, test 0.2), seeded.

    Content ids are sorted before shuffling, so the split depends only on the set of ids and
    the seed (never on file-system or hash order). Every split with a non-zero ratio gets at
    least one content when there are enough.

    Example:
        >>> split_contents(["a", "b", "c", "d", "e"], {"train": 0.6, "val": 0.2, "test": 0.2}, 0)
        {'train': ['c', 'd', 'e'], 'val': ['a'], 'test': ['b']}
    """
    unique = sorted(set(contents))
    names = [n for n in SPLIT_NAMES if n in ratios] + [n for n in ratios if n not in SPLIT_NAMES]
    weights = np.array([float(ratios[n]) for n in names])
    if (weights < 0).any() or weights.sum() <= 0:
        raise ConfigError(f"split ratios must be >= 0 and not all zero, got {dict(ratios)}")
    counts = np.floor(weights / weights.sum() * len(unique)).astype(int)
    for i in np.argsort(-(weights / weights.sum() * len(unique) - counts), kind="stable"):
        if counts.sum() >= len(unique):
            break
        counts[i] += 1
    for i in np.flatnonzero((weights > 0) & (counts == 0)):  # borrow from the largest split
        donor = int(np.argmax(counts))
        if counts[donor] > 1:
            counts[donor] -= 1
            counts[i] += 1
    order = np.random.default_rng(seed).permutation(len(unique))
    result, start = {}, 0
    for name, count in zip(names, counts, strict=True):
        result[name] = sorted(unique[j] for j in order[start : start + count])
        start += count
    return result


def save_splits(path: str | Path, splits: Mapping[str, Mapping[str, list[str]]]) -> Path:
    """Write ``{dataset name: {split: [content ids]}}`` as JSON (atomically)."""
    return atomic_write_text(path, json.dumps(splits, indent=2, sort_keys=True) + "\n")
