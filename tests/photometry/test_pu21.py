"""PU21 against the MATLAB reference values (reference-spec sections 1.3 and 12)."""

import pytest
import torch

from hdr_iqa.photometry import L_MAX, L_MIN, PU21, PU21_PARAMS

# L (cd/m^2) -> V with the MATLAB parameters (banding_glare), reference-spec 1.3
GOLDEN = [
    (0.01, 0.3722322097),
    (0.1, 5.7170738397),
    (1.0, 36.5439111394),
    (10.0, 123.6474835538),
    (100.0, 256.3838973127),
    (1000.0, 420.0969213492),
    (4000.0, 527.4939005367),
    (10000.0, 595.3939200201),
]
# P(0.005), P(100), P(10000) per variant, reference-spec 1.3 (near-zero values compared absolutely)
RANGES = {
    "banding": (-1.6e-07, 261.7517279, 520.4673070),
    "banding_glare": (5.0e-10, 256.3838973, 595.3939200),
    "peaks": (1.4e-07, 260.7249826, 380.9853161),
    "peaks_glare": (-9.7e-08, 252.2984883, 407.5066197),
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_encode_matches_matlab_golden_values(dtype):
    luminance = torch.tensor([x for x, _ in GOLDEN], dtype=dtype)
    expected = torch.tensor([v for _, v in GOLDEN], dtype=torch.float64)
    encoded = PU21("banding_glare").encode(luminance)
    assert encoded.dtype == dtype
    rel = ((encoded.double() - expected) / expected).abs().max().item()
    assert rel < (1e-6 if dtype == torch.float32 else 1e-9)


def test_lowest_luminance_encodes_to_about_zero():
    value = PU21().encode(torch.tensor([L_MIN, 0.0, -5.0]))
    assert torch.allclose(value, torch.zeros(3), atol=1e-6)


@pytest.mark.parametrize("variant", sorted(PU21_PARAMS))
def test_range_of_each_variant(variant):
    pu = PU21(variant)
    p_min, p_100, p_max = RANGES[variant]
    # MATLAB clamps the output at 0, so slightly negative reference minima become 0.
    assert pu.p_min == pytest.approx(max(p_min, 0.0), abs=1e-6)
    assert pu.p_100 == pytest.approx(p_100, rel=1e-8)
    assert pu.p_max == pytest.approx(p_max, rel=1e-8)


@pytest.mark.parametrize("variant", sorted(PU21_PARAMS))
def test_encode_is_monotonic_and_clamped(variant):
    pu = PU21(variant)
    luminance = torch.logspace(-3, 5, 2000, dtype=torch.float64)
    encoded = pu.encode(luminance)
    inside = (luminance > L_MIN) & (luminance < L_MAX)
    assert (encoded[inside].diff() > 0).all()
    assert encoded[luminance <= L_MIN].max() == pytest.approx(pu.p_min, abs=1e-12)
    assert encoded[luminance >= L_MAX].min() == pytest.approx(pu.p_max, rel=1e-12)


@pytest.mark.parametrize("variant", sorted(PU21_PARAMS))
def test_decode_inverts_encode(variant):
    pu = PU21(variant)
    luminance = torch.logspace(-2, 4, 500, dtype=torch.float64)  # above P's flat start
    assert torch.allclose(pu.decode(pu.encode(luminance)), luminance, rtol=1e-8, atol=0)
    fp32 = pu.decode(pu.encode(luminance.float())).double()
    assert ((fp32 - luminance) / luminance).abs().max() < 2e-4


def test_batched_any_shape_and_device_agnostic():
    pu = PU21()
    x = torch.rand(2, 3, 4, 5, 6) * 1000
    flat = pu.encode(x.flatten()).view_as(x)
    assert torch.equal(pu.encode(x), flat)
    assert pu.encode(torch.tensor([100.0], device="meta")).device.type == "meta"


def test_unknown_variant_is_named():
    with pytest.raises(ValueError, match="'bandng'"):
        PU21("bandng")
