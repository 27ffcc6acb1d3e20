"""Content of the embedded synthetic dataset: references, HDR expansion, distortions, labels.

Everything is deterministic given a NumPy generator; see :mod:`.synthetic` for the layout.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import skimage
import torch
from skimage.metrics import structural_similarity

from hdr_iqa.photometry import PU21, DisplayModel
from hdr_iqa.photometry.transfer import srgb_eotf

REFERENCE_FILES = (
    "astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg", "hubble_deep_field.jpg",
    "ihc.png", "retina.jpg", "motorcycle_left.png", "camera.png", "moon.png", "brick.png",
    "grass.png", "gravel.png", "coins.png", "cell.png", "clock_motion.png",
)  # fmt: skip
"""scikit-image's bundled sample images used as references (no download needed)."""

LABEL_DISPLAY = DisplayModel(peak=100, contrast=1000, gamma=2.2, ambient=100, reflectivity=0.005)
"""Display on which SDR pairs are assumed to be seen when computing their labels (= sdr_100)."""

LUMA = np.array([0.212656, 0.715158, 0.072186])
"""Rec. 709 luminance weights of linear RGB."""

# Distortion parameters per level (1 = mild, 3 = strong); each is jittered by exp(U(-0.2, 0.2)).
SDR_DISTORTIONS: dict[str, tuple[float, ...]] = {
    "noise": (5.0, 12.0, 25.0),  # Gaussian noise std, 8-bit code values
    "blur": (0.8, 1.6, 3.0),  # Gaussian blur sigma, pixels
    "jpeg": (35.0, 15.0, 6.0),  # JPEG quality
    "contrast": (0.75, 0.5, 0.3),  # contrast scale around the mean
    "quantize": (24.0, 10.0, 5.0),  # code levels per channel
}
HDR_DISTORTIONS: dict[str, tuple[float, ...]] = {
    "dark_noise": (0.15, 0.4, 1.0),  # signal-dependent noise std = k * sqrt(L), sqrt(cd/m^2)
    "highlight_clip": (99.0, 95.0, 85.0),  # clip at this luminance percentile
    "banding": (12.0, 6.0, 3.0),  # log10-luminance quantisation steps per decade
    "tone_curve": (0.8, 0.62, 0.45),  # exponent of a contrast curve around the log-mean
    "blur": (0.8, 1.6, 3.0),  # Gaussian blur sigma in linear light, pixels
}


def load_reference(file_name: str, height: int, width: int) -> np.ndarray:
    """A bundled sample image, centre-cropped to the aspect and resized: uint8 (H, W, 3) sRGB."""
    path = Path(skimage.data.__file__).parent / file_name
    pixels = cv2.imread(str(path), cv2.IMREAD_COLOR_RGB)
    if pixels is None:
        raise FileNotFoundError(f"{path}: scikit-image sample image missing")
    h, w = pixels.shape[:2]
    if h / w > height / width:
        crop = round(w * height / width)
        pixels = pixels[(h - crop) // 2 : (h - crop) // 2 + crop]
    else:
        crop = round(h * width / height)
        pixels = pixels[:, (w - crop) // 2 : (w - crop) // 2 + crop]
    return cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA)


def expand_to_hdr(srgb: np.ndarray, peak: float, black: float = 0.02) -> np.ndarray:
    """uint8 sRGB -> float32 absolute luminance (cd/m^2) with highlights up to ``peak``.

    Luma-encoded luminance is mapped log-linearly onto [black, peak] (several decades) and the
    linear RGB chromaticity is kept.
    """
    linear = srgb_eotf(torch.from_numpy(srgb).double() / 255.0).numpy()
    luminance = linear @ LUMA
    encoded = np.clip(luminance, 0, 1) ** (1 / 2.2)
    target = black * (peak / black) ** encoded
    hdr = linear * (target / np.maximum(luminance, 1e-4))[..., None]
    return np.maximum(hdr, black * 0.1).astype(np.float32)


def distort_sdr(image: np.ndarray, kind: str, param: float, rng: np.random.Generator) -> np.ndarray:
    """Apply one SDR distortion to uint8 (H, W, 3) and return uint8 (H, W, 3)."""
    x = image.astype(np.float64)
    if kind == "noise":
        x = x + rng.normal(0.0, param, x.shape)
    elif kind == "blur":
        x = cv2.GaussianBlur(x, (0, 0), param)
    elif kind == "jpeg":
        ok, buf = cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(param)])
        assert ok
        x = cv2.imdecode(buf, cv2.IMREAD_COLOR_RGB).astype(np.float64)
    elif kind == "contrast":
        x = x.mean() + param * (x - x.mean())
    elif kind == "quantize":
        levels = max(round(param), 2) - 1
        x = np.round(x / 255.0 * levels) / levels * 255.0
    else:
        raise ValueError(f"unknown SDR distortion {kind!r}")
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def distort_hdr(image: np.ndarray, kind: str, param: float, rng: np.random.Generator) -> np.ndarray:
    """Apply one HDR distortion to float32 cd/m^2 (H, W, 3) and return float32 cd/m^2."""
    x = image.astype(np.float64)
    if kind == "dark_noise":
        x = x + rng.normal(0.0, 1.0, x.shape) * param * np.sqrt(x)
    elif kind == "highlight_clip":
        x = np.minimum(x, np.percentile(x @ LUMA, min(param, 99.9)))
    elif kind == "banding":
        x = 10 ** (np.round(np.log10(np.maximum(x, 1e-3)) * param) / param)
    elif kind == "tone_curve":
        mean = np.exp(np.log(np.maximum(x @ LUMA, 1e-3)).mean())
        x = mean * (np.maximum(x, 1e-3) / mean) ** param
    elif kind == "blur":
        x = cv2.GaussianBlur(x, (0, 0), param)
    else:
        raise ValueError(f"unknown HDR distortion {kind!r}")
    return np.maximum(x, 1e-3).astype(np.float32)


def quality_label(ref_luminance: np.ndarray, dist_luminance: np.ndarray) -> float:
    """Target of a pair: 1 - SSIM between PU21-encoded luminance (Y) images.

    Inputs are (H, W, 3) linear RGB in cd/m^2. Y is PU21-encoded (banding_glare) and divided by
    P(10000), SSIM uses an 11-tap Gaussian window (sigma 1.5) with data range 1. The result is in
    the project's direction: 0 for identical images, larger = worse.
    """
    pu = PU21()

    def encode(rgb: np.ndarray) -> torch.Tensor:
        return pu.encode(torch.from_numpy(rgb.astype(np.float64) @ LUMA)) / pu.p_max

    ssim = structural_similarity(
        encode(ref_luminance).numpy(),
        encode(dist_luminance).numpy(),
        data_range=1.0,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
    )
    return float(1.0 - ssim)


def sdr_luminance(image: np.ndarray) -> np.ndarray:
    """uint8 sRGB (H, W, 3) -> cd/m^2 on :data:`LABEL_DISPLAY`."""
    return LABEL_DISPLAY.to_luminance(torch.from_numpy(image).double() / 255.0).double().numpy()
