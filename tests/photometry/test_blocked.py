"""The blocked CPU chain against the vectorised one, for every display preset."""

import pytest
import torch

from hdr_iqa.photometry import NUM_PARAMS, PhotometricChain, display_to_luminance
from hdr_iqa.photometry.blocked import BLOCK_ELEMENTS
from tests.photometry.conftest import PRESETS

SHAPE = (2, 3, 97, 311)  # more than one block per sample, blocks narrower than a row
assert SHAPE[1] * SHAPE[2] * SHAPE[3] > BLOCK_ELEMENTS


@pytest.mark.parametrize("scheme", ["pmax", "n255"])
@pytest.mark.parametrize("name", PRESETS)
def test_blocked_path_equals_the_vectorised_chain_for_every_preset(display_presets, name, scheme):
    generator = torch.Generator().manual_seed(PRESETS.index(name))
    chain = PhotometricChain(scheme).eval()
    params = display_presets[name].params().expand(SHAPE[0], -1)
    pixels = torch.randint(0, 256, SHAPE, dtype=torch.uint8, generator=generator)
    values = torch.rand(SHAPE, generator=generator)
    for images in (pixels, values):
        fast, reference = chain(images, params), chain._vectorised(images, params)
        assert fast.dtype == torch.float32 and fast.shape == images.shape
        torch.testing.assert_close(fast, reference, rtol=2e-6, atol=2e-6)  # float32 rounding


@pytest.mark.parametrize("name", PRESETS)
def test_in_place_display_equals_the_out_of_place_one(display_presets, name):
    values = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    params = display_presets[name].params()
    expected = display_to_luminance(values, params)
    block = values.clone()
    assert display_to_luminance(block, params, inplace=True) is block
    assert torch.equal(block, expected)
    batch = params.expand(len(values), -1)  # the per-sample (device) form: float32 rounding
    torch.testing.assert_close(display_to_luminance(values, batch), expected)


def test_in_place_display_needs_float32():
    values, params = torch.zeros(3, 2, 2, dtype=torch.float64), torch.zeros(NUM_PARAMS)
    with pytest.raises(TypeError, match=r"needs float32, got torch\.float64"):
        display_to_luminance(values, params, inplace=True)
