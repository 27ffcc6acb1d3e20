import re
import warnings

import cv2
import numpy as np
import pytest

from hdr_iqa.errors import DataError, MissingFileError
from hdr_iqa.io import (
    NegativeLuminanceWarning,
    RelativeLuminanceWarning,
    describe_image,
    image_encoding,
    read_image,
    write_image,
)

RNG = np.random.default_rng(0)
LUMINANCE = (RNG.uniform(0.01, 1.0, (12, 10, 3)) ** 3 * 4000.0).astype(np.float32)
PIXELS = RNG.integers(0, 256, (12, 10, 3), dtype=np.uint8)
MAGIC = {
    "exr": b"\x76\x2f\x31\x01",
    "hdr": b"#?RADIANCE",
    "pfm": b"PF\n",
    "png": b"\x89PNG",
    "bmp": b"BM",
    "tif": b"II*\x00",
    "jpg": b"\xff\xd8",
}


@pytest.mark.parametrize("suffix", ["exr", "pfm"])
def test_float_formats_round_trip_exactly(tmp_path, suffix):
    path = write_image(tmp_path / f"a.{suffix}", LUMINANCE)
    assert path.read_bytes().startswith(MAGIC[suffix])
    assert image_encoding(path) == "luminance"
    np.testing.assert_array_equal(read_image(path), LUMINANCE)


def test_half_float_exr_round_trip(tmp_path):
    half = LUMINANCE.astype(np.float16)
    np.testing.assert_array_equal(read_image(write_image(tmp_path / "h.exr", half)), half)


def test_radiance_round_trip_within_rgbe_precision(tmp_path):
    path = write_image(tmp_path / "a.hdr", LUMINANCE)
    assert path.read_bytes().startswith(MAGIC["hdr"])
    back = read_image(path)
    assert back.dtype == np.float32 and back.shape == LUMINANCE.shape
    # 8-bit mantissa with a shared exponent: < 1/128 of the pixel's largest channel
    assert (np.abs(back - LUMINANCE) < LUMINANCE.max(axis=2, keepdims=True) / 128).all()


def test_radiance_exposure_is_divided_out(tmp_path):
    data = write_image(tmp_path / "a.hdr", LUMINANCE).read_bytes()
    exposed = data.replace(b"FORMAT=", b"EXPOSURE=2.0\nEXPOSURE=2\nFORMAT=", 1)
    (tmp_path / "b.hdr").write_bytes(exposed)
    np.testing.assert_allclose(read_image(tmp_path / "b.hdr"), read_image(tmp_path / "a.hdr") / 4)


@pytest.mark.parametrize("suffix", ["png", "bmp", "tif"])
def test_lossless_display_formats_round_trip(tmp_path, suffix):
    path = write_image(tmp_path / f"a.{suffix}", PIXELS)
    assert path.read_bytes().startswith(MAGIC[suffix]) and image_encoding(path) == "display"
    np.testing.assert_array_equal(read_image(path), PIXELS)


def test_jpeg_round_trip_and_16_bit_png(tmp_path):
    smooth = np.full((16, 16, 3), (200, 100, 50), np.uint8)
    path = write_image(tmp_path / "a.jpg", smooth)
    assert path.read_bytes().startswith(MAGIC["jpg"])
    assert np.abs(read_image(path).astype(int) - smooth).max() <= 3
    deep = (np.arange(16 * 16 * 3).reshape(16, 16, 3) * 85).astype(np.uint16)
    back = read_image(write_image(tmp_path / "d.png", deep))
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, deep / 65535.0, atol=1e-7)


def test_grey_images_become_rgb(tmp_path):
    cv2.imwrite(str(tmp_path / "g.png"), PIXELS[:, :, 0])
    back = read_image(tmp_path / "g.png")
    assert back.shape == (12, 10, 3) and (back[:, :, 0] == back[:, :, 2]).all()


