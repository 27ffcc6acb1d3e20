"""VTAMIQ (Chubarau & Clark, arXiv 2110.01655) as used by the HDR domain-adaptation paper.

Reference code: ch-andrei/VTAMIQ, ch-andrei/HDR-IQA-dom-adapt ([DA]); reference-spec section 4.
Full-reference, on sparse 16x16 patches at the same positions in both images::

    tokens = [CLS + pos_0, R_1..R_8, embed(patch_i) + pos(u_i, v_i)]   # 8 registers, no position
    f      = norm(blocks_1..6(tokens))[CLS]                             # truncated ViT-B/16 (384)
    d      = gamma * (f_ref - f_dist)                                   # LayerScale, init 1
    q      = MLP(DiffNet(d))                                            # 0 = identical, > 0 worse

The ViT is timm's ``vit_base_patch16_384`` cut to its first 6 blocks (the final norm is kept),
with LayerScale (init 1.0) in every block. Each patch's positional embedding is the entry of the
pretrained 24x24 table at its normalised centre (row, col) in (0, 1):
``index = floor(row * 24) * 24 + floor(col * 24) + 1``. CORAL aligns the CLS outputs of the
reference and the distorted image: (B, 2, 768). 57,322,386 parameters.

Weights: ``vit_weights`` (timm ViT file: ``.npz``, ``.pth``, ``.safetensors``) initialises the
backbone; ``weights`` loads a complete model (this project's checkpoints, or the paper code's
``model_state_dict``, whose separate q/k/v and Conv1d layers map onto timm's fused ``qkv`` and
Linear layers, ``weights-compat.md`` section 2).
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from hdr_iqa.errors import MissingFileError, WeightsError
from hdr_iqa.models._registry import register_model
from hdr_iqa.models.base import IQAModel
from hdr_iqa.utils.weights import (
    check_weights_content,
    load_failure,
    mismatch_report,
    rename_keys,
)

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------- blocks
class ChannelAttention(nn.Module):
    """RCAN channel attention on a (B, C) vector: x * sigmoid(excite(relu(squeeze(x))))."""

    def __init__(self, channels: int, reduction: int) -> None:
        super().__init__()
        self.squeeze = nn.Linear(channels, channels // reduction)
        self.excite = nn.Linear(channels // reduction, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C) -> (B, C)."""
        # (the reference's average pool runs over a length-1 axis: the identity)
        return x * torch.sigmoid(self.excite(torch.relu(self.squeeze(x))))


class RCAB(nn.Module):
    """Residual channel-attention block: x + CA(Linear(PReLU(x))), no normalisation; (B, C)."""

    def __init__(self, channels: int, reduction: int) -> None:
        super().__init__()
        self.act = nn.PReLU()
        self.conv = nn.Linear(channels, channels)
        self.attention = ChannelAttention(channels, reduction)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C) -> (B, C)."""
        return x + self.attention(self.conv(self.act(x)))


class ResidualGroup(nn.Module):
    """x + DropPath(Linear(RCAB_n(...RCAB_1(x)))); (B, C) -> (B, C)."""

    def __init__(self, channels: int, num_rcabs: int, reduction: int, drop_path: float) -> None:
        super().__init__()
        blocks = [RCAB(channels, reduction) for _ in range(num_rcabs)]
        self.body = nn.Sequential(*blocks, nn.Linear(channels, channels))
        from timm.layers import DropPath  # timm is imported when a VTAMIQ is built

        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C) -> (B, C)."""
        return x + self.drop_path(self.body(x))


class DiffNet(nn.Sequential):
    """Difference modulation network ([DA] ``quality_decoder``): residual groups, then a Linear;
    (B, C) -> (B, C).

    The reference's 1x1 Conv1d layers act on a length-1 signal; here they are Linear layers
    (same parameters, weights (out, in) instead of (out, in, 1)).
    """

    def __init__(
        self, channels: int, num_groups: int, num_rcabs: int, reduction: int, drop_path: float
    ) -> None:
        groups = [
            ResidualGroup(channels, num_rcabs, reduction, drop_path) for _ in range(num_groups)
        ]
        super().__init__(*groups, nn.Linear(channels, channels))


