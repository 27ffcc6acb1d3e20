"""ColorVideoVDP (Mantiuk et al., SIGGRAPH 2024) as a baseline, from the ``cvvdp`` package.

https://github.com/gfxdisp/ColorVideoVDP. The metric gets absolute linear BT.709 RGB in cd/m^2
from this project's display model (:class:`~hdr_iqa.photometry.chain.LuminanceChain`: black
level and screen reflections already included), so its own photometric model is the identity:
``BT.709-linear`` with no ambient light and no reflection (building it from the display's
parameters instead would add the reflections twice), a peak of 10,000 cd/m^2 (the luminance
range of PU21 and PQ; it only clips) and a floor of 0.005 cd/m^2 (ColorVideoVDP's own minimum).
The viewing geometry (pixels per degree) is that of a named ColorVideoVDP display,
``standard_4k`` by default (30-inch 4K at 0.75 m, 75.4 pixels per degree).

The metric runs on the CPU (inputs move there and the scores back), one image at a time, and
reports JOD (10 = no visible difference); :data:`~hdr_iqa.models.baselines.BASELINE_DIRECTION`
maps it to ``10 - JOD``. Everything it reads ships with the package: nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import torch

from hdr_iqa.errors import ConfigError
from hdr_iqa.models._registry import register_model
from hdr_iqa.models.baselines import BaselineMetric

PEAK = 10000.0
"""Highest luminance passed to ColorVideoVDP (cd/m^2)."""
FLOOR = 0.005
"""Lowest luminance passed to ColorVideoVDP (cd/m^2); its linear model clips at max(0.005,
peak / contrast)."""


@register_model("cvvdp")
class CVVDP(BaselineMetric):
    """ColorVideoVDP on absolute luminance; quality = 10 - JOD.

    Args:
        geometry: ColorVideoVDP display whose viewing geometry is used (``display_models.json``
            of the package, e.g. ``standard_4k``, ``standard_fhd``).
        ppd: pixels per degree; overrides ``geometry``'s when set.
    """

    name, scheme = "cvvdp", "luminance"

    def __init__(self, geometry: str = "standard_4k", ppd: float | None = None) -> None:
        super().__init__()
        import pycvvdp  # imported here: it is slow to import and only this baseline needs it

        photometry = pycvvdp.vvdp_display_photo_eotf(
            PEAK, contrast=PEAK / FLOOR, source_colorspace="BT.709-linear", E_ambient=0, k_refl=0
        )
        if ppd is not None:
            shape = pycvvdp.vvdp_display_geometry((3840, 2160), ppd=float(ppd))
        else:
            try:
                shape = pycvvdp.vvdp_display_geometry.load(geometry)
            except RuntimeError:
                raise ConfigError(
                    f"model.net.geometry: ColorVideoVDP has no display {geometry!r}; see "
                    f"{Path(pycvvdp.__file__).parent / 'vvdp_data' / 'display_models.json'}"
                ) from None
        self.metric = pycvvdp.cvvdp(
            display_name=geometry,
            display_photometry=photometry,
            display_geometry=shape,
            device=torch.device("cpu"),
            quiet=True,
        )
        self.ppd = float(shape.get_ppd())

    def raw_score(self, ref: torch.Tensor, dist: torch.Tensor) -> torch.Tensor:
        """JOD (B,) of (B, 3, H, W) linear RGB in cd/m^2."""
        scores = []
        with torch.inference_mode():
            for r, d in zip(ref.cpu(), dist.cpu(), strict=True):
                jod, _ = self.metric.predict(d[:, None, None], r[:, None, None], dim_order="CBFHW")
                scores.append(float(jod))
        return torch.tensor(scores, dtype=torch.float32, device=ref.device)

    def extra_repr(self) -> str:
        """The pixels per degree in the module's printout."""
        return f"ppd={self.ppd:.1f}"
