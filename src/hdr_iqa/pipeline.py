"""The scoring pipeline: photometric chain + network, with bounded-memory chunking.

:class:`IQAPipeline` is what every path that scores patches runs: the training module (its
forward pass and the test loop), the Python API and ``hdr_iqa.predict``, ``hdr_iqa.eval``,
the exported graph (traced as it is) and the benchmark. Inputs are raw patches as the data
path cuts them (display-encoded uint8 / [0, 1] floats, or cd/m^2); the chain turns them into the
backbone's inputs in float32 (outside autocast), the network scores them under the configured
precision.

Shapes: B samples, R patch draws per sample, N patches per draw, P x P patches (whole-image
metrics: N = R = 1, the "patch" is the image), ``NUM_PARAMS`` display parameters
(:data:`hdr_iqa.photometry.PARAM_FIELDS`).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn

from hdr_iqa.models.base import IQAModel, IQAOutput


class IQAPipeline(nn.Module):
    """Photometric chain + network.

    Args:
        net: the backbone (:class:`~hdr_iqa.models.base.IQAModel`).
        chain: the photometric chain (``chain(patches, display) -> backbone inputs``).
        patch_batch_size: most patches per network pass in :meth:`score_draws` and
            :meth:`features` (None = all at once). Whole draws are grouped; a draw larger than
            the limit is split only for models whose score pools per-patch terms
            (``net.patch_terms``, e.g. PieAPP), with the pooled sums kept in float64, so the
            scores do not depend on the limit beyond float rounding.
    """

    def __init__(self, net: IQAModel, chain: nn.Module, patch_batch_size: int | None = 512) -> None:
        super().__init__()
        if patch_batch_size is not None and patch_batch_size < 1:
            raise ValueError(f"patch_batch_size must be >= 1 or None, got {patch_batch_size}")
        self.net = net
        self.chain = chain
        self.patch_batch_size = patch_batch_size

    @property
    def full_reference(self) -> bool:
        """Whether scoring needs the reference (False for no-reference models such as DIQA)."""
        return not self.net.no_reference

    @property
    def input_names(self) -> list[str]:
        """Names of :meth:`forward`'s tensor inputs in order (the exported graph's)."""
        return (
            ["ref", "dist", "pos", "display"] if self.full_reference else ["dist", "pos", "display"]
        )

    def prepare(self, patches: torch.Tensor | None, display: torch.Tensor) -> torch.Tensor | None:
        """Raw patches (B, N, 3, P, P) on displays (B, NUM_PARAMS) -> backbone inputs (float32)."""
        return None if patches is None else self.chain(patches, display)

    @property
    def pools_patch_terms(self) -> bool:
        """Whether the network's score pools per-patch terms (``net.patch_terms``, PieAPP), so
        that one draw can be split into patch chunks (and scored on a dense grid)."""
        return callable(self.net.patch_terms)

    @staticmethod
    def flatten_draws(
        ref: torch.Tensor | None, dist: torch.Tensor, pos: torch.Tensor, display: torch.Tensor
    ) -> tuple[torch.Tensor | None, ...]:
        """(B, R, N, ...) inputs as B*R draws (B*R, N, ...), each with its sample's display
        (B*R, NUM_PARAMS); ``ref`` is kept as given (None stays None)."""
        repeats = dist.shape[1]
        ref = None if ref is None else ref.flatten(0, 1)
        return ref, dist.flatten(0, 1), pos.flatten(0, 1), display.repeat_interleave(repeats, 0)

    def chained_draws(
        self, ref: torch.Tensor | None, dist: torch.Tensor, pos: torch.Tensor, display: torch.Tensor
    ) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor]:
        """The network's inputs for (B, R, N, ...) raw patches: (ref, dist) through the chain
        and centres, as B*R draws (B*R, N, ...); ``ref`` None stays None."""
        ref, dist, pos, display = self.flatten_draws(ref, dist, pos, display)
        return self.prepare(ref, display), self.prepare(dist, display), pos

    def forward(
        self,
        ref: torch.Tensor | None,
        dist: torch.Tensor,
        pos: torch.Tensor,
        display: torch.Tensor,
    ) -> IQAOutput:
        """Chain and network on one group of draws.

        Args:
            ref, dist: (B, N, 3, P, P) raw patches (``ref`` None: no-reference scoring).
            pos: (B, N, 2) normalised patch centres (row, col).
            display: (B, NUM_PARAMS) display parameters of each sample.
        Returns:
            the network's :class:`IQAOutput` (score (B,): 0 = reference quality, larger = worse).
        """
        ref = self.prepare(ref if self.full_reference else None, display)
        return self.net(ref, self.prepare(dist, display), pos)

    def score_draws(
        self,
        ref: torch.Tensor | None,
        dist: torch.Tensor,
        pos: torch.Tensor,
        display: torch.Tensor,
        patch_batch_size: int | None = None,
    ) -> torch.Tensor:
        """Score of every draw, float32 (B, R), in groups of at most ``patch_batch_size`` patches.

        Args:
            ref, dist: (B, R, N, 3, P, P) raw patches. pos: (B, R, N, 2).
            display: (B, NUM_PARAMS).
            patch_batch_size: overrides the pipeline's limit for this call.
        """
        inputs = self._draws(ref, dist, pos, display)
        scores = []
        for draws, patches in self._chunks(dist.shape[:3], patch_batch_size):
            if patches is None:  # whole draws: the score alone (no CORAL features, no loss)
                features = self._features(inputs, draws, slice(None))
                scores.append(self.net.forward_head(features).float())
                continue
            total = torch.zeros(2, dtype=torch.float64, device=dist.device)
            for part in patches:  # one draw, split: pool the per-patch terms
                weighted, weight = self.net.patch_terms(self._features(inputs, draws, part))
                total += torch.stack((weighted.double().sum(), weight.double().sum()))
            scores.append((total[0] / total[1]).float()[None])
        return torch.cat(scores).view(dist.shape[:2])

    def score(
        self, *inputs: torch.Tensor | None, patch_batch_size: int | None = None
    ) -> torch.Tensor:
        """Score of every sample, float32 (B,): the mean of :meth:`score_draws` over draws."""
        return self.score_draws(*inputs, patch_batch_size=patch_batch_size).mean(dim=1)

    def features(
        self,
        ref: torch.Tensor | None,
        dist: torch.Tensor,
        pos: torch.Tensor,
        display: torch.Tensor,
        patch_batch_size: int | None = None,
    ) -> torch.Tensor:
        """The features CORAL aligns, float32 (B, R, K, d), chunked like :meth:`score_draws`
        (a split draw's rows are concatenated in patch order)."""
        inputs = self._draws(ref, dist, pos, display)
        rows = []
        for draws, patches in self._chunks(dist.shape[:3], patch_batch_size):
            parts = [
                self.net.coral_features(self._features(inputs, draws, p))
                for p in patches or [slice(None)]
            ]
            rows.append(torch.cat(parts, dim=1).float())
        return torch.cat(rows).unflatten(0, dist.shape[:2])

    # ------------------------------------------------------------------ helpers
    def _draws(self, ref, dist, pos, display) -> tuple:
        """:meth:`flatten_draws`, without the reference for a no-reference model."""
        return self.flatten_draws(ref if self.full_reference else None, dist, pos, display)

    def _features(self, inputs: tuple, draws: slice, patches: slice) -> dict[str, torch.Tensor]:
        ref, dist, pos, display = (_take(x, draws) for x in inputs)
        ref = None if ref is None else ref[:, patches]
        chained = self.prepare(ref, display), self.prepare(dist[:, patches], display)
        return self.net.forward_features(*chained, pos[:, patches])

    def _chunks(
        self, shape: torch.Size, patch_batch_size: int | None
    ) -> Iterator[tuple[slice, list[slice] | None]]:
        """The one chunking loop: (draws, None) for groups of whole draws, or (one draw, patch
        slices) for a draw larger than the limit of a model that pools per-patch terms."""
        limit = patch_batch_size or self.patch_batch_size
        count, patches = shape[0] * shape[1], shape[2]
        splits = limit is not None and patches > limit and self.pools_patch_terms
        if not splits:
            group = count if limit is None else max(1, limit // patches)
            for start in range(0, count, group):
                yield slice(start, start + group), None
            return
        parts = [slice(j, j + limit) for j in range(0, patches, limit)]
        for start in range(count):
            yield slice(start, start + 1), parts


def _take(tensor: torch.Tensor | None, index: slice) -> torch.Tensor | None:
    return None if tensor is None else tensor[index]
