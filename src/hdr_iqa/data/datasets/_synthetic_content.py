"""Content of the embedded synthetic dataset: references, HDR expansion, distortions, labels.

Everything is deterministic given a NumPy generator; see :mod:`.synthetic` for the layout.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import skimage
import torch

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


LABEL_BANDS: tuple[tuple[float, float], ...] = ((0.7, 0.55), (1.4, 1.0), (2.8, 0.85), (5.6, 0.45))
"""Band-pass channels of the label's visible-difference model: (sigma in pixels of the finer
Gaussian of a difference of Gaussians (the coarser one has twice the sigma), sensitivity).
The sensitivities peak at the middle bands, a band-pass contrast sensitivity as in the CSF."""

MASKING_SLOPE, MASKING_EXPONENT = 6.0, 0.7
"""Contrast masking: an error is divided by ``1 + MASKING_SLOPE * |c_ref|^MASKING_EXPONENT``,
where c_ref is the reference's local band contrast (PU / P_max, energy in a 2-sigma window)."""

POOLING_EXPONENT, LABEL_SCALE = 3.0, 0.035
"""Minkowski pooling exponent over pixels and bands, and the pooled difference that maps to
a label of 1 - 1/e (``1 - exp(-d / LABEL_SCALE)``)."""


def quality_label(ref_luminance: np.ndarray, dist_luminance: np.ndarray) -> float:
    """Target of a pair: a small visible-difference model, in [0, 1) (0 = identical, larger =
    worse). No shipped baseline (PSNR, SSIM, PU-PSNR, PU-SSIM, ColorVideoVDP) computes it.

    Inputs are (H, W, 3) linear RGB in cd/m^2. The model:

    1. **Luminance adaptation**: Y is PU21-encoded (banding_glare) and divided by P(10000), so
       equal steps are about equally visible at every adaptation level.
    2. **Frequency weighting**: the reference and the distorted image are split into band-pass
       channels (differences of Gaussians, :data:`LABEL_BANDS`); each band's error is weighted
       by a band-pass contrast sensitivity.
    3. **Contrast masking**: each band's error is divided by a function of the reference's local
       contrast energy in that band (:data:`MASKING_SLOPE`, :data:`MASKING_EXPONENT`): errors
       hide in texture, show in flat regions. The band below the finest (the local mean, i.e.
       a luminance shift) is weighted like the coarsest band, unmasked.
    4. **Pooling**: Minkowski pooling (:data:`POOLING_EXPONENT`) over pixels and bands, then
       ``1 - exp(-d / LABEL_SCALE)``, which saturates like a psychometric function.
    """
    pu = PU21()

    def encode(rgb: np.ndarray) -> np.ndarray:
        y = torch.from_numpy(rgb.astype(np.float64) @ LUMA)
        return (pu.encode(y) / pu.p_max).numpy()

    ref, dist = encode(ref_luminance), encode(dist_luminance)
    error = dist - ref
    maps = []
    for sigma, sensitivity in LABEL_BANDS:
        band_error = _band(error, sigma)
        contrast = np.sqrt(cv2.GaussianBlur(_band(ref, sigma) ** 2, (0, 0), 2 * sigma))
        masking = 1.0 + MASKING_SLOPE * contrast**MASKING_EXPONENT
        maps.append(sensitivity * np.abs(band_error) / masking)
    coarsest = LABEL_BANDS[-1]
    maps.append(coarsest[1] * np.abs(cv2.GaussianBlur(error, (0, 0), 2 * coarsest[0])))
    pooled = float(np.mean(np.stack(maps) ** POOLING_EXPONENT) ** (1.0 / POOLING_EXPONENT))
    return float(1.0 - np.exp(-pooled / LABEL_SCALE))


def _band(image: np.ndarray, sigma: float) -> np.ndarray:
    """Difference-of-Gaussians band of a (H, W) float64 image: blur(sigma) - blur(2 sigma)."""
    return cv2.GaussianBlur(image, (0, 0), sigma) - cv2.GaussianBlur(image, (0, 0), 2 * sigma)


def sdr_luminance(image: np.ndarray) -> np.ndarray:
    """uint8 sRGB (H, W, 3) -> cd/m^2 on :data:`LABEL_DISPLAY`."""
    return LABEL_DISPLAY.to_luminance(torch.from_numpy(image).double() / 255.0).double().numpy()
