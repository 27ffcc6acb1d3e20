"""Scoring pairs with a restored model: :class:`IQAPredictor` and :func:`load_model` (the
public face is :mod:`hdr_iqa.api`).

A predictor decodes and checks a pair (:mod:`hdr_iqa.inference.inputs`), cuts the test patches
by the checkpoint's :class:`~hdr_iqa.data.protocol.PatchProtocol` and scores them with the
module's :class:`~hdr_iqa.pipeline.IQAPipeline`, exactly as the test loop does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import torch

from hdr_iqa.data.protocol import PatchProtocol, saved_protocol
from hdr_iqa.errors import ConfigError, DataError
from hdr_iqa.inference import (
    load_image,
    model_name,
    read_checkpoint,
    resolve_display,
    restore_module,
)
from hdr_iqa.inference.baselines import baseline_config, baseline_units, build_baseline, is_baseline
from hdr_iqa.inference.inputs import (
    DisplayLike,
    ImageLike,
    as_display,
    check_values,
    container_pixels,
)
from hdr_iqa.metrics.protocol import QUALITY_DIRECTION
from hdr_iqa.module import CHECKPOINT_KEY, IQAModule
from hdr_iqa.photometry import DisplayModel


class IQAPredictor:
    """A trained model ready to score pairs; build it with :func:`load_model`.

    Attributes:
        name: the model's registered name (e.g. ``"pieapp"``).
        full_reference: whether ``score`` needs a reference image.
        quality_direction: ``"0 = reference quality, larger = worse (distortion-like)"``.
        score_units: what the score's scale is (that of the training targets).
        protocol: where patches are cut (patch size, count, draws, seed, grid stride,
            position convention): the checkpoint's test protocol unless overridden.
        pipeline: the photometric chain + network that scores the patches
            (:class:`~hdr_iqa.pipeline.IQAPipeline`, shared with the module).
        patch_batch_size: most patches per network pass (bounds memory, not the scores).
        default_display: display of display-encoded inputs when none is given (the
            checkpoint's training display).
    """

    def __init__(
        self,
        module: IQAModule,
        protocol: PatchProtocol,
        patch_batch_size: int = 256,
        checkpoint_path: str | Path = "",
    ) -> None:
        config = module.run_config or {}
        if patch_batch_size < 1:
            raise ConfigError(f"patch_batch_size must be >= 1, got {patch_batch_size}")
        self.module = module.eval()
        self.pipeline = module.pipeline
        self.protocol = protocol
        self.patch_batch_size = patch_batch_size
        if protocol.stride is not None and not self.pipeline.pools_patch_terms:
            raise ConfigError(
                f"predict.stride={protocol.stride}: a dense grid needs a model whose score "
                f"pools patch scores (pieapp); {type(module.net).__name__} scores a draw of "
                "patches as a whole: leave stride=null"
            )
        self.checkpoint_path = str(checkpoint_path)
        self.name = model_name(config)
        self.full_reference = self.pipeline.full_reference
        self.quality_direction = QUALITY_DIRECTION
        self.score_units = score_units(config)
        display = config.get("display")
        self.default_display = as_display(display) if isinstance(display, dict) else None

    def __repr__(self) -> str:
        return f"IQAPredictor({self.name!r}, {self.checkpoint_path!r}, {self.protocol})"

    def score(
        self,
        dist: ImageLike | Sequence[ImageLike],
        ref: ImageLike | Sequence[ImageLike] | None = None,
        display: DisplayLike = None,
    ) -> float | torch.Tensor:
        """Predicted quality of ``dist`` against ``ref`` (0 = reference quality, larger = worse).

        Args:
            dist: the distorted image: a file path, an (H, W, 3) numpy array or a (3, H, W)
                tensor (uint8 display-encoded, or float: [0, 1] display-encoded or cd/m^2 with
                ``display="absolute"``); or a batch: a list of those, an (B, H, W, 3) array or a
                (B, 3, H, W) tensor.
            ref: the reference, same size and encoding (None only for no-reference models).
            display: preset name (``"sdr_100"``, ``"hdr_5000"``, ... from ``conf/display``), a
                :class:`DisplayModel`, ``"absolute"`` (cd/m^2) or None (display-encoded input
                on the training display; HDR files as absolute luminance).
        Returns:
            a float for one pair, a float32 tensor (B,) for a batch.
        """
        if not _is_batch(dist):
            return self.score_pair(dist, ref, display)[0]
        refs = _as_list(ref, len(dist))
        scores = [self.score_pair(d, r, display)[0] for d, r in zip(dist, refs, strict=True)]
        return torch.tensor(scores, dtype=torch.float32)

    def features(
        self, dist: ImageLike, ref: ImageLike | None = None, display: DisplayLike = None
    ) -> torch.Tensor:
        """The features DeepCORAL aligns for one pair: (R, K, d) float32 (R draws; PieAPP: K =
        2N coarse features of the reference and distorted patches, d = 2048)."""
        pixels, shown = self.prepare(dist, ref, display)
        with torch.inference_mode():
            return self.pipeline.features(*self.inputs(pixels, shown), self.patch_batch_size)[
                0
            ].cpu()

    def score_pair(
        self, dist: ImageLike, ref: ImageLike | None = None, display: DisplayLike = None
    ) -> tuple[float, DisplayModel]:
        """Score of one pair and the display it was shown on (see :meth:`score`)."""
        pixels, shown = self.prepare(dist, ref, display)
        with torch.inference_mode():
            score = self.pipeline.score(
                *self.inputs(pixels, shown), patch_batch_size=self.patch_batch_size
            )
        return float(score[0]), shown

    def inputs(
        self, pixels: torch.Tensor, display: DisplayModel
    ) -> tuple[torch.Tensor | None, ...]:
        """The pipeline's inputs for one pair, on the model's device: (ref, dist) patches
        (1, R, N, 3, P, P) cut by :attr:`protocol` (ref None without a reference), centres
        (1, R, N, 2) and display parameters (1, NUM_PARAMS)."""
        patches, pos = self.protocol.cut(pixels)
        device = next(iter(self.module.buffers()), pos).device
        ref = patches[0][None] if len(patches) == 2 else None
        tensors = (ref, patches[-1][None], pos[None], display.params()[None])
        return tuple(None if t is None else t.to(device) for t in tensors)

    def prepare(
        self, dist: ImageLike, ref: ImageLike | None = None, display: DisplayLike = None
    ) -> tuple[torch.Tensor, DisplayModel]:
        """Decode and check one pair: pixels (2 or 1, H, W, 3) and the display they are shown on."""
        if ref is None and self.full_reference:
            raise ConfigError(
                f"{self.name} is a full-reference model: a reference image is needed for "
                f"{dist if isinstance(dist, str | Path) else 'the distorted image'}"
            )
        images = [load_image(dist, "dist")]
        if ref is not None:
            images.insert(0, load_image(ref, "ref"))
            if images[0].pixels.shape != images[1].pixels.shape:
                raise DataError(
                    f"reference and distorted image differ in size: {images[0].name} is "
                    f"{images[0].size}, {images[1].name} is {images[1].size}"
                )
        size = self.protocol.patch_size or 0  # None: whole images
        if min(images[-1].pixels.shape[:2]) < size:
            raise DataError(
                f"{images[-1].name} is {images[-1].size} pixels, smaller than the model's "
                f"{size}x{size} patch"
            )
        chosen = resolve_display(display, images, self.default_display)
        images = check_values(images, chosen)
        pixels = [container_pixels(i, chosen) for i in images]
        if any(p.is_floating_point() for p in pixels):
            pixels = [p if p.is_floating_point() else p.float() / 255.0 for p in pixels]
        return torch.stack(pixels), chosen


def load_model(
    path: str | Path,
    device: str | torch.device = "auto",
    patch_batch_size: int = 256,
    patches: int | None = None,
    repeats: int | None = None,
    stride: int | None = None,
) -> IQAPredictor:
    """Load a checkpoint written by ``python -m hdr_iqa.train``, or a metric without training.

    Args:
        path: the ``.ckpt`` file (``checkpoints/last.ckpt`` or the best ``epoch_XXX.ckpt``), or
            the name of a metric without training (``"psnr"``, ``"ssim"``, ``"pu_psnr"``,
            ``"pu_ssim"``, ``"cvvdp"``: whole images; display-encoded inputs default to
            ``sdr_100``; the patch settings do not apply).
        device: ``"auto"`` (CUDA if available, else CPU), ``"cpu"``, ``"cuda"``, ...
        patch_batch_size: patches per forward pass; bounds memory on large images without
            changing the scores.
        patches, repeats: patches per draw and draws per image; None = the checkpoint's test
            protocol (``model.sampling.test`` and ``test_repeats``), which ``eval`` also uses.
        stride: dense-grid stride for models that pool patch scores (PieAPP); None = seeded
            draws as in the test loop.
    """
    if is_baseline(path) and not Path(path).exists():  # a metric without training
        return load_baseline(str(path), device, patch_batch_size)
    checkpoint = read_checkpoint(path)
    module = restore_module(checkpoint, path)
    saved = saved_protocol(checkpoint[CHECKPOINT_KEY])
    protocol = saved.overridden(num_patches=patches, repeats=repeats, stride=stride)
    module.to(resolve_device(device))
    return IQAPredictor(module, protocol, patch_batch_size, path)


def load_baseline(
    model: str | Mapping[str, Any], device: str | torch.device = "auto", patch_batch_size: int = 256
) -> IQAPredictor:
    """A metric without training, by name (``"pu_ssim"``) or model config
    (``conf/model/pu_ssim.yaml`` as composed); it scores whole images."""
    config = baseline_config(model if isinstance(model, str) else model_name({"model": model}))
    if not isinstance(model, str):
        config["model"] = dict(model)
    module = build_baseline(config).to(resolve_device(device))
    return IQAPredictor(module, PatchProtocol(patch_size=None), patch_batch_size)


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` -> CUDA if available, else CPU; other values as torch understands them."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except RuntimeError as error:
        raise ConfigError(f"device: {error}") from None


def score_units(config: dict[str, Any]) -> str:
    """The scale of a checkpoint's scores: that of its labelled training targets."""
    if is_baseline(model_name(config)):
        return baseline_units(model_name(config))
    data, model = config.get("data") or {}, config.get("model") or {}
    parts = []
    for role in ("source", "target"):
        dataset = data.get(role)
        if not isinstance(dataset, dict) or not model.get(f"{role}_weight", 1.0):
            continue
        target = str(dataset.get("_target_", "?"))
        try:
            units = getattr(hydra.utils.get_class(target), "score_units", None)
        except Exception:
            units = None
        parts.append(f"{dataset.get('name') or role}: {units or target.rsplit('.', 1)[-1]}")
    return f"the scale of the training targets ({'; '.join(parts) or 'unknown'})"


def _is_batch(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return True
    return isinstance(value, np.ndarray | torch.Tensor) and value.ndim == 4


def _as_list(value: Any, length: int) -> list:
    if value is None:
        return [None] * length
    if not _is_batch(value) or len(value) != length:
        raise DataError(f"a batch of {length} distorted images needs {length} references")
    return list(value)
