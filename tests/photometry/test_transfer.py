"""Transfer functions against their standards' golden values, and round trips."""

import math

import pytest
import torch

from hdr_iqa.photometry.colour import (
    BT2020_TO_BT709,
    LUMA_BT709,
    LUMA_BT2020,
    bt709_to_bt2020,
    bt2020_to_bt709,
    luminance,
)
from hdr_iqa.photometry.transfer import (
    gamma_eotf,
    gamma_inverse_eotf,
    gamma_or_srgb_eotf,
    hlg_eotf,
    hlg_inverse_eotf,
    hlg_inverse_oetf,
    hlg_oetf,
    hlg_system_gamma,
    pq_eotf,
    pq_inverse_eotf,
    srgb_eotf,
    srgb_inverse_eotf,
)

CODES = torch.linspace(0, 1, 1025, dtype=torch.float64)


def test_pq_golden_values():
    # SMPTE ST 2084 reference points: 100 cd/m^2 at code 0.508078, 1000 at 0.751827
    luminance = torch.tensor([0.0, 100.0, 1000.0, 10000.0], dtype=torch.float64)
    assert pq_inverse_eotf(luminance)[1:].tolist() == pytest.approx(
        [0.5080784, 0.7518271, 1.0], abs=1e-7
    )
    assert pq_eotf(torch.tensor([0.0, 1.0])).tolist() == [0.0, 10000.0]


def test_pq_round_trip():
    # codes below c1 ** m2 = 7.3e-7 all mean 0 cd/m^2
    assert torch.allclose(pq_inverse_eotf(pq_eotf(CODES[1:])), CODES[1:], atol=1e-9)


def test_hlg_oetf_golden_values_and_round_trip():
    scene = torch.tensor([0.0, 1 / 12, 1.0], dtype=torch.float64)
    assert hlg_oetf(scene).tolist() == pytest.approx([0.0, 0.5, 1.0], abs=1e-7)
    assert torch.allclose(hlg_oetf(hlg_inverse_oetf(CODES)), CODES, atol=1e-9)


def test_hlg_ootf_scales_by_the_scene_luminance():
    rgb = torch.tensor([0.75, 0.5, 0.25], dtype=torch.float64).view(3, 1, 1)
    scene = hlg_inverse_oetf(rgb)
    y = sum(c * s for c, s in zip(LUMA_BT2020, scene.flatten().tolist(), strict=True))
    expected = y ** (1.25 - 1) * scene
    assert torch.allclose(hlg_eotf(rgb, 1.25), expected, rtol=1e-12)
    # grey: display light = scene light ** gamma
    assert hlg_eotf(torch.tensor([0.5], dtype=torch.float64), 1.2).item() == pytest.approx(
        (0.25 / 3) ** 1.2
    )


def test_hlg_eotf_round_trip_on_colours():
    torch.manual_seed(0)
    rgb = torch.rand(3, 16, 16, dtype=torch.float64) * 0.98 + 0.01
    assert torch.allclose(hlg_inverse_eotf(hlg_eotf(rgb, 1.251), 1.251), rgb, atol=1e-9)


def test_hlg_system_gamma_as_cvvdp():
    assert hlg_system_gamma(1000.0, 10.0).item() == pytest.approx(1.2)
    expected = 1.2 + 0.42 * math.log10(1.5) - 0.07623 * math.log10(2)
    assert hlg_system_gamma(1500.0, 10.0).item() == pytest.approx(expected, rel=1e-6)


def test_srgb_round_trip():
    assert torch.allclose(srgb_inverse_eotf(srgb_eotf(CODES)), CODES, atol=1e-12)


@pytest.mark.parametrize("eotf", [srgb_eotf, lambda v, out=None: gamma_eotf(v, 2.2, out=out)])
def test_in_place_eotfs_equal_the_out_of_place_ones(eotf):
    values = torch.rand(4, 3, 17, 9, generator=torch.Generator().manual_seed(0))
    values[0, 0, 0, :3] = torch.tensor([0.0, 0.04045, 1.0])  # ends and the sRGB knee
    expected = eotf(values)
    block = values.clone()
    assert eotf(block, out=block) is block
    assert torch.equal(block, expected)


def test_mixed_gamma_and_srgb_eotf_equals_each_curve():
    values = CODES.view(1, -1).expand(2, -1)
    mixed = gamma_or_srgb_eotf(values, 2.4, torch.tensor([[0.0], [1.0]], dtype=torch.float64))
    assert torch.allclose(mixed[0], gamma_eotf(CODES, 2.4), rtol=1e-14, atol=0)
    assert torch.allclose(mixed[1], srgb_eotf(CODES), rtol=1e-14, atol=0)
    assert torch.allclose(gamma_inverse_eotf(gamma_eotf(CODES, 2.2), 2.2), CODES, atol=1e-12)


def test_primaries_keep_white_and_luminance():
    assert torch.allclose(BT2020_TO_BT709.sum(dim=1), torch.ones(3, dtype=torch.float64))
    # Y of a BT.2020 colour with BT.2020 weights = Y of its BT.709 version with BT.709 weights
    luma709 = torch.tensor(LUMA_BT709, dtype=torch.float64)
    assert torch.allclose(luma709 @ BT2020_TO_BT709, torch.tensor(LUMA_BT2020).double(), atol=1e-4)
    colour = torch.tensor([0.2, 0.5, 0.3], dtype=torch.float64).view(3, 1, 1)
    y2020 = luminance(colour, "bt2020")
    assert torch.allclose(luminance(bt2020_to_bt709(colour), "bt709"), y2020, rtol=1e-12)
    assert y2020.item() == pytest.approx(0.2627 * 0.2 + 0.678 * 0.5 + 0.0593 * 0.3, rel=1e-4)
    grey = torch.full((3, 2, 2), 5.0, dtype=torch.float64)
    assert torch.allclose(bt709_to_bt2020(grey), grey)
