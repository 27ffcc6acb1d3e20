"""Inputs of the scoring API: image files, arrays or tensors, and the display they are shown on.

Units and layouts accepted for one image:

* a file path: PNG/JPEG/BMP/TIFF are display-encoded (shown on a display model), EXR (and the
  other formats :func:`hdr_iqa.io.image_encoding` lists as luminance) hold cd/m^2;
* a numpy array (H, W, 3) or (H, W) in file layout, or a tensor (3, H, W): ``uint8`` is
  display-encoded 0..255; a float array is display-encoded [0, 1] when a display is given, or
  absolute luminance in cd/m^2 with ``display="absolute"``.

``display`` is a preset name from ``conf/display/`` (e.g. ``"sdr_100"``, ``"hdr_5000"``), a
:class:`DisplayModel`, ``"absolute"`` for luminance data, or None: display-encoded inputs are then
shown on the checkpoint's training display, HDR files are read as absolute luminance.

Values are checked as files are (:func:`check_values`): NaN or infinite values are refused;
display-encoded floats must lie in [0, 1]; luminance must be non-negative (tiny negative values
are clamped, as in :func:`hdr_iqa.io.clean_luminance`) and not all zero. Errors name the
argument (``ref``/``dist``) and what was found.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from hdr_iqa.errors import ConfigError, DataError
from hdr_iqa.io import (
    clean_luminance,
    container_values,
    image_encoding,
    read_image,
)
from hdr_iqa.photometry import DisplayModel
from hdr_iqa.utils.config import config_dir

ABSOLUTE = "absolute"
"""``display`` value for inputs in absolute luminance (cd/m^2)."""
ImageLike = str | Path | np.ndarray | torch.Tensor
DisplayLike = str | DisplayModel | Mapping | None
Encoding = Literal["display", "luminance"]


@dataclass(frozen=True)
class Image:
    """A decoded input.

    Attributes:
        pixels: (H, W, 3) uint8 (display-encoded 0..255) or float32 (display-encoded [0, 1], or
            cd/m^2 when ``encoding`` is luminance).
        encoding: ``"display"``, ``"luminance"``, or None for a float array whose meaning the
            ``display`` argument decides.
        name: the file path, or a description of the array (used in messages).
    """

    pixels: torch.Tensor
    encoding: Encoding | None
    name: str

    @property
    def size(self) -> str:
        """``"<width>x<height>"`` in pixels, e.g. ``"1920x1080"``."""
        return f"{self.pixels.shape[1]}x{self.pixels.shape[0]}"


def load_image(image: ImageLike, role: str = "image") -> Image:
    """Read a file or wrap an array/tensor as (H, W, 3) pixels; ``role`` names it in errors."""
    if isinstance(image, str | Path):
        return Image(torch.from_numpy(read_image(image)), image_encoding(image), str(image))
    if isinstance(image, torch.Tensor):
        if image.dim() != 3 or image.shape[0] not in (1, 3):
            raise DataError(f"{role}: expected a (3, H, W) tensor, got {tuple(image.shape)}")
        array = image.detach().cpu().expand(3, -1, -1).permute(1, 2, 0).numpy()
        name = f"{role} tensor {tuple(image.shape)}"
    elif isinstance(image, np.ndarray):
        array = image[:, :, None] if image.ndim == 2 else image
        if array.ndim != 3 or array.shape[2] not in (1, 3):
            raise DataError(f"{role}: expected an (H, W, 3) array, got {image.shape}")
        array = np.broadcast_to(array, (*array.shape[:2], 3))
        name = f"{role} array {image.shape}"
    else:
        raise DataError(
            f"{role}: expected a file path, a numpy array or a tensor, got {type(image).__name__}"
        )
    if array.dtype != np.uint8 and not np.issubdtype(array.dtype, np.floating):
        raise DataError(f"{name}: expected uint8 or floating-point pixels, got {array.dtype}")
    dtype = np.uint8 if array.dtype == np.uint8 else np.float32
    if dtype == np.float32 and not np.isfinite(array).all():
        bad = int((~np.isfinite(array)).sum())
        raise DataError(f"{name}: {bad} NaN or infinite values; pixels must be finite numbers")
    pixels = np.ascontiguousarray(array, dtype=dtype)
    if not pixels.flags.writeable:  # a broadcast view, or the caller's read-only array
        pixels = pixels.copy()
    return Image(torch.from_numpy(pixels), "display" if dtype == np.uint8 else None, name)


def resolve_display(
    display: DisplayLike, images: list[Image], default: DisplayModel | None
) -> DisplayModel:
    """The display of a pair, checked against the encodings of its images."""
    encodings = {i.encoding for i in images}
    if len(encodings) > 1:
        described = ", ".join(f"{i.name} ({i.encoding or 'float array'})" for i in images)
        raise DataError(f"reference and distorted image are encoded differently: {described}")
    encoding, names = encodings.pop(), " and ".join(i.name for i in images)
    chosen = as_display(display)
    if encoding == "luminance":
        if chosen is not None and not chosen.absolute:
            raise ConfigError(
                f"{names}: HDR files hold absolute luminance (cd/m^2) and are shown on no display, "
                f"but display={_describe(display)} was given; give no display for HDR files, "
                "or pass display-encoded files (PNG/JPEG/BMP/TIFF)"
            )
        return DisplayModel.absolute_luminance()
    if chosen is None:
        if encoding is None:
            raise ConfigError(
                f"{names}: float pixels need a display: display={ABSOLUTE!r} for absolute "
                "luminance in cd/m^2, or a display preset (e.g. 'sdr_100') for [0, 1] values"
            )
        if default is None:
            raise ConfigError(f"{names}: display-encoded input needs a display (e.g. sdr_100)")
        return default
    if chosen.absolute and encoding == "display":
        raise ConfigError(
            f"{names}: display-encoded (SDR) input given with display={ABSOLUTE!r} (HDR, "
            "cd/m^2); give the display it is shown on (e.g. display=sdr_100), or pass HDR "
            "files in absolute luminance"
        )
    return chosen


def container_pixels(image: Image, display: DisplayModel) -> torch.Tensor:
    """The pixels of ``image``, with a 16-bit file's values read as ``display.bits``-bit codes."""
    if image.encoding != "display" or not display.bits or not image.pixels.is_floating_point():
        return image.pixels
    return torch.from_numpy(container_values(image.pixels.numpy(), display.bits, image.name))


