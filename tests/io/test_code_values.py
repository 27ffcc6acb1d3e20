"""10/12-bit signals in 16-bit PNG/TIFF containers, read back as the signal's code values."""

import numpy as np
import pytest

from hdr_iqa.errors import DataError
from hdr_iqa.io import container_values, read_image, write_image

CODES = np.array([[[0, 1, 2], [511, 512, 513], [1021, 1022, 1023]]], np.uint16)  # (1, 3, 3)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
@pytest.mark.parametrize("shift", [0, 6], ids=["lsb", "msb"])
def test_10_bit_codes_in_16_bit_files(tmp_path, suffix, shift):
    path = write_image(tmp_path / f"pq{suffix}", CODES << shift)
    values = container_values(read_image(path), 10, str(path))
    assert values.dtype == np.float32
    np.testing.assert_array_equal(values, (CODES / 1023).astype(np.float32))


def test_12_bit_msb_and_full_16_bit(tmp_path):
    codes = np.array([[[0, 2048, 4095]]], np.uint16)
    path = write_image(tmp_path / "a.png", codes << 4)
    expected = (codes / 4095).astype(np.float32)
    np.testing.assert_array_equal(container_values(read_image(path), 12, "a"), expected)
    full = read_image(path)
    assert container_values(full, None, "a") is full and container_values(full, 16, "a") is full


def test_values_that_are_no_10_bit_signal_are_named(tmp_path):
    path = write_image(tmp_path / "odd.png", np.array([[[0, 1500, 65535]]], np.uint16))
    with pytest.raises(DataError, match=r"odd.png: 16-bit values \(up to 65535\) are not 10-bit"):
        container_values(read_image(path), 10, str(path))
