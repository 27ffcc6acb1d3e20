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