def position_index(pos: torch.Tensor, grid: int) -> torch.Tensor:
    """Row of the positional table for normalised centres (..., 2) = (row, col) in (0, 1).

    ``floor(row * grid) * grid + floor(col * grid) + 1`` (row 0 of the table is the CLS token's).

    Example:
        >>> position_index(torch.tensor([[0.0, 0.0], [0.5, 0.99], [0.999, 0.999]]), 24).tolist()
        [1, 312, 576]
    """
    cell = (pos * grid).long().clamp(0, grid - 1)  # (..., 2)
    return cell[..., 0] * grid + cell[..., 1] + 1


# ---------------------------------------------------------------------------- model
@register_model("vtamiq")
class VTAMIQ(IQAModel):
    """VTAMIQ on 16x16 patches of [-1, 1] inputs (mean/std 0.5); 57,322,386 parameters.

    ``forward(ref, dist, pos)``: ref, dist (B, N, 3, 16, 16) at the same centres pos (B, N, 2)
    -> score (B,) from the whole draw of N patches; CORAL features (B, 2, D) = the CLS outputs
    of reference and distorted image (D = the ViT width, 768 for ViT-B).

    Args:
        variant: timm ViT architecture (``vit_base_patch16_384`` in the paper; a smaller one such
            as ``vit_tiny_patch16_384`` for quick tests).
        depth: transformer blocks kept (6).
        num_registers: extra learned tokens without positional embedding (8).
        num_groups, num_rcabs, reduction: DiffNet residual groups (4), RCABs per group (4) and
            channel-attention reduction (16).
        group_drop_path: stochastic depth of each residual group (0.1, effective in [DA]).
        drop_path: stochastic depth in the ViT ([DA] configures 0.1 but never applies it: 0).
        dropout: dropout before each layer of the final MLP (0.1).
        vit_weights: optional local timm ViT weights file for the backbone (never downloaded).
        weights: optional local file with complete VTAMIQ weights, loaded last.
    """

    input_mean: ClassVar[tuple[float, float, float]] = (0.5, 0.5, 0.5)
    input_std: ClassVar[tuple[float, float, float]] = (0.5, 0.5, 0.5)
    patch_size: ClassVar[int] = 16
    init_file_keys: ClassVar[tuple[str, ...]] = ("vit_weights", "weights")

    def __init__(
        self,
        variant: str = "vit_base_patch16_384",
        depth: int = 6,
        num_registers: int = 8,
        num_groups: int = 4,
        num_rcabs: int = 4,
        reduction: int = 16,
        group_drop_path: float = 0.1,
        drop_path: float = 0.0,
        dropout: float = 0.1,
        vit_weights: str | Path | None = None,
        weights: str | Path | None = None,
    ) -> None:
        super().__init__()
        import timm  # imported here: commands that never build a VTAMIQ start faster
        from timm.layers import LayerScale

        self.vit = timm.create_model(
            variant,
            pretrained=False,  # weights only ever come from vit_weights / weights (local files)
            depth=depth,
            init_values=1.0,  # LayerScale in every block, init 1.0 as in the reference
            num_classes=0,
            drop_path_rate=drop_path,
        )
        width = self.vit.embed_dim
        self.grid = math.isqrt(self.vit.pos_embed.shape[1] - 1)
        self.reg_token = nn.Parameter(torch.empty(1, num_registers, width))
        nn.init.normal_(self.reg_token, std=0.02)
        self.diff_scale = LayerScale(width, init_values=1.0)
        self.diffnet = DiffNet(width, num_groups, num_rcabs, reduction, group_drop_path)
        hidden = width // 4
        self.head = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(width, hidden),
            nn.PReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, 1),
        )
        if vit_weights is not None:
            load_timm_vit(self.vit, vit_weights, "model.net.vit_weights")
        if weights is not None:
            self.load_weights(weights)

    def convert_state_dict(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The paper code's ``model_state_dict`` ([DA]) -> this model's keys and shapes.

        Renames by :data:`PAPER_KEY_MAP`, fuses each block's separate query/key/value Linear
        layers into timm's ``attn.qkv`` (rows q, k, v: (3D, D) and (3D,)), and squeezes the
        DiffNet's Conv1d(k=1) weights (out, in, 1) into Linear weights (out, in). Any other
        layout (this project's) passes through unchanged.
        """
        if not any(k.startswith("transformer.embeddings.") for k in state):
            return dict(state)
        renamed = rename_keys(state, PAPER_KEY_MAP)
        converted: dict[str, torch.Tensor] = {}
        separate: dict[str, dict[str, torch.Tensor]] = {}
        for name, value in renamed.items():
            match = QKV_PART.fullmatch(name)
            if match:
                prefix, role, kind = match.groups()
                separate.setdefault(f"{prefix}.qkv.{kind}", {})[role] = value
                continue
            if name.startswith("diffnet.") and value.dim() == 3 and value.shape[-1] == 1:
                value = value[..., 0]  # Conv1d (out, in, 1) -> Linear (out, in)
            converted[name] = value
        for name, parts in separate.items():
            if set(parts) == {"query", "key", "value"}:
                converted[name] = torch.cat([parts["query"], parts["key"], parts["value"]])
            else:  # incomplete: leave the parts as they are so the strict check reports them
                converted.update({name.replace(".qkv.", f".{r}."): v for r, v in parts.items()})
        return converted

    def encode(self, patches: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """CLS output of the ViT for sparse patches: (M, N, 3, 16, 16), (M, N, 2) -> (M, D)."""
        images, _, channels, height, width = patches.shape  # (M, N, C, P, P)
        proj = self.vit.patch_embed.proj
        if (channels, height, width) != tuple(proj.weight.shape[1:]):
            raise ValueError(
                f"VTAMIQ needs {tuple(proj.weight.shape[1:])} patches (model.sampling.patch_size"
                f"={proj.weight.shape[-1]}), got {(channels, height, width)}"
            )
        # a stride-16 16x16 convolution of a 16x16 patch is one Linear over its pixels
        tokens = F.linear(patches.flatten(2), proj.weight.flatten(1), proj.bias)  # (M, N, D)
        tokens = tokens + self.vit.pos_embed[0, position_index(pos, self.grid)]
        cls = (self.vit.cls_token + self.vit.pos_embed[:, :1]).expand(images, -1, -1)
        registers = self.reg_token.expand(images, -1, -1)
        x = torch.cat((cls, registers, tokens), dim=1)  # (M, 1 + R + N, D)
        x = self.vit.norm(self.vit.blocks(x))
        return x[:, 0]

    def forward_features(
        self, ref: torch.Tensor | None, dist: torch.Tensor, pos: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """ref, dist: (B, N, 3, 16, 16), pos: (B, N, 2) -> CLS outputs, each (B, D)."""
        if ref is None:
            raise ValueError("VTAMIQ is a full-reference model: a reference image is required")
        if pos is None:
            raise ValueError("VTAMIQ needs the patch centres (pos) for its positional embedding")
        cls = self.encode(torch.cat((ref, dist)), torch.cat((pos, pos)))  # one pass, (2B, D)
        cls_ref, cls_dist = cls.chunk(2)
        return {"cls_ref": cls_ref, "cls_dist": cls_dist}

    def forward_head(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B,) score from the CLS difference (ref - dist)."""
        diff = self.diff_scale(features["cls_ref"] - features["cls_dist"])
        return self.head(self.diffnet(diff)).squeeze(-1)

    def coral_features(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        """CLS outputs of the reference and the distorted image: (B, 2, D)."""
        return torch.stack((features["cls_ref"], features["cls_dist"]), dim=1)


# ---------------------------------------------------------------------------- weights
_RCAB = r"^quality_decoder\.(\d+)\.body\.(\d+)\.body\."
"""[DA] RCAB parameters: body.1 PReLU, body.2 Conv1d, body.4 channel attention (conv_du.1, .4)."""
PAPER_KEY_MAP = (
    (r"^transformer\.embeddings\.cls_token$", "vit.cls_token"),
    (r"^transformer\.embeddings\.extra_tokens$", "reg_token"),
    (r"^transformer\.embeddings\.patch_embeddings\.", "vit.patch_embed.proj."),
    (r"^transformer\.embeddings\.positional_embeddings\.positional_embeddings$", "vit.pos_embed"),
    (r"^transformer\.encoder\.encoder_norm\.", "vit.norm."),
    (r"^transformer\.encoder\.layers\.(\d+)\.attention_norm\.", r"vit.blocks.\1.norm1."),
    (r"^transformer\.encoder\.layers\.(\d+)\.ffn_norm\.", r"vit.blocks.\1.norm2."),
    (r"^transformer\.encoder\.layers\.(\d+)\.ffn\.", r"vit.blocks.\1.mlp."),
    (r"^transformer\.encoder\.layers\.(\d+)\.attn\.out\.", r"vit.blocks.\1.attn.proj."),
    (r"^transformer\.encoder\.layers\.(\d+)\.attn\.(query|key|value)\.", r"vit.blocks.\1.attn.\2."),
    (r"^transformer\.encoder\.layers\.(\d+)\.(ls[12])\.", r"vit.blocks.\1.\2."),
    (_RCAB + r"1\.", r"diffnet.\1.body.\2.act."),
    (_RCAB + r"2\.", r"diffnet.\1.body.\2.conv."),
    (_RCAB + r"4\.conv_du\.1\.", r"diffnet.\1.body.\2.attention.squeeze."),
    (_RCAB + r"4\.conv_du\.4\.", r"diffnet.\1.body.\2.attention.excite."),
    (r"^quality_decoder\.", "diffnet."),
    (r"^q_predictor\.", "head."),
)  # fmt: skip
"""[DA] VTAMIQ -> this model's keys (``weights-compat.md`` section 2); q/k/v are then fused and
Conv1d(k=1) weights squeezed by :meth:`VTAMIQ.convert_state_dict`."""
QKV_PART = re.compile(r"(vit\.blocks\.\d+\.attn)\.(query|key|value)\.(weight|bias)")
"""[DA]'s separate q/k/v Linear layers after renaming, fused into timm's ``qkv``."""


TIMM_IGNORED_UNEXPECTED = r"^(head|pre_logits|head_drop)\."
"""Classifier keys of a timm ViT file, unused by VTAMIQ (``num_classes=0``)."""
TIMM_LAYER_SCALE = r"^blocks\.\d+\.ls[12]\.gamma$"
"""LayerScale gammas, absent from files of ViTs trained without them (left at 1.0)."""


def load_timm_vit(vit: nn.Module, path: str | Path, key: str) -> None:
    """Load timm-format ViT weights into a (possibly truncated) timm ``VisionTransformer``.

    * ``.npz`` (Google's original JAX checkpoints, e.g. ``ViT-B_16.npz``): timm's
      ``VisionTransformer.load_pretrained`` (first ``depth`` encoder blocks and the final norm).
    * ``.pth``/``.bin``/``.safetensors`` (as timm saves them): timm's ``load_state_dict`` and
      ``checkpoint_filter_fn`` (position-table resampling, legacy layouts), then a strict check
      that tolerates the blocks beyond ``depth`` and the classifier head (unused here) and absent
      LayerScale gammas (left at their init, 1.0, as in the reference).

    Args:
        vit: VTAMIQ's backbone (``VTAMIQ.vit``).
        path: local weights file (never downloaded).
        key: the setting that named the file (quoted in errors), e.g. ``model.net.vit_weights``.
    Raises:
        MissingFileError: no such file.
        WeightsError: the file cannot be read or does not fit ``vit``.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise MissingFileError(f"{key}: ViT weights file not found: {path}")
    check_weights_content(path, key)
    expected = f"timm ViT weights for a {len(vit.blocks)}-block, {vit.embed_dim}-wide ViT"
    if path.suffix == ".npz":
        try:
            vit.load_pretrained(str(path))
        except Exception as error:  # KeyError, ValueError, BadZipFile, ...: not such a file
            raise WeightsError(f"{key}: {path} is not {expected}: {load_failure(error)}") from None
        return
    from timm.models import load_state_dict as timm_load_state_dict
    from timm.models.vision_transformer import checkpoint_filter_fn

    try:
        state = timm_load_state_dict(str(path), weights_only=True)
        state = checkpoint_filter_fn(state, vit)
    except Exception as error:
        raise WeightsError(
            f"{key}: cannot read {path} as {expected}: {load_failure(error)}"
        ) from None
    depth = len(vit.blocks)
    extra_blocks = r"^blocks\.(\d+)\."
    unused = [
        k
        for k in state
        if ((m := re.match(extra_blocks, k)) and int(m.group(1)) >= depth)
        or re.search(TIMM_IGNORED_UNEXPECTED, k)
    ]
    state = {k: v for k, v in state.items() if k not in set(unused)}
    problems = mismatch_report(vit, state, ignore_missing=TIMM_LAYER_SCALE)
    if problems:
        raise WeightsError(f"{key}: {path} is not {expected}: {problems}")
    vit.load_state_dict(state, strict=False)
    log.info("loaded ViT weights from %s (%d unused entries skipped)", path, len(unused))
