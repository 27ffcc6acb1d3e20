import re

import numpy as np
import pytest

from hdr_iqa.inspect import luminance_summary, main
from hdr_iqa.io import write_image
from hdr_iqa.photometry import DisplayModel
from tests.data.builders import make_kadid, make_sihdr, make_upiq


def test_luminance_summary_applies_the_display_and_counts_pu21_clamping():
    display = DisplayModel(peak=100.0, contrast=1000.0, gamma=2.2, ambient=0.0)
    summary = luminance_summary(np.array([[[0, 255, 255]]], np.uint8), display)
    assert summary["min"] == pytest.approx(0.1) and summary["max"] == pytest.approx(100.0)
    hdr = np.array([[[0.001, 50.0, 20000.0]]], np.float32)
    summary = luminance_summary(hdr, DisplayModel.absolute_luminance())
    assert summary["below"] == pytest.approx(1 / 3) and summary["above"] == pytest.approx(1 / 3)


def test_dataset_report(tmp_path, capsys):
    make_kadid(tmp_path / "kadid10k", refs=5, types=2, levels=2)
    make_sihdr(tmp_path / "SI-HDR", images=3)
    assert main(["data=sihdr", f"paths.data_dir={tmp_path}", "display=sdr_100"]) == 0
    out = capsys.readouterr().out
    assert (
        "kadid10k (source, sdr)" in out and "references (contents): 5   distorted images: 20" in out
    )
    assert "samples per split: train 20" in out
    assert "targets: 0.3 .. 0.55 over 20 labelled pairs (0 = reference quality" in out
    assert "DCR mean rating (column 'dmos') on [1, 5], higher = better" in out
    assert "luminance reaching PU21: 0.2592 .. 99.3 cd/m^2" in out  # 100 cd/m^2, 100 lux display
    assert "sihdr (target, hdr)" in out and "unlabelled" in out and "pixels x 1.52588e-05" in out


def test_kfold_report(tmp_path, capsys):
    make_upiq(tmp_path / "upiq_dataset")
    assert main(["data=upiq_hdr", f"paths.data_dir={tmp_path}", "data.fold=1"]) == 0
    out = capsys.readouterr().out
    assert "samples per split: train 6, val 2, test 2" in out and "JOD on [-8.85431" in out
    assert "shown as: absolute luminance (cd/m^2)" in out


def test_image_report_and_relative_warning(tmp_path, capsys):
    path = write_image(tmp_path / "scene.exr", np.full((4, 4, 3), 0.5, np.float32))
    assert main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "luminance (cd/m^2): 0.5 .. 0.5" in out and "look relative" in out
    png = write_image(tmp_path / "a.png", np.full((4, 4, 3), 255, np.uint8))
    assert main([str(png), "display=hdr_5000"]) == 0
    assert "display 5000 cd/m^2" in capsys.readouterr().out


def test_errors_are_one_line(tmp_path, capsys):
    assert main(["data=kadid", f"paths.data_dir={tmp_path}"]) == 1
    assert f"KADID-10k root not found: {tmp_path}/kadid10k" in capsys.readouterr().err
    assert main([str(tmp_path / "missing.exr")]) == 1
    assert "missing.exr: image file not found" in capsys.readouterr().err


def test_pq_image_report_shows_the_luminance_reaching_pu21(tmp_path, capsys):
    """A 16-bit PQ PNG coding 0.1, 100 and 1000 cd/m^2 on the hdr_pq display (cvvdp's)."""
    import torch

    from hdr_iqa.photometry import pq_inverse_eotf

    luminance = torch.tensor([0.1, 100.0, 1000.0], dtype=torch.float64)
    codes = torch.round(pq_inverse_eotf(luminance) * 1023).to(torch.int64).numpy()
    pixels = np.broadcast_to(codes.astype(np.uint16)[None, :, None] << 6, (2, 3, 3))
    path = write_image(tmp_path / "pq10.png", np.ascontiguousarray(pixels))
    assert main([str(path), "display=hdr_pq", "display.bits=10"]) == 0
    out = capsys.readouterr().out
    assert "display 1500 cd/m^2, contrast 1e+06, PQ BT.2020, 10 lux" in out
    # 10-bit PQ steps are ~1% in luminance; black + reflections add 0.0174 cd/m^2
    found = re.search(r"luminance reaching PU21: (\S+) \.\. (\S+) cd/m\^2", out)
    assert float(found[1]) == pytest.approx(0.1174, rel=0.02)
    assert float(found[2]) == pytest.approx(1000.0, rel=0.01)
