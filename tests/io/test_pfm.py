"""PFM: OpenCV's encoder checked against the format, and the reader where OpenCV's differs."""

import cv2
import numpy as np
import pytest

from hdr_iqa.errors import DataError
from hdr_iqa.io import read_image, write_image
from hdr_iqa.io.pfm import encode_pfm

RNG = np.random.default_rng(0)
LUMINANCE = (RNG.uniform(0.01, 1.0, (12, 10, 3)) ** 3 * 4000.0).astype(np.float32)


def test_written_file_is_the_format_and_reads_back_exactly(tmp_path):
    data = write_image(tmp_path / "a.pfm", LUMINANCE).read_bytes()
    header = b"PF\n10 12\n-1\n"  # little-endian (negative scale), width before height
    assert data.startswith(header)
    raster = np.frombuffer(data[len(header) :], "<f4").reshape(12, 10, 3)  # bottom row first
    np.testing.assert_array_equal(raster[::-1], LUMINANCE)  # RGB order, no scaling
    np.testing.assert_array_equal(read_image(tmp_path / "a.pfm"), LUMINANCE)
    bgr = cv2.imread(str(tmp_path / "a.pfm"), cv2.IMREAD_UNCHANGED)  # OpenCV's decoder agrees
    np.testing.assert_array_equal(bgr[:, :, ::-1], LUMINANCE)


@pytest.mark.parametrize("grey", [LUMINANCE[:, :, 1], LUMINANCE[:, :, 1:2]])
def test_grey_pixels_are_written_as_pf(grey):
    data = encode_pfm(grey)
    header = b"Pf\n10 12\n-1\n"
    assert data.startswith(header)
    raster = np.frombuffer(data[len(header) :], "<f4").reshape(12, 10)
    np.testing.assert_array_equal(raster[::-1], grey.reshape(12, 10))


def test_reader_takes_big_endian_samples_as_stored_whatever_the_scale(tmp_path):
    grey = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=">f4")
    for scale in (b"1.0", b"2.5"):  # OpenCV would divide by 2.5
        (tmp_path / "g.pfm").write_bytes(b"Pf\n2 2\n" + scale + b"\n" + grey[::-1].tobytes())
        back = read_image(tmp_path / "g.pfm")
        assert back.shape == (2, 2, 3)  # grey replicated
        np.testing.assert_array_equal(back[:, :, 0], grey)


def test_reader_accepts_any_white_space_between_header_fields(tmp_path):
    pixel = np.array([1.0, 2.0, 3.0], "<f4")
    (tmp_path / "a.pfm").write_bytes(b"PF 1 1 -1.0\n" + pixel.tobytes())  # OpenCV refuses it
    np.testing.assert_array_equal(read_image(tmp_path / "a.pfm"), pixel.reshape(1, 1, 3))


def test_truncated_raster_says_how_much_is_missing(tmp_path):
    data = encode_pfm(LUMINANCE)
    (tmp_path / "t.pfm").write_bytes(data[:-8])
    with pytest.raises(DataError, match=r"t\.pfm: truncated PFM file: expected 1440 bytes .*1432"):
        read_image(tmp_path / "t.pfm")


@pytest.mark.parametrize(
    ("shape", "match"), [((2, 2, 4), r"\(2, 2, 4\)"), ((0, 4, 3), r"at least one .*\(0, 4, 3\)")]
)
def test_encoder_refuses_what_pfm_cannot_hold(shape, match):
    with pytest.raises(ValueError, match=match):
        encode_pfm(np.zeros(shape, np.float32))
