"""The test-time patch protocol: where the patches of an image are cut outside training.

One definition serves the test loop, ``hdr_iqa.eval``, ``hdr_iqa.predict``, the Python API,
the benchmark and the export recipe: patch size, patches per draw, draws (repeats), their seed,
an optional dense grid, and how patch positions are normalised for the network. It is saved in
every checkpoint as a plain dict (:meth:`PatchProtocol.to_dict`) and read back typed
(:meth:`PatchProtocol.from_dict`), so a checkpoint scores a pair the way it was tested.

Position conventions (``positions``), for a patch with top-left corner (top, left), side P, in
an H x W image, as (row, col) in [0, 1]:

* ``"paper"``: ``((top + P/2) / (H - P/2), (left + P/2) / (W - P/2))``, the VTAMIQ paper code's
  (its ``data/patch_sampling.py``); the default for new runs and for weights from the paper code.
* ``"centre"``: ``((top + P/2) / H, (left + P/2) / W)``, the patch centre over the image extent;
  checkpoints written before the convention was saved used it.

Only models that read positions (VTAMIQ's position embedding) see a difference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import torch

from hdr_iqa.data.patches import (
    WHOLE_IMAGE_CENTRE,
    extract_patches,
    sample_positions,
    whole_images,
)
from hdr_iqa.errors import ConfigError, DataError

POSITION_CONVENTIONS = ("paper", "centre")
"""Normalisations of patch centres (module docstring)."""
LEGACY_POSITIONS = "centre"
"""The convention of checkpoints that do not name one (written before it was saved)."""


def eval_generator(seed: int, height: int, width: int, repeat: int) -> torch.Generator:
    """The generator of test-time patch draw ``repeat`` for a ``height`` x ``width`` image.

    It depends on the image size, not on where a pair sits in a dataset, so a pair gets the same
    patches in a test run, ``hdr_iqa.eval``, ``hdr_iqa.predict`` and the Python API (and all
    distortions of one reference are scored at the same positions, like a fixed grid).
    """
    state = np.random.SeedSequence([seed, height, width, repeat]).generate_state(2, np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


def grid_positions(
    height: int, width: int, patch_size: int, stride: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Dense grid of top-left corners: every ``stride`` pixels, plus patches aligned to the
    bottom/right borders; (tops, lefts) int64 (N,).

    Example:
        >>> tops, lefts = grid_positions(100, 150, 64, 32)
        >>> sorted(set(tops.tolist())), sorted(set(lefts.tolist()))
        ([0, 32, 36], [0, 32, 64, 86])
    """

    def axis(size: int) -> torch.Tensor:
        starts = torch.arange(0, size - patch_size + 1, stride)
        if starts[-1] != size - patch_size:
            starts = torch.cat((starts, torch.tensor([size - patch_size])))
        return starts

    tops, lefts = torch.meshgrid(axis(height), axis(width), indexing="ij")
    return tops.flatten(), lefts.flatten()


def patch_centres(
    tops: torch.Tensor,
    lefts: torch.Tensor,
    height: int,
    width: int,
    patch_size: int,
    convention: str = "paper",
) -> torch.Tensor:
    """Normalised patch centres (row, col), float32 (N, 2), in the given convention.

    Example:
        >>> patch_centres(torch.tensor([0, 48]), torch.tensor([0, 0]), 64, 64, 16, "paper")[:, 0]
        tensor([0.1429, 1.0000])
        >>> patch_centres(torch.tensor([0, 48]), torch.tensor([0, 0]), 64, 64, 16, "centre")[:, 0]
        tensor([0.1250, 0.8750])
    """
    half = patch_size / 2
    if convention == "paper":
        return torch.stack(((tops + half) / (height - half), (lefts + half) / (width - half)), -1)
    if convention == "centre":
        return torch.stack(((tops + half) / height, (lefts + half) / width), dim=-1).float()
    raise ConfigError(f"positions must be one of {POSITION_CONVENTIONS}, got {convention!r}")


def mirrored(corners: torch.Tensor, extent: int, patch_size: int) -> torch.Tensor:
    """Top-left corners of patches after mirroring the image along an axis of ``extent`` px."""
    return extent - patch_size - corners


