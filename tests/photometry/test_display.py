"""Display models against reference-spec sections 2 and 12."""

import math

import pytest
import torch

from hdr_iqa.photometry import DisplayModel, display_to_luminance
from hdr_iqa.photometry.display import jitter_display_params
from hdr_iqa.photometry.transfer import srgb_eotf, srgb_inverse_eotf

V = torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64)


def sdr(**kwargs):
    return DisplayModel(
        peak=100, contrast=1000, gamma=2.2, ambient=100, reflectivity=0.005, **kwargs
    )


def test_paper_code_display_golden_values():
    expected = torch.tensor([0.2591549, 22.0011553, 100.1591549], dtype=torch.float64)
    assert torch.allclose(sdr().to_luminance(V).double(), expected, rtol=1e-6)


def test_matlab_gog_display_golden_values():
    expected = torch.tensor([0.2591549, 21.9665172, 100.0], dtype=torch.float64)
    assert torch.allclose(sdr(reflection="gog").to_luminance(V).double(), expected, rtol=1e-6)


def test_white_and_black_levels():
    display = DisplayModel(peak=400, contrast=2000, ambient=50, reflectivity=0.01)
    black, white = display.to_luminance(torch.tensor([0.0, 1.0])).tolist()
    assert black == pytest.approx(400 / 2000 + 0.01 * 50 / math.pi, rel=1e-6)
    assert white == pytest.approx(400 + 0.01 * 50 / math.pi, rel=1e-6)


def test_exact_srgb_eotf_and_inverse():
    v = torch.linspace(0, 1, 1001, dtype=torch.float64)
    assert srgb_eotf(torch.tensor([0.04045, 0.5, 1.0], dtype=torch.float64)).tolist() == (
        pytest.approx([0.04045 / 12.92, ((0.5 + 0.055) / 1.055) ** 2.4, 1.0])
    )
    assert torch.allclose(srgb_inverse_eotf(srgb_eotf(v)), v, atol=1e-12)
    display = DisplayModel(eotf="srgb", ambient=0)
    expected = (100 - 0.1) * srgb_eotf(v) + 0.1
    assert torch.allclose(display.to_luminance(v).double(), expected, rtol=1e-5)


@pytest.mark.parametrize("eotf", ["gamma", "srgb"])
def test_inverse_display_round_trip(eotf):
    display = sdr(eotf=eotf)
    v = torch.linspace(0, 1, 257)
    assert torch.allclose(display.to_display(display.to_luminance(v)), v, atol=2e-6)


def test_per_sample_parameters_mix_displays_and_absolute_luminance():
    values = torch.tensor([[0.5, 1.0], [0.5, 1.0], [250.0, 4000.0]])
    params = torch.stack(
        [sdr().params(), DisplayModel(peak=1000, contrast=1e4).params(),
         DisplayModel.absolute_luminance().params()]
    )  # fmt: skip
    out = display_to_luminance(values, params)
    assert torch.allclose(out[0], sdr().to_luminance(values[0]))
    assert torch.allclose(out[1], DisplayModel(peak=1000, contrast=1e4).to_luminance(values[1]))
    assert torch.equal(out[2], values[2])  # absolute luminance passes through


def test_jitter_changes_only_jittered_displays():
    torch.manual_seed(0)
    params = torch.stack([sdr(peak_std=10, ambient_std=25).params(), sdr().params()])
    jittered = jitter_display_params(params.repeat(50, 1))
    assert jittered[0::2, 3].std() > 5 and (jittered[0::2, 6] >= 0).all()
    assert torch.equal(jittered[1::2], params[1].expand(50, -1))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"peak": -1}, "peak=-1"), ({"contrast": 1}, "contrast=1"), ({"eotf": "log"}, "'log'"),
     ({"ambient": -3}, "-3")],
)  # fmt: skip
def test_invalid_display_is_rejected_with_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DisplayModel(**kwargs)


def test_all_branch_path_of_cuda_and_tracing_equals_the_selected_branches(monkeypatch):
    """On CUDA and while tracing every EOTF branch is evaluated; the selected values agree."""
    from hdr_iqa.photometry import display as display_module

    hdr = {"peak": 1500, "contrast": 1e6, "ambient": 10, "colorspace": "bt2020"}
    displays = [
        sdr(), sdr(eotf="srgb"), DisplayModel(eotf="pq", **hdr), DisplayModel(eotf="hlg", **hdr),
        DisplayModel(eotf="hlg", peak=1001, ambient=25000), DisplayModel.absolute_luminance(),
    ]  # fmt: skip
    params = torch.stack([d.params() for d in displays])
    values = torch.rand(len(displays), 3, 4, 5, generator=torch.Generator().manual_seed(0))
    values[:, :, 0, 0] = 0.0  # black pixels: finite even where the HLG gamma is below 1
    selected = display_to_luminance(values, params)
    monkeypatch.setattr(display_module, "_tracing", lambda: True)  # as on CUDA: nothing pruned
    everything = display_to_luminance(values, params)
    assert torch.isfinite(everything).all()
    torch.testing.assert_close(everything, selected)
    for i, display in enumerate(displays[:-1]):
        torch.testing.assert_close(selected[i], display.to_luminance(values[i]))