DISPLAY_TOLERANCE = 1e-6
"""Display-encoded floats may stray this far outside [0, 1] (rounding)."""


def check_values(images: list[Image], display: DisplayModel) -> list[Image]:
    """``images`` with their values checked for ``display`` (from :func:`resolve_display`).

    Float arrays shown on a display must be in [0, 1]; arrays in cd/m^2 (``display.absolute``)
    go through :func:`~hdr_iqa.io.clean_luminance` (tiny negatives clamped, a copy then
    replaces the pixels; the caller's array is never changed). Files were checked when read.
    """
    checked = []
    for image in images:
        pixels = image.pixels
        if image.encoding is None and display.absolute:
            values = pixels.numpy()
            cleaned = clean_luminance(values, image.name)
            if cleaned is not values:
                image = dataclasses.replace(image, pixels=torch.from_numpy(cleaned))
        elif image.encoding is None:
            low, high = float(pixels.min()), float(pixels.max())
            if low < -DISPLAY_TOLERANCE or high > 1.0 + DISPLAY_TOLERANCE:
                below, above = int((pixels < 0).sum()), int((pixels > 1).sum())
                raise DataError(
                    f"{image.name}: display-encoded float values must be in [0, 1], found "
                    + (f"up to {high:.4g} ({above} above 1)" if above else "")
                    + (", " if above and below else "")
                    + (f"down to {low:.4g} ({below} below 0)" if below else "")
                    + f"; for luminance in cd/m^2 use display={ABSOLUTE!r}"
                )
        checked.append(image)
    return checked


def as_display(display: DisplayLike) -> DisplayModel | None:
    """``display`` as a :class:`DisplayModel` (None stays None)."""
    if display is None or isinstance(display, DisplayModel):
        return display
    if isinstance(display, str):
        return DisplayModel.absolute_luminance() if display == ABSOLUTE else display_preset(display)
    if isinstance(display, Mapping):
        return _instantiate_display(dict(display), "display")
    raise ConfigError(
        f"display must be a preset name, 'absolute', a DisplayModel or None, got {display!r}"
    )


@functools.lru_cache(maxsize=32)
def display_preset(name: str) -> DisplayModel:
    """The display preset ``conf/display/<name>.yaml`` (composed like the command line does)."""
    return _instantiate_display(config_option("display", name), f"display={name}")


def config_option(group: str, name: str) -> dict:
    """The resolved config of option ``name`` of ``conf/<group>/`` (as ``group=name`` composes
    it); an unknown name lists the options."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.initialize import get_gh_backup, restore_gh_from_backup
    from omegaconf import OmegaConf

    files = (Path(config_dir()) / group).glob("*.yaml")
    options = sorted(p.stem for p in files if not p.stem.startswith("_"))  # _*: shared bases
    if name not in options:
        close = difflib.get_close_matches(name, options, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        kind, extra = "options", ""
        if group == "display":
            kind, extra = "presets", f" (or {ABSOLUTE!r} for cd/m^2)"
        raise ConfigError(f"unknown {group} {name!r}; {kind}: {options}{extra}.{hint}")
    backup = get_gh_backup()  # the API may run inside a Hydra application
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
            config = compose(config_name=None, overrides=[f"+{group}={name}"])[group]
    finally:
        restore_gh_from_backup(backup)
    return OmegaConf.to_container(config, resolve=True)


def _instantiate_display(config: dict[str, Any], key: str) -> DisplayModel:
    import hydra

    try:
        if "_target_" in config:
            return hydra.utils.instantiate(config)
        return DisplayModel(**config)
    except Exception as error:
        cause = error.__cause__ or error
        raise ConfigError(f"{key}: not a valid display ({cause})") from None


def describe_display(display: DisplayModel) -> str:
    """Short description, e.g. ``100 cd/m^2 peak, 1000:1, gamma 2.2, 100 lux``."""
    if display.absolute:
        return "absolute (cd/m^2)"
    curve, peak = display.curve, display.peak
    return f"{peak:g} cd/m^2 peak, {display.contrast:g}:1, {curve}, {display.ambient:g} lux"


def _describe(display: DisplayLike) -> str:
    if isinstance(display, DisplayModel):
        return f"<{describe_display(display)}>"
    return repr(display) if isinstance(display, str) else type(display).__name__
