"""DeepCORAL: align second-order statistics of source and target features (Sun & Saenko, 2016).

Two variants (reference-spec section 6.2), chosen explicitly:

* ``"fro_over_d"`` (the paper code's, which produced its numbers and its lambda = 0.025):
  each feature matrix is min-max normalised to [0, 1] with one global min and max,
  C = Xc^T Xc is the un-normalised scatter matrix, and L = ||C_S - C_T||_F / d.
* ``"sun_saenko"`` (the published formula): C = Xc^T Xc / (n - 1) and
  L = ||C_S - C_T||_F^2 / (4 d^2); normalisation optional (``normalize=False`` by default).

Always computed in float32, outside autocast.

Under DDP (``sync_ranks=True``, the default) the feature rows of every rank are gathered with
gradients (functional ``all_gather``) before the covariances are taken, so each rank
computes the CORAL term of the *global* batch: training on N devices with a global batch B gives
the same CORAL term and gradient as one device with batch B. (With per-rank covariances the
un-normalised scatter matrices of ``fro_over_d`` would shrink with the number of devices and
silently change the meaning of lambda.)
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.distributed as dist
from torch import nn

Variant = Literal["fro_over_d", "sun_saenko"]


def _minmax(x: torch.Tensor) -> torch.Tensor:
    shifted = x - x.min()
    return shifted / (shifted.max() + 1e-9)


def _centred(x: torch.Tensor) -> torch.Tensor:
    return x - x.mean(dim=0, keepdim=True)


def coral_loss(
    source: torch.Tensor,
    target: torch.Tensor,
    variant: Variant = "fro_over_d",
    normalize: bool | None = None,
) -> torch.Tensor:
    """CORAL distance between the feature covariances of two batches.

    Args:
        source: (n_s, d) source-domain features, one row per sample (or patch).
        target: (n_t, d) target-domain features.
        variant: ``"fro_over_d"`` or ``"sun_saenko"`` (see module docstring).
        normalize: global min-max normalisation of each matrix; default True for
            ``fro_over_d`` and False for ``sun_saenko``.
    Returns:
        scalar float32 loss (0 for identical batches).

    Example:
        >>> x = torch.randn(8, 4)
        >>> float(coral_loss(x, x.clone()))
        0.0
    """
    if source.dim() != 2 or target.dim() != 2 or source.shape[1] != target.shape[1]:
        raise ValueError(
            f"CORAL needs (n, d) feature matrices with the same d, got {tuple(source.shape)} "
            f"and {tuple(target.shape)}"
        )
    if variant not in ("fro_over_d", "sun_saenko"):
        raise ValueError(f"CORAL variant must be 'fro_over_d' or 'sun_saenko', got {variant!r}")
    if normalize is None:
        normalize = variant == "fro_over_d"
    with torch.autocast(device_type=source.device.type, enabled=False):
        xs, xt = source.float(), target.float()
        if normalize:
            xs, xt = _minmax(xs), _minmax(xt)
        xs, xt = _centred(xs), _centred(xt)
        dim = xs.shape[1]
        if variant == "fro_over_d":
            return torch.linalg.matrix_norm(xs.T @ xs - xt.T @ xt) / dim
        cov_s = xs.T @ xs / max(xs.shape[0] - 1, 1)
        cov_t = xt.T @ xt / max(xt.shape[0] - 1, 1)
        return (cov_s - cov_t).square().sum() / (4 * dim * dim)


def gather_rows(x: torch.Tensor) -> torch.Tensor:
    """Rows of ``x`` from every DDP rank, concatenated in rank order; differentiable.

    The backward pass sums each rank's gradient into the rows it owns; after DDP averages the
    parameter gradients over ranks, the result is the gradient of the (identical) loss on the
    gathered rows. Every rank must pass the same number of rows (``DistributedSampler``
    guarantees equal per-rank batch sizes). Without an initialised process group ``x`` is
    returned unchanged.
    """
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return x
    from torch.distributed._functional_collectives import all_gather_single

    return all_gather_single(x.contiguous(), 0, dist.group.WORLD)  # differentiable


class CoralLoss(nn.Module):
    """:func:`coral_loss` with fixed settings; terms with too few rows are skipped (return 0).

    Args:
        variant: ``"fro_over_d"`` (paper code) or ``"sun_saenko"`` (published formula).
        normalize: min-max normalisation (None = the variant's default).
        min_rows: a batch with this many rows or fewer gives 0 (covariance is meaningless).
        sync_ranks: under DDP, compute the covariances over the rows of all ranks (gathered
            with gradients); False uses each rank's local batch.
    """

    def __init__(
        self,
        variant: Variant = "fro_over_d",
        normalize: bool | None = None,
        min_rows: int = 5,
        sync_ranks: bool = True,
    ) -> None:
        super().__init__()
        self.variant = variant
        self.normalize = normalize
        self.min_rows = min_rows
        self.sync_ranks = sync_ranks

    def forward(self, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """CORAL distance of (n, d) source and target features (rows of all ranks with
        ``sync_ranks``); 0-d float32, 0 when either has ``min_rows`` rows or fewer."""
        if self.sync_ranks:
            source, target = gather_rows(source), gather_rows(target)
        if min(source.shape[0], target.shape[0]) <= self.min_rows:
            return source.new_zeros((), dtype=torch.float32)
        return coral_loss(source, target, self.variant, self.normalize)

    def extra_repr(self) -> str:
        """The settings, for ``repr(module)``."""
        return (
            f"variant={self.variant!r}, normalize={self.normalize}, min_rows={self.min_rows}, "
            f"sync_ranks={self.sync_ranks}"
        )
