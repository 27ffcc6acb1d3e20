"""DeepCORAL: align second-order statistics of source and target features (Sun & Saenko, 2016).

Two variants (reference-spec section 6.2), chosen explicitly:

* ``"fro_over_d"`` (the paper code's, which produced its numbers and its lambda = 0.025):
  each feature matrix is min-max normalised to [0, 1] with one global min and max,
  C = Xc^T Xc is the un-normalised scatter matrix, and L = ||C_S - C_T||_F / d.
* ``"sun_saenko"`` (the published formula): C = Xc^T Xc / (n - 1) and
  L = ||C_S - C_T||_F^2 / (4 d^2); normalisation optional (``normalize=False`` by default).

Always computed in float32, outside autocast.
"""

from __future__ import annotations

from typing import Literal

import torch
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


class CoralLoss(nn.Module):
    """:func:`coral_loss` with fixed settings; terms with too few rows are skipped (return 0).

    Args:
        variant: ``"fro_over_d"`` (paper code) or ``"sun_saenko"`` (published formula).
        normalize: min-max normalisation (None = the variant's default).
        min_rows: a batch with this many rows or fewer gives 0 (covariance is meaningless).
    """

    def __init__(
        self, variant: Variant = "fro_over_d", normalize: bool | None = None, min_rows: int = 5
    ) -> None:
        super().__init__()
        self.variant = variant
        self.normalize = normalize
        self.min_rows = min_rows

    def forward(self, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if min(source.shape[0], target.shape[0]) <= self.min_rows:
            return source.new_zeros((), dtype=torch.float32)
        return coral_loss(source, target, self.variant, self.normalize)

    def extra_repr(self) -> str:
        return f"variant={self.variant!r}, normalize={self.normalize}, min_rows={self.min_rows}"
