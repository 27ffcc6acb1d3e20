"""Content-disjoint, seeded splits: all distortions of one reference land in one partition.

Three ways to split a dataset's content ids, all deterministic given the ids and the seed:

* ratios (:func:`split_contents`): shuffle the sorted ids, cut by ``data.split`` ratios;
* k-fold (:func:`kfold_assign` + :func:`kfold_split`): fold ids per content; run k uses
  test = fold k, val = fold (k + 1) mod K, train = the rest (the reference's UPIQ protocol);
* a saved ``splits.json`` from an earlier run (:func:`load_splits`), reused exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from hdr_iqa.errors import ConfigError, DataError, MissingFileError
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


def kfold_assign(strata: Sequence[Iterable[str]], num_folds: int, seed: int) -> dict[str, int]:
    """Fold id (0..K-1) of every content id, seeded; each stratum is spread over all folds.

    One legacy ``numpy.random.RandomState(seed)`` draws a permutation of each stratum's sorted
    ids in turn; the permutation is cut into ``num_folds`` consecutive chunks
    (``numpy.array_split``: the first chunks take one extra id when the count does not divide),
    and chunk k is fold k. With the UPIQ strata (35 SDR content groups, then 30 HDR groups)
    and seed 0 this reproduces the reference's fold ids (reference-spec 7.7) exactly.

    Example:
        >>> kfold_assign([["a", "b", "c"], ["x", "y", "z"]], num_folds=3, seed=0)
        {'a': 2, 'b': 1, 'c': 0, 'x': 1, 'y': 2, 'z': 0}
    """
    if num_folds < 3:
        raise ConfigError(
            f"data.num_folds must be >= 3 (test, validation and training folds), got {num_folds}"
        )
    rng = np.random.RandomState(seed)  # legacy stream: the reference's fold ids
    folds: dict[str, int] = {}
    for stratum in strata:
        ids = sorted(set(stratum))
        repeated = sorted(set(ids) & set(folds))
        if repeated:
            raise DataError(f"content ids {repeated[:5]} appear in more than one k-fold stratum")
        order = rng.permutation(len(ids))
        for fold, chunk in enumerate(np.array_split(order, num_folds)):
            folds.update({ids[j]: fold for j in chunk})
    return dict(sorted(folds.items()))


def kfold_split(folds: Mapping[str, int], fold: int, num_folds: int) -> dict[str, list[str]]:
    """Run ``fold`` of K-fold cross-validation: test = fold k, val = fold k+1 (mod K), train = rest.

    Example:
        >>> kfold_split({"a": 0, "b": 1, "c": 2, "d": 0}, fold=2, num_folds=3)
        {'train': ['b'], 'val': ['a', 'd'], 'test': ['c']}
    """
    if not 0 <= fold < num_folds:
        raise ConfigError(f"data.fold must be in 0..{num_folds - 1} (data.num_folds), got {fold}")
    val = (fold + 1) % num_folds
    split = {"train": [], "val": [], "test": []}
    for content, k in sorted(folds.items()):
        split["test" if k == fold else "val" if k == val else "train"].append(content)
    return split


def load_splits(path: str | Path, name: str) -> dict[str, list[str]]:
    """The splits of dataset ``name`` from a ``splits.json`` written by :func:`save_splits`."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"split file not found: {path} (data.split_file)")
    try:
        saved = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{path}: not a readable splits.json ({error})") from error
    if not isinstance(saved, dict) or name not in saved:
        names = sorted(saved) if isinstance(saved, dict) else []
        raise DataError(f"{path}: no splits for dataset {name!r}; it has {names}")
    splits = saved[name]
    if not isinstance(splits, dict) or not all(
        isinstance(v, list) and all(isinstance(c, str) for c in v) for v in splits.values()
    ):
        raise DataError(f"{path}: splits of {name!r} must map split names to lists of content ids")
    return {k: list(v) for k, v in splits.items()}
