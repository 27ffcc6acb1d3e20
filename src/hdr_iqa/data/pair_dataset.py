"""A torch Dataset of (reference, distorted) pairs cut into aligned patches."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from hdr_iqa.data.image_cache import ImageCache
from hdr_iqa.data.patches import extract_patches, sample_positions
from hdr_iqa.data.protocol import PatchProtocol, mirrored, patch_centres
from hdr_iqa.data.records import PairRecord
from hdr_iqa.data.sampling import SeededIndex, sample_generator
from hdr_iqa.errors import DataError
from hdr_iqa.io import container_values


class PairDataset(Dataset):
    """Aligned patches of full-reference pairs.

    Args:
        records: the pairs.
        patch_size: patch side P in pixels; None = whole images (for metrics that need no
            training: each image is one "patch", N = R = 1, no flips, whatever the counts).
        num_patches: patches N per image.
        train: random positions and flips; drawn from the sample seed when the key is an
            ``(index, sample_seed)`` pair (:class:`~hdr_iqa.data.sampling.EpochSampler`), else
            from the global RNG. Otherwise patches follow the test protocol
            (:class:`~hdr_iqa.data.protocol.PatchProtocol`: seeded by (seed, image size,
            repeat)), so evaluation is reproducible.
        repeats: independent patch draws R per sample (test-time ensembling).
        seed: base seed of evaluation draws.
        flips: random horizontal/vertical flips (training only), identical for ref and dist.
        cache_bytes: decoded-image cache budget per process.
        decoded_cache: directory of decoded images memory-mapped from disk
            (:mod:`hdr_iqa.data.image_cache`), shared by processes; None = memory only.
        positions: normalisation of patch centres (``"paper"`` or ``"centre"``,
            :mod:`hdr_iqa.data.protocol`).

    Each item is a dict with ``ref``, ``dist``: (R, N, 3, P, P) uint8 (display-encoded) or
    float32 (when any record is in cd/m^2 or has a ``pixel_scale``: display-encoded values then
    become [0, 1] floats; no ``ref`` for no-reference records, ``ref=None``);
    ``pos``: (R, N, 2) float32 normalised patch centres (whole images: ``ref``, ``dist``
    (1, 1, 3, H, W) and ``pos`` (0.5, 0.5)); ``score``: float32 target (NaN if
    unlabelled); ``display``: (NUM_PARAMS,) display parameters; ``index``: int.
    """

    def __init__(
        self,
        records: Sequence[PairRecord],
        patch_size: int | None,
        num_patches: int,
        train: bool,
        repeats: int = 1,
        seed: int = 0,
        flips: bool = True,
        cache_bytes: int = 1 << 30,
        decoded_cache: str | None = None,
        positions: str = "paper",
    ) -> None:
        if num_patches < 1 or repeats < 1:
            raise ValueError(
                f"need num_patches >= 1 and repeats >= 1, got {num_patches}, {repeats}"
            )
        self.records = list(records)
        self.patch_size = patch_size
        if patch_size is None:  # whole images
            num_patches, repeats, flips = 1, 1, False
        self.num_patches = num_patches
        self.train = train
        self.repeats = repeats
        self.seed = seed
        self.flips = flips and train
        self.protocol = PatchProtocol(patch_size, num_patches, repeats, seed, positions=positions)
        self.float_pixels = any(r.display.absolute or r.pixel_scale != 1 for r in self.records)
        self._displays = {r.display: r.display.params() for r in self.records}
        self._cache = ImageCache(cache_bytes, decoded_cache)
        no_reference = {r.ref is None for r in self.records}
        if len(no_reference) > 1:
            raise DataError("a dataset mixes full-reference and no-reference (ref=None) samples")
        if no_reference == {True}:
            self.image_keys = ("dist",)

    image_keys: tuple[str, ...] = ("ref", "dist")
    """Item keys of the images of a sample, in the order of :meth:`image_paths`."""

    def image_paths(self, record: PairRecord) -> tuple[str, ...]:
        """The files of one sample: (ref, dist), or (dist,) for no-reference data."""
        return (record.dist,) if record.ref is None else (record.ref, record.dist)

    def __len__(self) -> int:
        return len(self.records)

    def _load_images(self, record: PairRecord) -> list[np.ndarray]:
        """The sample's decoded images (cached), K = len(image_keys) arrays (H, W, 3)."""
        paths = self.image_paths(record)
        # only the reference (the scene) is checked for relative-looking HDR values: a
        # distorted image may legitimately be dark (e.g. clipped highlights)
        images = [self._cache.get(path, warn_relative=i == 0) for i, path in enumerate(paths)]
        if record.display.bits:  # 10/12-bit signals in 16-bit files
            bits = record.display.bits
            images = [container_values(i, bits, p) for i, p in zip(images, paths, strict=True)]
        ref = images[0]
        for path, image in zip(paths[1:], images[1:], strict=True):
            if image.shape != ref.shape:
                raise DataError(
                    f"reference and distorted image differ in size: {paths[0]} is "
                    f"{ref.shape[1]}x{ref.shape[0]}, {path} is {image.shape[1]}x{image.shape[0]}"
                )
        return images

    def _to_output(self, patches: torch.Tensor, record: PairRecord) -> torch.Tensor:
        """Patches in the dataset's output dtype and units (only the patches are converted)."""
        if self.float_pixels and patches.dtype == torch.uint8:
            patches = patches.float().mul_(1.0 / 255.0)
        if record.pixel_scale != 1:
            patches = patches * record.pixel_scale
        return patches

    def __getitem__(self, key: int | SeededIndex) -> dict:
        index, sample_seed = key if isinstance(key, tuple) else (key, None)
        record = self.records[index]
        images = self._load_images(record)
        if not self.train or self.patch_size is None:
            try:
                return self._item(*self.protocol.cut(images), index)
            except DataError as error:
                raise DataError(f"{record.dist}: {error}") from error
        height, width = images[0].shape[:2]
        generator = None if sample_seed is None else sample_generator(sample_seed)
        size = self.patch_size
        try:
            draws = [
                sample_positions(height, width, self.num_patches, size, generator)
                for _ in range(self.repeats)
            ]
        except ValueError as error:
            raise DataError(f"{record.dist}: {error}") from error
        tops, lefts = (torch.cat(x) for x in zip(*draws, strict=True))  # (R*N,)
        flip_cols = self.flips and bool(torch.rand((), generator=generator) < 0.5)
        flip_rows = self.flips and bool(torch.rand((), generator=generator) < 0.5)
        cut = extract_patches(images, tops, lefts, size, flip_rows, flip_cols)
        # a mirrored patch sits where it would in the mirrored image
        rows = mirrored(tops, height, size) if flip_rows else tops
        cols = mirrored(lefts, width, size) if flip_cols else lefts
        pos = patch_centres(rows, cols, height, width, size, self.protocol.positions)
        shape = (self.repeats, self.num_patches)
        return self._item(cut.unflatten(1, shape), pos.view(*shape, 2), index)

    def _item(self, cut: torch.Tensor, pos: torch.Tensor, index: int) -> dict:
        """The sample from its (K, R, N, 3, P, P) patches and (R, N, 2) centres."""
        record = self.records[index]
        stacked = self._to_output(cut, record)
        return {
            **{key: stacked[i] for i, key in enumerate(self.image_keys)},
            "pos": pos,
            "score": torch.tensor(record.score, dtype=torch.float32),
            "display": self._displays[record.display],
            "index": index,
        }
