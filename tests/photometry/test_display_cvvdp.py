"""The hdr_pq / hdr_hlg presets give the absolute luminance of ColorVideoVDP's display models."""

from dataclasses import replace

import hydra
import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from hdr_iqa.photometry import DisplayModel
from hdr_iqa.photometry.colour import BT2020_TO_BT709, luminance
from hdr_iqa.utils.config import config_dir

pycvvdp = pytest.importorskip("pycvvdp")

PRESETS = {"hdr_pq": "standard_hdr_pq", "hdr_hlg": "standard_hdr_hlg"}
LEVELS = torch.linspace(0, 1, 18, dtype=torch.float64)
RTOL = 5e-5
"""The project runs in float32: PQ's steep curve (d ln L / d ln V up to ~400) turns the float32
rounding of a code value (6e-8) into up to ~2.4e-5 relative luminance; cvvdp runs in float64."""


def preset(name: str) -> DisplayModel:
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        cfg = compose("train", overrides=[f"display={name}"])
    GlobalHydra.instance().clear()
    return hydra.utils.instantiate(cfg.display)


def colour_grid() -> torch.Tensor:
    """Every combination of 18 code values per channel: (3, 18*18, 18) float64."""
    r, g, b = torch.meshgrid(LEVELS, LEVELS, LEVELS, indexing="ij")
    return torch.stack([r, g, b]).reshape(3, 18 * 18, 18)


@pytest.mark.parametrize("name", PRESETS)
def test_preset_parameters_are_cvvdps(name):
    cvvdp = pycvvdp.vvdp_display_photometry.load(PRESETS[name], [])
    display = preset(name)
    assert (display.peak, display.contrast, display.ambient, display.reflectivity) == (
        cvvdp.Y_peak,
        cvvdp.contrast,
        cvvdp.E_ambient,
        cvvdp.k_refl,
    )
    assert cvvdp.EOTF.lower() == display.eotf and display.colorspace == "bt2020"


@pytest.mark.parametrize("name", PRESETS)
def test_absolute_linear_rgb_matches_cvvdp(name):
    cvvdp = pycvvdp.vvdp_display_photometry.load(PRESETS[name], [])
    codes = colour_grid()
    expected = cvvdp.forward(codes[:, None].unsqueeze(0)).squeeze(0).squeeze(1)  # (3, 324, 18)
    # the same display in its native (BT.2020) primaries, before the conversion for the networks
    native = replace(preset(name), colorspace="bt709").to_luminance(codes.float()).double()
    assert torch.allclose(native, expected, rtol=RTOL, atol=1e-6)
    assert expected.max() == pytest.approx(1500.0, rel=1e-3)


@pytest.mark.parametrize("name", PRESETS)
def test_luminance_matches_cvvdp(name):
    """Y (cd/m^2) of every in-gamut grid colour agrees with cvvdp's ``Y`` colour space."""
    cvvdp = pycvvdp.vvdp_display_photometry.load(PRESETS[name], [])
    codes = colour_grid()
    expected = cvvdp.source_2_target_colorspace(codes[:, None].unsqueeze(0), "Y").flatten()
    ours = luminance(preset(name).to_luminance(codes.float()).double(), "bt709", 0).flatten()
    native = cvvdp.forward(codes[:, None].unsqueeze(0)).squeeze(0).squeeze(1)
    in_gamut = ((BT2020_TO_BT709 @ native.reshape(3, -1)) >= 0).all(dim=0)
    assert in_gamut.sum() > 300  # greys and unsaturated colours
    assert torch.allclose(ours[in_gamut], expected[in_gamut], rtol=RTOL, atol=1e-6)