@dataclass(frozen=True)
class PatchProtocol:
    """Where the patches of one image are cut at test time, and how their positions read.

    Attributes:
        patch_size: patch side P in pixels (the model's); None = the whole image, one draw
            (metrics without training).
        num_patches: patches N per draw.
        repeats: seeded draws R per image; the image score is the mean over draws.
        seed: seed of the draws (the run's ``data.seed``).
        stride: None for seeded jittered-grid draws; an int for one dense grid of P x P
            patches with this stride (plus a last row/column aligned to the border).
        positions: normalisation of patch centres, ``"paper"`` or ``"centre"`` (module doc).
    """

    patch_size: int | None
    num_patches: int = 1
    repeats: int = 1
    seed: int = 0
    stride: int | None = None
    positions: str = "paper"

    def __post_init__(self) -> None:
        if self.num_patches < 1 or self.repeats < 1:
            raise ConfigError(
                f"patches and repeats must be >= 1, got {self.num_patches}, {self.repeats}"
            )
        if self.stride is not None and self.stride < 1:
            raise ConfigError(f"stride must be >= 1, got {self.stride}")
        if self.positions not in POSITION_CONVENTIONS:
            raise ConfigError(
                f"positions must be one of {POSITION_CONVENTIONS}, got {self.positions!r}"
            )

    @property
    def draws(self) -> int:
        """Draws per image: ``repeats`` (1 for a grid or whole images)."""
        return 1 if self.stride or self.patch_size is None else self.repeats

    def corners(self, height: int, width: int, repeat: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Top-left corners (tops, lefts), int64 (N,), of draw ``repeat``."""
        size = self.patch_size
        if size is None:
            raise ConfigError("whole-image protocols (patch_size null) cut no patches")
        if height < size or width < size:
            raise DataError(
                f"image of {width}x{height} pixels is smaller than the model's {size}x{size} patch"
            )
        if self.stride:
            return grid_positions(height, width, size, self.stride)
        generator = eval_generator(self.seed, height, width, repeat)
        return sample_positions(height, width, self.num_patches, size, generator)

    def centres(
        self, tops: torch.Tensor, lefts: torch.Tensor, height: int, width: int
    ) -> torch.Tensor:
        """Normalised centres (N, 2) of patches at these corners, in this protocol's convention."""
        return patch_centres(tops, lefts, height, width, self.patch_size, self.positions)

    def cut(self, images: torch.Tensor | Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        """The test sample of K same-size images (file layout (K, H, W, C) or (H, W, C) arrays).

        Returns:
            patches (K, R, N, C, P, P) in the images' dtype (whole images: (K, 1, 1, C, H, W))
            and centres (R, N, 2) float32.
        """
        if self.patch_size is None:
            return whole_images(images)[:, None], torch.tensor([[WHOLE_IMAGE_CENTRE]])
        height, width = images[0].shape[:2]
        draws = [self.corners(height, width, r) for r in range(self.draws)]
        tops, lefts = (torch.cat(x) for x in zip(*draws, strict=True))
        patches = extract_patches(images, tops, lefts, self.patch_size)  # (K, R*N, C, P, P)
        count = len(draws[0][0])
        pos = self.centres(tops, lefts, height, width).view(len(draws), count, 2)
        return patches.unflatten(1, (len(draws), count)), pos

    def to_dict(self) -> dict[str, Any]:
        """Plain values (what a checkpoint stores)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], **overrides: Any) -> PatchProtocol:
        """Read a stored protocol; ``overrides`` that are not None replace stored values.

        A stored dict without ``positions`` is from before the convention was saved:
        :data:`LEGACY_POSITIONS`.
        """
        known = {k: values[k] for k in cls.__dataclass_fields__ if k in values}
        known.setdefault("positions", LEGACY_POSITIONS)
        return cls(**known).overridden(**overrides)

    def overridden(self, **overrides: Any) -> PatchProtocol:
        """This protocol with the ``overrides`` that are not None (e.g. a command's
        ``patches=``, ``repeats=``, ``stride=``), checked again."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def saved_protocol(entry: Mapping[str, Any]) -> PatchProtocol:
    """The test protocol of a checkpoint's ``hdr_iqa`` entry.

    Checkpoints store it as ``entry["protocol"]``; older ones are read from their run config
    (``data.patch_size``, ``data.patches.test``, ``data.test_repeats``, ``data.seed``) with
    :data:`LEGACY_POSITIONS`.
    """
    if entry.get("protocol"):
        return PatchProtocol.from_dict(entry["protocol"])
    config = entry.get("config") or {}
    data, sampling = config.get("data") or {}, (config.get("model") or {}).get("sampling") or {}
    size = data.get("patch_size", sampling.get("patch_size"))
    return PatchProtocol(
        patch_size=None if size is None else int(size),
        num_patches=int((data.get("patches") or {}).get("test") or sampling.get("test") or 1),
        repeats=int(data.get("test_repeats") or sampling.get("test_repeats") or 1),
        seed=int(data.get("seed", config.get("seed") or 0)),
        positions=str(data.get("positions") or LEGACY_POSITIONS),
    )
