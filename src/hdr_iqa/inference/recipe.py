"""Score an image pair with an exported hdr_iqa model, without the hdr_iqa package.

``python -m hdr_iqa.export`` copies this file beside the model as ``score_exported.py``; it needs
only numpy, onnxruntime (``.onnx``; torch for a TorchScript ``.pt``) and, to read files, imageio
(PNG/JPEG/...) or OpenEXR (``.exr``)::

    python score_exported.py model.onnx dist.png ref.png              # on the training display
    python score_exported.py model.onnx dist.exr ref.exr              # HDR: cd/m^2, no display

    from score_exported import ExportedModel
    model = ExportedModel("model.onnx")           # reads model.json beside it
    score = model.score(dist, ref)                # (H, W, 3) uint8, or float32 cd/m^2 + "absolute"

The recipe (``model.json``, key ``"recipe"``) is the package's test protocol, so the score equals
``hdr_iqa.load_model(ckpt).score(dist, ref)`` (to about 1e-6 relative: float rounding of the
exported graph):

1. Pixels: (H, W, 3); uint8 display-encoded codes become float32 ``code * (1/255)``; float32
   values are cd/m^2 (display ``"absolute"``). The graph's display vector (``display_fields``)
   is the training display's for display-encoded input and ``"absolute"``'s for luminance.
2. Positions: ``repeats`` draws of ``num_patches`` P x P patches (top-left corners). Draw ``r``
   of an H x W image is seeded by ``SeedSequence([seed, H, W, r])`` (numpy), whose two 32-bit
   words make a 64-bit seed; the package seeds torch's Mersenne Twister with it, i.e. MT19937
   initialised with the seed's low 32 bits, which numpy's ``RandomState`` reproduces. With
   ``rows x cols`` about-square grid cells (:func:`grid_shape`), a Fisher-Yates pass over the
   cells (``z = next_u32 % (M - i)``) picks the first ``num_patches`` cells, then
   ``2 x num_patches`` uniforms ``(next_u32 & 0xFFFFFF) / 2^24`` jitter them by up to +-0.4
   cell. ``stride`` (dense-grid mode) replaces the draws by one grid (:func:`grid_positions`).
   The positions of one image size written at export time (``"check"``) are compared on load.
3. Patches: ref and dist cut at the same corners, (N, 3, P, P); centres ``pos`` (N, 2) in
   float32, by the recipe's ``"centres"`` convention: ``"paper"`` ((top + P/2) / (H - P/2),
   (left + P/2) / (W - P/2)) or ``"centre"`` ((top + P/2) / H, (left + P/2) / W); models
   exported before the key existed used ``"centre"``.
4. Score: the graph on all draws at once (B = repeats), mean over draws (0 = reference quality,
   larger = worse). Grid mode runs all grid patches in one call (memory grows with the image).
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

RECIPE_VERSION = 1
"""Version of the scoring recipe ``model.json`` describes (its ``"recipe"`` key)."""
JITTER = 0.4
"""Half-width of the uniform jitter of a patch inside its grid cell, in cells."""


def draw_seed(seed: int, height: int, width: int, repeat: int) -> int:
    """64-bit seed of draw ``repeat`` of a ``height`` x ``width`` image (the package's)."""
    state = np.random.SeedSequence([seed, height, width, repeat]).generate_state(2, np.uint32)
    return int(state[0]) << 32 | int(state[1])


def grid_shape(height: int, width: int, num_patches: int) -> tuple[int, int]:
    """(rows, cols) of the sampling grid: about square cells, rows * cols >= num_patches."""
    aspect = height / width
    cols = max(math.ceil(math.sqrt(num_patches / aspect)), 1)
    rows = max(math.ceil(cols * aspect), 1)
    while rows * cols < num_patches:
        rows += 1
    return rows, cols


def sample_positions(
    height: int, width: int, num_patches: int, patch_size: int, seed: int, repeat: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top-left corners (tops, lefts), int64 (N,), of seeded draw ``repeat`` (module docstring)."""
    rows, cols = grid_shape(height, width, num_patches)
    cells_total = rows * cols
    # torch.Generator.manual_seed(s) == MT19937 seeded with s's low 32 bits (init_genrand)
    stream = np.random.RandomState(draw_seed(seed, height, width, repeat) & 0xFFFFFFFF)
    raw = stream.randint(0, 1 << 32, size=cells_total - 1 + 2 * num_patches, dtype=np.uint64)
    cells = np.arange(cells_total, dtype=np.int64)
    for i in range(cells_total - 1):  # torch.randperm on the CPU: Fisher-Yates, front to back
        j = i + int(raw[i]) % (cells_total - i)
        cells[i], cells[j] = cells[j], cells[i]
    cells = cells[:num_patches]
    uniform = (raw[cells_total - 1 :] & 0xFFFFFF).astype(np.float32) * np.float32(2.0**-24)
    jitter = (uniform.reshape(2, num_patches) * np.float32(2) - np.float32(1)) * np.float32(JITTER)
    u = ((cells // cols).astype(np.float64) + jitter[0].astype(np.float64) + 0.5) / rows
    v = ((cells % cols).astype(np.float64) + jitter[1].astype(np.float64) + 0.5) / cols
    tops = (np.clip(u, 0, 1) * (height - patch_size)).astype(np.int64)
    lefts = (np.clip(v, 0, 1) * (width - patch_size)).astype(np.int64)
    return tops, lefts


def grid_positions(
    height: int, width: int, patch_size: int, stride: int
) -> tuple[np.ndarray, np.ndarray]:
    """Dense grid (tops, lefts), int64 (N,): every ``stride`` pixels, plus the border-aligned."""

    def axis(size: int) -> np.ndarray:
        starts = np.arange(0, size - patch_size + 1, stride, dtype=np.int64)
        return starts if starts[-1] == size - patch_size else np.append(starts, size - patch_size)

    tops, lefts = np.meshgrid(axis(height), axis(width), indexing="ij")
    return tops.ravel(), lefts.ravel()


def cut_patches(image: np.ndarray, tops: np.ndarray, lefts: np.ndarray, size: int) -> np.ndarray:
    """(H, W, 3) float32 -> (N, 3, P, P) float32 patches at the given top-left corners."""
    planar = image.transpose(2, 0, 1)
    corners = zip(tops.tolist(), lefts.tolist(), strict=True)
    return np.stack([planar[:, t : t + size, c : c + size] for t, c in corners])


def patch_centres(
    tops: np.ndarray, lefts: np.ndarray, height: int, width: int, size: int, convention: str
) -> np.ndarray:
    """Normalised centres (row, col), float32 (N, 2): (corner + P/2) / (extent - P/2) for
    ``"paper"``, (corner + P/2) / extent for ``"centre"``."""
    half = np.float32(size / 2)
    shift = half if convention == "paper" else np.float32(0)
    rows = (tops.astype(np.float32) + half) / (np.float32(height) - shift)
    cols = (lefts.astype(np.float32) + half) / (np.float32(width) - shift)
    return np.stack((rows, cols), axis=-1)


def as_float(pixels: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 codes -> float32 ``code * (1/255)``; float input -> float32."""
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"expected (H, W, 3) pixels, got {pixels.shape}")
    if pixels.dtype == np.uint8:
        return pixels.astype(np.float32) * np.float32(1.0 / 255.0)
    return np.ascontiguousarray(pixels, dtype=np.float32)


def read_pixels(path: str | Path) -> np.ndarray:
    """An image file as (H, W, 3): 8-bit files uint8 (imageio), ``.exr`` float32 cd/m^2 (OpenEXR,
    negatives clamped to 0). Other encodings (16-bit PQ/HLG files, ...) need the package."""
    path = Path(path)
    if path.suffix.lower() == ".exr":
        import OpenEXR

        with OpenEXR.File(str(path)) as exr:
            channels = {n: np.asarray(c.pixels) for n, c in exr.channels().items()}
        if "RGB" in channels or "RGBA" in channels:
            pixels = channels.get("RGB", channels.get("RGBA"))[:, :, :3]
        else:
            pixels = np.stack([channels[c] for c in "RGB"], axis=-1)
        return np.maximum(pixels.astype(np.float32), 0)
    import imageio.v3 as iio

    pixels = iio.imread(path)
    if pixels.dtype != np.uint8:
        raise ValueError(f"{path}: only 8-bit display-encoded files, got {pixels.dtype}")
    pixels = pixels[:, :, None] if pixels.ndim == 2 else pixels
    return np.ascontiguousarray(np.repeat(pixels, 3, 2) if pixels.shape[2] < 3 else pixels[..., :3])


class ExportedModel:
    """An exported model and its recipe (``model.json`` beside it, or ``meta_path``).

    Args:
        path: ``model.onnx`` (run in onnxruntime) or ``model.pt`` (TorchScript, run in torch).
        meta_path: the JSON written by the export; None = ``path`` with suffix ``.json``.
    """

    def __init__(self, path: str | Path, meta_path: str | Path | None = None) -> None:
        path = Path(path)
        self.meta = json.loads(Path(meta_path or path.with_suffix(".json")).read_text())
        self.recipe = self.meta["recipe"]
        if self.recipe["version"] != RECIPE_VERSION:
            raise ValueError(f"recipe version {self.recipe['version']}, this file reads 1")
        self.inputs: list[str] = self.meta["inputs"]
        self._run = _onnx_runner(path) if path.suffix == ".onnx" else _torchscript_runner(path)
        check = self.recipe["check"]
        for repeat, expected in enumerate(check["positions"]):
            found = [a.tolist() for a in self.positions(check["height"], check["width"], repeat)]
            if found != expected:
                raise RuntimeError(
                    f"patch positions of a {check['width']}x{check['height']} image differ from "
                    f"the exporting package's (draw {repeat}): use that torch/numpy or the package"
                )

    def positions(self, height: int, width: int, repeat: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-left corners (tops, lefts), int64 (N,), of draw ``repeat`` of an H x W image."""
        size, recipe = self.recipe["patch_size"], self.recipe
        if height < size or width < size:
            raise ValueError(f"image of {width}x{height} pixels is smaller than the {size} patch")
        if recipe["stride"]:
            return grid_positions(height, width, size, recipe["stride"])
        return sample_positions(height, width, recipe["num_patches"], size, recipe["seed"], repeat)

    def score(
        self,
        dist: np.ndarray,
        ref: np.ndarray | None = None,
        display: str | Sequence[float] = "training",
    ) -> float:
        """Score of one pair (0 = reference quality, larger = worse).

        Args:
            dist, ref: (H, W, 3) uint8 display-encoded, or float32 ([0, 1] display-encoded, or
                cd/m^2 with ``display="absolute"``); ref None for no-reference models.
            display: ``"training"`` (the training display), ``"absolute"`` (cd/m^2), or a
                parameter vector laid out as ``meta["display_fields"]``.
        """
        images = [as_float(dist)] if ref is None else [as_float(ref), as_float(dist)]
        if "ref" in self.inputs and ref is None:
            raise ValueError("this model is full-reference: a reference image is needed")
        if len({i.shape for i in images}) > 1:
            raise ValueError(f"reference and distorted image differ in size: {images[0].shape}")
        if isinstance(display, str) and display not in self.recipe["displays"]:
            raise ValueError(f"display must be one of {sorted(self.recipe['displays'])}")
        params = self.recipe["displays"][display] if isinstance(display, str) else display
        height, width = images[0].shape[:2]
        size = self.recipe["patch_size"]
        draws = [self.positions(height, width, r) for r in range(self.recipe["draws"])]
        centres = self.recipe.get("centres", "centre")
        feed = {
            "ref": np.stack([cut_patches(images[0], t, c, size) for t, c in draws]),
            "dist": np.stack([cut_patches(images[-1], t, c, size) for t, c in draws]),
            "pos": np.stack([patch_centres(t, c, height, width, size, centres) for t, c in draws]),
            "display": np.tile(np.asarray(params, np.float32), (len(draws), 1)),
        }  # (R, N, 3, P, P), (R, N, 2), (R, NUM_PARAMS)
        scores = self._run({name: feed[name] for name in self.inputs})  # (R,) one per draw
        return float(np.asarray(scores, np.float32).mean(dtype=np.float32))


def _onnx_runner(path: Path):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return lambda feed: session.run(["score"], feed)[0]


def _torchscript_runner(path: Path):
    import torch

    graph = torch.jit.load(str(path), map_location="cpu")

    def run(feed: dict[str, np.ndarray]):
        with torch.no_grad():
            return graph(*(torch.from_numpy(x) for x in feed.values())).numpy()

    return run


def main(argv: Sequence[str] | None = None) -> None:
    """``python score_exported.py model dist [ref] [--display ...]``: print the pair's score."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("model", help="model.onnx or model.pt (model.json beside it)")
    parser.add_argument("dist", help="distorted image: 8-bit PNG/JPEG/... or .exr (cd/m^2)")
    parser.add_argument("ref", nargs="?", help="reference image (full-reference models)")
    parser.add_argument("--display", help="training | absolute (default: by file type)")
    args = parser.parse_args(argv)
    dist = read_pixels(args.dist)
    ref = read_pixels(args.ref) if args.ref else None
    display = args.display or ("absolute" if dist.dtype != np.uint8 else "training")
    print(ExportedModel(args.model).score(dist, ref, display))


if __name__ == "__main__":
    main()