def test_relative_hdr_values_warn_with_how_to_scale(tmp_path):
    path = write_image(tmp_path / "rel" / "r.exr", LUMINANCE / LUMINANCE.max())
    with pytest.warns(RelativeLuminanceWarning, match=r"peak 1\b.*pixels \* 4000 / 1"):
        read_image(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_image(write_image(tmp_path / "abs" / "a.exr", LUMINANCE))
        read_image(path)  # once per directory


def test_describe_image(tmp_path):
    info = describe_image(write_image(tmp_path / "a.pfm", LUMINANCE))
    assert info.units == "cd/m^2" and (info.height, info.width) == (12, 10)
    assert info.maximum == pytest.approx(float(LUMINANCE.max())) and not info.relative
    info = describe_image(write_image(tmp_path / "a.png", PIXELS))
    assert info.encoding == "display" and info.maximum == pytest.approx(PIXELS.max() / 255)


@pytest.mark.parametrize("suffix", ["png", "jpg", "bmp", "tif", "exr", "hdr", "pfm"])
def test_truncated_files_name_the_file(tmp_path, suffix):
    image = LUMINANCE if suffix in ("exr", "hdr", "pfm") else PIXELS
    data = write_image(tmp_path / f"a.{suffix}", image).read_bytes()
    broken = tmp_path / f"broken.{suffix}"
    broken.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(DataError, match=rf"broken\.{suffix}: .*(truncated|cannot)"):
        read_image(broken)


def test_garbage_and_unsupported_files(tmp_path):
    (tmp_path / "x.hdr").write_bytes(b"not radiance")
    with pytest.raises(DataError, match=r"x\.hdr: not a Radiance"):
        read_image(tmp_path / "x.hdr")
    (tmp_path / "x.pfm").write_bytes(b"P6\n1 1\n255\n")
    with pytest.raises(DataError, match=r"x\.pfm: not a PFM"):
        read_image(tmp_path / "x.pfm")
    with pytest.raises(DataError, match=r"'\.gif'"):
        read_image(tmp_path / "x.gif")
    with pytest.raises(MissingFileError, match=r"nope\.exr: image file not found"):
        read_image(tmp_path / "nope.exr")


@pytest.mark.parametrize("suffix", ["exr", "pfm"])
def test_nan_and_negative_luminance_are_rejected(tmp_path, suffix):
    bad = LUMINANCE.copy()
    bad[0, 0, 0] = np.nan
    if suffix == "pfm":
        from hdr_iqa.io.pfm import encode_pfm

        (tmp_path / "n.pfm").write_bytes(encode_pfm(bad))
        bad[0, 0, 0] = -2.5
        (tmp_path / "m.pfm").write_bytes(encode_pfm(bad))
    else:
        from hdr_iqa.io.exr import write_exr

        write_exr(tmp_path / "n.exr", bad)
        bad[0, 0, 0] = -2.5
        write_exr(tmp_path / "m.exr", bad)
    with pytest.raises(DataError, match=rf"n\.{suffix}: luminance contains 1 NaN"):
        read_image(tmp_path / f"n.{suffix}")
    with pytest.raises(
        DataError,
        match=rf"m\.{suffix}: luminance contains 1 negative values \(min -2\.5 cd/m\^2; only "
        r"values down to -0\.397, i\.e\. -max\(0\.005, 0\.0001 x peak 3967\)",
    ):
        read_image(tmp_path / f"m.{suffix}")


def test_writes_refuse_what_the_format_cannot_hold(tmp_path):
    with pytest.raises(DataError, match=r"a\.hdr: luminance contains negative"):
        write_image(tmp_path / "a.hdr", -LUMINANCE)
    with pytest.raises(DataError, match=r"a\.jpg: 16-bit"):
        write_image(tmp_path / "a.jpg", PIXELS.astype(np.uint16))
    with pytest.raises(DataError, match=r"a\.pfm: HDR images are written from float"):
        write_image(tmp_path / "a.pfm", PIXELS)
    assert not list(tmp_path.iterdir())  # nothing half-written


@pytest.mark.parametrize("suffix", ["png", "jpg", "bmp", "tif", "exr", "hdr", "pfm"])
def test_empty_files_are_named_not_an_opencv_assertion(tmp_path, suffix):
    (tmp_path / f"empty.{suffix}").write_bytes(b"")
    with pytest.raises(DataError, match=rf"empty\.{suffix}: empty file \(0 bytes\)"):
        read_image(tmp_path / f"empty.{suffix}")


def test_files_of_another_format_than_their_suffix(tmp_path):
    jpeg = write_image(tmp_path / "a.jpg", PIXELS).read_bytes()
    exr = write_image(tmp_path / "a.exr", LUMINANCE).read_bytes()
    (tmp_path / "photo.png").write_bytes(jpeg)  # would decode, but as the wrong kind
    (tmp_path / "scene.png").write_bytes(exr)  # cd/m^2 read as display values
    (tmp_path / "scene.exr").write_bytes(write_image(tmp_path / "a.png", PIXELS).read_bytes())
    (tmp_path / "junk.bmp").write_bytes(b"<html>not found</html>")
    cases = {
        "photo.png": "holds JPEG data, but its suffix '.png' says PNG; rename it to .jpeg or .jpg",
        "scene.png": "holds OpenEXR data, but its suffix '.png' says PNG; rename it to .exr",
        "scene.exr": "holds PNG data, but its suffix '.exr' says OpenEXR; rename it to .png",
        "junk.bmp": "not a BMP file (it starts with b'<html>no'",
    }
    for name, message in cases.items():
        with pytest.raises(DataError, match=re.escape(f"{tmp_path / name}: {message}")):
            read_image(tmp_path / name)


def test_decoder_exceptions_become_data_errors(tmp_path, monkeypatch):
    def broken(data, flags):
        raise cv2.error("OpenCV(5.0.0) (-215:Assertion failed) in imdecode_")

    path = write_image(tmp_path / "a.png", PIXELS)
    monkeypatch.setattr(cv2, "imdecode", broken)
    with pytest.raises(DataError, match=rf"{re.escape(str(path))}: cannot decode image \(OpenCV"):
        read_image(path)


def test_tiny_negative_luminance_is_clamped_with_one_warning_per_file(tmp_path, monkeypatch):
    from hdr_iqa.io import luminance
    from hdr_iqa.io.exr import write_exr

    monkeypatch.setattr(luminance, "_warned_negative", set())  # earlier tests' files

    noisy = LUMINANCE.copy()
    noisy[0, 0, 0], noisy[1, 1, 1] = -2.1e-5, -0.3  # 0.3 < 1e-4 x peak 3967
    write_exr(tmp_path / "t.exr", noisy)
    with pytest.warns(NegativeLuminanceWarning, match=r"t\.exr: 2 tiny negative .*min -0\.3 "):
        pixels = read_image(tmp_path / "t.exr")
    assert pixels.min() == 0.0 and pixels[0, 0, 0] == 0.0 and pixels[1, 1, 1] == 0.0
    np.testing.assert_array_equal(pixels[2:], LUMINANCE[2:])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_image(tmp_path / "t.exr")  # once per file
    dark = np.full((4, 4, 3), 0.01, np.float32)
    dark[0, 0] = -0.004  # below 1e-4 x peak, but within PU21's 0.005 cd/m^2 floor
    write_exr(tmp_path / "dark.exr", dark)
    with pytest.warns(NegativeLuminanceWarning):
        assert read_image(tmp_path / "dark.exr", warn_relative=False).min() == 0.0
    dark[0, 0] = -0.006
    write_exr(tmp_path / "dark.exr", dark)
    with pytest.raises(DataError, match=r"dark\.exr: luminance contains 3 negative .*-0\.006"):
        read_image(tmp_path / "dark.exr")
    for i in range(6):  # a dataset of such files: five warnings, the fifth says so, then none
        write_exr(tmp_path / f"n{i}.exr", noisy)
    with pytest.warns(NegativeLuminanceWarning) as caught:
        for i in range(6):
            read_image(tmp_path / f"n{i}.exr")
    assert len(caught) == 3  # t.exr and dark.exr were the first two
    assert "further files with tiny negative values are clamped without" in str(caught[-1].message)


def test_all_black_hdr_image_is_refused(tmp_path):
    from hdr_iqa.io.exr import write_exr

    write_exr(tmp_path / "black.exr", np.zeros((4, 4, 3), np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not a RelativeLuminanceWarning dividing by 0
        with pytest.raises(
            DataError, match=r"black\.exr: no pixel is above 0 cd/m\^2 \(an all-black image\)"
        ):
            read_image(tmp_path / "black.exr")
