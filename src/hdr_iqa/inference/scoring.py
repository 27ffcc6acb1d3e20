"""Score one full-size image pair with deterministic patches, in bounded memory.

Patches are the ones the test loop draws (:func:`hdr_iqa.data.pair_dataset.eval_generator`:
seeded by the run's seed, the image size and the repeat), so a pair scores the same here, in
``hdr_iqa.eval`` and in a training run's test. A dense grid (``stride``) is offered for models
whose image score pools per-patch scores.

Memory: the patches of a draw go through the network ``patch_batch_size`` at a time. For models
whose score is a weighted mean over patches (PieAPP: ``q = sum_i w_i s_i / sum_i w_i``) the
weighted sums are accumulated over chunks (in float64), so chunking does not change the score
beyond float rounding. Other models (VTAMIQ attends over all patches of a draw) score one draw
at a time; the image score is the mean over draws, as in the test loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import torch

from hdr_iqa.data.pair_dataset import eval_generator
from hdr_iqa.data.patches import (
    WHOLE_IMAGE_CENTRE,
    extract_patches,
    patch_centres,
    sample_positions,
    whole_images,
)
from hdr_iqa.errors import ConfigError, DataError
from hdr_iqa.models import IQAModel, PieAPP
from hdr_iqa.module import IQAModule

PatchTerms = Callable[[dict], tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True)
class Patching:
    """Where the patches of one image are cut.

    Attributes:
        patch_size: patch side P in pixels (the model's); None = the whole image, one draw
            (metrics without training).
        num_patches: patches per draw (the checkpoint's test count by default).
        repeats: draws per image; the score is their mean.
        seed: seed of the draws (the run's ``data.seed``).
        stride: None for the test loop's seeded jittered-grid draws; an int for a dense grid of
            P x P patches with this stride (plus a last row/column aligned to the border), one draw.
    """

    patch_size: int | None
    num_patches: int
    repeats: int = 1
    seed: int = 0
    stride: int | None = None

    @property
    def draws(self) -> int:
        return 1 if self.stride or self.patch_size is None else self.repeats

    def positions(self, height: int, width: int, repeat: int) -> tuple[torch.Tensor, ...]:
        """Top-left corners (tops, lefts), int64 (N,), of draw ``repeat``."""
        if height < self.patch_size or width < self.patch_size:
            raise DataError(
                f"image of {width}x{height} pixels is smaller than the model's "
                f"{self.patch_size}x{self.patch_size} patch"
            )
        if self.stride:
            return grid_positions(height, width, self.patch_size, self.stride)
        generator = eval_generator(self.seed, height, width, repeat)
        return sample_positions(height, width, self.num_patches, self.patch_size, generator)


def grid_positions(
    height: int, width: int, patch_size: int, stride: int
) -> tuple[torch.Tensor, ...]:
    """Dense grid: every ``stride`` pixels, plus patches aligned to the bottom/right borders.

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


def patch_terms(net: IQAModel) -> PatchTerms | None:
    """Per-patch (weighted score, weight) of a model whose image score is their weighted mean.

    A model may provide its own ``patch_terms(features)``; PieAPP's are known here. None for
    models that score a draw of patches as a whole (e.g. VTAMIQ).
    """
    own = getattr(net, "patch_terms", None)
    if callable(own):
        return own
    if isinstance(net, PieAPP):
        return partial(_pieapp_terms, net)
    return None


def _pieapp_terms(net: PieAPP, features: dict) -> tuple[torch.Tensor, torch.Tensor]:
    score, weight = net.comparator(
        features["feat_dist"] - features["feat_ref"],
        features["coarse_dist"] - features["coarse_ref"],
    )
    return score * weight, weight  # (M,), (M,)


class PairScorer:
    """Scores and features of single pairs with a restored :class:`IQAModule` (eval mode).

    Args:
        module: the trained module (photometric chain + network).
        patching: where patches are cut.
        patch_batch_size: patches per forward pass (bounds memory; PieAPP on 64x64 patches
            needs about 2.5 MB per patch pair).
    """

    def __init__(self, module: IQAModule, patching: Patching, patch_batch_size: int = 256) -> None:
        if patch_batch_size < 1:
            raise ConfigError(f"predict.patch_batch_size must be >= 1, got {patch_batch_size}")
        self.module = module.eval()
        self.patching = patching
        self.patch_batch_size = patch_batch_size
        self.terms = patch_terms(module.net)
        if patching.stride is not None and (patching.stride < 1 or self.terms is None):
            raise ConfigError(
                f"predict.stride={patching.stride}: a dense grid needs a stride >= 1 and a model "
                f"whose score pools patch scores (pieapp); {type(module.net).__name__} scores a "
                "draw of patches as a whole: leave stride=null"
            )

    @property
    def device(self) -> torch.device:
        tensors = [*self.module.parameters(), *self.module.buffers()]
        return tensors[0].device if tensors else torch.device("cpu")

    @torch.inference_mode()
    def score(self, pixels: torch.Tensor, display: torch.Tensor) -> torch.Tensor:
        """Image score (float32 scalar; 0 = reference quality, larger = worse).

        Args:
            pixels: (2, H, W, 3) reference and distorted image, or (1, H, W, 3) distorted only
                (no-reference models); uint8 display-encoded, or float32 ([0, 1] display-encoded
                or cd/m^2).
            display: (NUM_PARAMS,) display parameters of the pair.
        """
        if self.patching.patch_size is None:  # the whole image, as the test loop gives it
            return self.module(self._whole_batch(pixels, display))[0]
        height, width = pixels.shape[1:3]
        draws = [self.patching.positions(height, width, r) for r in range(self.patching.draws)]
        num_patches = len(draws[0][0])
        if len(draws) * num_patches <= self.patch_batch_size:  # one pass, as the test loop does
            return self.module(self._batch(pixels, draws, display))[0]
        scores = []
        for tops, lefts in draws:
            if self.terms is None or num_patches <= self.patch_batch_size:
                scores.append(self.module(self._batch(pixels, [(tops, lefts)], display))[0])
                continue
            total = torch.zeros(2, dtype=torch.float64, device=self.device)
            for chunk in self._chunks(tops, lefts):
                weighted, weight = self.terms(self._features(pixels, chunk, display))
                total += torch.stack((weighted.double().sum(), weight.double().sum()))
            scores.append((total[0] / total[1]).float())
        return torch.stack(scores).mean()

    @torch.inference_mode()
    def features(self, pixels: torch.Tensor, display: torch.Tensor) -> torch.Tensor:
        """The features CORAL aligns, (R, K, d) float32: R draws, K rows per draw (PieAPP:
        coarse features of reference and distorted patches, ref_1, dist_1, ref_2, ...)."""
        height, width = pixels.shape[1:3]
        draws = []
        for repeat in range(self.patching.draws):
            tops, lefts = self.patching.positions(height, width, repeat)
            chunks = self._chunks(tops, lefts) if self.terms else [(tops, lefts)]
            parts = [
                self.module.net.coral_features(self._features(pixels, c, display)) for c in chunks
            ]
            draws.append(torch.cat(parts, dim=1)[0].float())
        return torch.stack(draws)

    # ------------------------------------------------------------------ helpers
    def _chunks(self, tops: torch.Tensor, lefts: torch.Tensor) -> list[tuple[torch.Tensor, ...]]:
        size = self.patch_batch_size
        return [(tops[i : i + size], lefts[i : i + size]) for i in range(0, len(tops), size)]

    def _batch(self, pixels: torch.Tensor, draws: list, display: torch.Tensor) -> dict:
        """The test loop's batch of one sample: ``ref``/``dist`` (1, R, N, 3, P, P), ``pos``."""
        height, width = pixels.shape[1:3]
        size = self.patching.patch_size
        patches = torch.stack(
            [extract_patches(pixels, top, left, size) for top, left in draws], dim=1
        )
        pos = torch.stack([patch_centres(top, left, height, width, size) for top, left in draws])
        batch = {"dist": patches[-1:], "pos": pos[None], "display": display[None]}
        if len(pixels) == 2:
            batch["ref"] = patches[:1]
        return {k: v.to(self.device) for k, v in batch.items()}

    def _whole_batch(self, pixels: torch.Tensor, display: torch.Tensor) -> dict:
        """The test loop's batch of one whole-image sample: ``ref``/``dist`` (1, 1, 1, 3, H, W)."""
        images = whole_images(pixels)[:, None]  # (K, 1, 1, 3, H, W)
        pos = torch.tensor([[WHOLE_IMAGE_CENTRE]])[None]  # (1, 1, 1, 2)
        batch = {"dist": images[-1:], "pos": pos, "display": display[None]}
        if len(pixels) == 2:
            batch["ref"] = images[:1]
        return {k: v.to(self.device) for k, v in batch.items()}

    def _features(self, pixels: torch.Tensor, chunk: tuple, display: torch.Tensor) -> dict:
        batch = self._batch(pixels, [chunk], display)
        chain = self.module.chain
        dist = chain(batch["dist"][:, 0], batch["display"])  # (1, n, 3, P, P)
        ref = chain(batch["ref"][:, 0], batch["display"]) if "ref" in batch else None
        return self.module.net.forward_features(ref, dist, batch["pos"][:, 0])
