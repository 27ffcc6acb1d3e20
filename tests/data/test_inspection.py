"""hdr_iqa.data.inspection: luminance reaching PU21, the image and dataset reports."""

import numpy as np
import pytest

from hdr_iqa.data.inspection import format_image_report, inspect_image, luminance_summary
from hdr_iqa.io import write_image
from hdr_iqa.photometry import DisplayModel


def test_luminance_summary_applies_the_display_and_counts_pu21_clamping():
    display = DisplayModel(peak=100.0, contrast=1000.0, gamma=2.2, ambient=0.0)
    summary = luminance_summary(np.array([[[0, 255, 255]]], np.uint8), display)
    assert summary["min"] == pytest.approx(0.1) and summary["max"] == pytest.approx(100.0)
    hdr = np.array([[[0.001, 50.0, 20000.0]]], np.float32)
    summary = luminance_summary(hdr, DisplayModel.absolute_luminance())
    assert summary["below"] == pytest.approx(1 / 3) and summary["above"] == pytest.approx(1 / 3)


def test_image_report_takes_hdr_files_as_absolute_luminance(tmp_path):
    path = write_image(tmp_path / "scene.exr", np.full((2, 3, 3), 300.0, np.float32))
    report = inspect_image(path, DisplayModel(peak=100.0))  # the display does not apply
    assert report["display"].absolute and report["luminance"]["max"] == pytest.approx(300.0)
    text = format_image_report(report)
    assert text.startswith(f"{path}: 3x2, luminance (cd/m^2): 300 .. 300 (median 300)")
    png = write_image(tmp_path / "a.png", np.full((2, 2, 3), 255, np.uint8))
    assert inspect_image(png)["luminance"] is None  # display-encoded, no display: no luminance
