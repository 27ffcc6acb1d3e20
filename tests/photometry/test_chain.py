"""Normalisation schemes and the on-device chain (reference-spec sections 3 and 12)."""

import pytest
import torch

from hdr_iqa.models.base import IMAGENET_MEAN, IMAGENET_STD
from hdr_iqa.photometry import PU21, DisplayModel, PhotometricChain, normalize_pu

SDR = DisplayModel(peak=100, contrast=1000, gamma=2.2, ambient=100, reflectivity=0.005)


def run_chain(chain, values, display=SDR):
    images = values.view(-1, 1, 1, 1).expand(-1, 3, 1, 1).contiguous()
    return chain.eval()(images, display.params().expand(len(values), -1))


def test_normalised_golden_values():
    v = PU21().encode(torch.tensor([100.0, 1000.0, 10000.0], dtype=torch.float64))
    assert normalize_pu(v, "pmax").tolist() == pytest.approx([0.4306122, 0.7055781, 1.0], abs=5e-7)
    assert normalize_pu(v, "n255").tolist() == pytest.approx([1.0, 1.6385464, 2.3222750], abs=5e-7)


def test_vit_inputs_end_to_end():
    v = torch.tensor([0.0, 0.5, 1.0])
    pmax = run_chain(PhotometricChain("pmax"), v)[:, 0, 0, 0]
    n255 = run_chain(PhotometricChain("n255"), v)[:, 0, 0, 0]
    assert pmax.tolist() == pytest.approx([-0.955786, -0.445603, -0.138429], abs=2e-6)
    assert n255.tolist() == pytest.approx([-0.897323, 0.287463, 1.000806], abs=2e-6)


def test_vgg_inputs_end_to_end():
    kwargs = {"mean": IMAGENET_MEAN, "std": IMAGENET_STD}
    half = torch.tensor([0.5])
    pmax = run_chain(PhotometricChain("pmax", **kwargs), half)[0, :, 0, 0]
    n255 = run_chain(PhotometricChain("n255", **kwargs), half)[0, :, 0, 0]
    assert pmax.tolist() == pytest.approx([-0.907429, -0.798220, -0.572450], abs=2e-6)
    assert n255.tolist() == pytest.approx([0.693151, 0.838087, 1.056585], abs=2e-6)


def test_uint8_and_float_inputs_agree():
    chain = PhotometricChain("pmax").eval()
    codes = torch.arange(256, dtype=torch.uint8).view(1, 1, 1, 256).expand(1, 3, 1, 256)
    params = SDR.params().unsqueeze(0)
    assert torch.allclose(chain(codes, params), chain(codes.float() / 255, params), atol=1e-6)


def test_srgb_scheme_passes_display_values_and_shows_luminance_on_sdr_display():
    chain = PhotometricChain("srgb", mean=(0, 0, 0), std=(1, 1, 1)).eval()
    v = torch.tensor([0.0, 0.25, 1.0])
    assert torch.allclose(run_chain(chain, v)[:, 0, 0, 0], v)
    luminance = torch.tensor([0.05, 50.0, 4000.0])
    shown = run_chain(chain, luminance, DisplayModel.absolute_luminance())[:, 0, 0, 0]
    assert shown[0] == 0 and 0 < shown[1] < 1 and shown[2] == 1  # black clips, highlights clip


def test_chain_stays_float32_under_autocast():
    chain = PhotometricChain("pmax").eval()
    images = torch.rand(2, 4, 3, 8, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = chain(images, SDR.params().expand(2, -1))
    assert out.dtype == torch.float32
    assert torch.equal(out, chain(images, SDR.params().expand(2, -1)))


def test_display_jitter_only_in_training():
    random_display = DisplayModel(peak=100, ambient=100, peak_std=10, ambient_std=25)
    chain = PhotometricChain("pmax")
    images = torch.full((4, 3, 2, 2), 0.5)
    params = random_display.params().expand(4, -1)
    chain.eval()
    assert torch.equal(chain(images, params), chain(images, params))
    chain.train()
    assert not torch.equal(chain(images, params), chain(images, params))


def test_unknown_scheme_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"'p255'.*pmax"):
        PhotometricChain("p255")


def _mixed_displays(batch: int) -> torch.Tensor:
    """Every kind of display in one batch: gamma, sRGB EOTF, GOG reflections, absolute."""
    displays = [
        SDR,
        DisplayModel(peak=400, contrast=5000, eotf="srgb", ambient=300),
        DisplayModel(peak=200, gamma=2.4, reflection="gog", ambient=1000),
        DisplayModel.absolute_luminance(),
    ]
    return torch.stack([displays[i % len(displays)].params() for i in range(batch)])


@pytest.mark.parametrize("scheme", ["pmax", "n255"])
@pytest.mark.parametrize("shape", [(4, 3, 3, 64, 64), (4, 3, 37, 1500), (4, 2, 3, 16, 16)])
def test_blocked_cpu_path_equals_the_vectorised_chain(scheme, shape):
    """The CPU fast paths (in-place blocks, 8-bit lookup) compute the vectorised function."""
    generator = torch.Generator().manual_seed(0)
    chain = PhotometricChain(scheme, mean=IMAGENET_MEAN, std=IMAGENET_STD).eval()
    display = _mixed_displays(shape[0])
    pixels = torch.randint(0, 256, shape, dtype=torch.uint8, generator=generator)
    lookup, reference = chain(pixels, display), chain._vectorised(pixels, display)
    torch.testing.assert_close(lookup, reference, rtol=1e-6, atol=1e-6)  # float32 rounding
    values = torch.rand(shape, generator=generator)
    absolute = display[:, 0] > 0  # HDR samples in cd/m^2 over PU21's whole range
    values[absolute] = 10 ** (values[absolute] * 6.5 - 2.5)
    original = values.clone()
    fast, reference = chain(values, display), chain._vectorised(values, display)
    assert torch.equal(values, original)  # the input is not modified in place
    assert fast.dtype == torch.float32 and fast.shape == values.shape
    torch.testing.assert_close(fast, reference, rtol=2e-6, atol=2e-6)
    chain.blocked = False
    assert torch.equal(chain(values, display), reference)


@pytest.mark.parametrize("shape", [(3, 3, 40, 30), (3, 2, 3, 16, 16)])
def test_blocked_cpu_path_with_pq_hlg_and_bt2020_displays(shape):
    """PQ, HLG (channel-mixing OOTF) and BT.2020 samples: fast paths = vectorised chain."""
    generator = torch.Generator().manual_seed(1)
    chain = PhotometricChain("pmax").eval()
    hdr = {"peak": 1500, "contrast": 1e6, "ambient": 10, "colorspace": "bt2020"}
    displays = [SDR, DisplayModel(eotf="pq", **hdr), DisplayModel(eotf="hlg", **hdr)]
    display = torch.stack([d.params() for d in displays])
    pixels = torch.randint(0, 256, shape, dtype=torch.uint8, generator=generator)
    torch.testing.assert_close(chain(pixels, display), chain._vectorised(pixels, display))
    values = torch.rand(shape, generator=generator)
    fast, reference = chain(values, display), chain._vectorised(values, display)
    torch.testing.assert_close(fast, reference, rtol=2e-6, atol=2e-6)
