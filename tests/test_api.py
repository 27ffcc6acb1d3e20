"""The Python API: load_model, score and features on files, arrays and tensors."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from hdr_iqa import load_model
from hdr_iqa.errors import ConfigError, DataError, MissingFileError, WeightsError
from hdr_iqa.io import read_image
from hdr_iqa.photometry import DisplayModel
from tests.helpers.draws import per_draw_scores

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model(trained_run):
    return load_model(trained_run.ckpt, device="cpu")


def pair(trained_run, domain: str, suffix: str, distortion: str = "blur_2") -> tuple[str, str]:
    folder = trained_run.data_dir / "synthetic" / domain
    return str(folder / f"brick__{distortion}{suffix}"), str(folder / f"brick{suffix}")


def test_arrays_tensors_and_files_give_the_same_score(model, trained_run):
    for domain, suffix, display in (("sdr", ".png", None), ("hdr", ".exr", "absolute")):
        dist, ref = pair(trained_run, domain, suffix)
        from_files = model.score(dist, ref)
        assert isinstance(from_files, float)
        arrays = read_image(dist), read_image(ref)
        assert model.score(*arrays, display=display) == from_files
        tensors = [torch.from_numpy(a).permute(2, 0, 1) for a in arrays]
        assert model.score(*tensors, display=display) == from_files


def test_batches_return_a_tensor_of_the_single_scores(model, trained_run):
    pairs = [pair(trained_run, "sdr", ".png", d) for d in ("blur_1", "jpeg_3", "noise_2")]
    single = [model.score(d, r) for d, r in pairs]
    batch = model.score([d for d, _ in pairs], [r for _, r in pairs])
    assert batch.shape == (3,) and batch.tolist() == single
    stacked = (
        np.stack([read_image(d) for d, _ in pairs]),
        np.stack([read_image(r) for _, r in pairs]),
    )
    assert model.score(*stacked).tolist() == single


def test_features_are_the_coral_features_of_each_draw(model, trained_run):
    features = model.features(*pair(trained_run, "hdr", ".exr"))
    assert features.shape == (1, 4, 2048)  # 1 draw, ref+dist coarse features of 2 patches
    assert torch.isfinite(features).all() and features.abs().sum() > 0


def test_chunking_and_draws(trained_run):
    dist, ref = pair(trained_run, "hdr", ".exr")
    whole = load_model(trained_run.ckpt, device="cpu", patches=6, repeats=2)
    chunked = load_model(trained_run.ckpt, device="cpu", patches=6, repeats=2, patch_batch_size=4)
    draws = per_draw_scores(whole, dist, ref)
    assert len(draws) == 2 and draws[0] != pytest.approx(draws[1], rel=1e-3)
    assert whole.score(dist, ref) == pytest.approx(sum(draws) / 2, rel=1e-5)  # one pass
    assert chunked.score(dist, ref) == pytest.approx(sum(draws) / 2, rel=1e-5)  # chunk by chunk
    features = chunked.features(dist, ref)
    assert features.shape == (2, 12, 2048)
    assert torch.allclose(features, whole.features(dist, ref), rtol=1e-4, atol=1e-5)


def test_display_mistakes(model, trained_run):
    dist, ref = pair(trained_run, "sdr", ".png")
    with pytest.raises(
        ConfigError, match=re.escape("display-encoded (SDR) input given with display='absolute'")
    ):
        model.score(dist, ref, display="absolute")
    with pytest.raises(
        ConfigError,
        match=re.escape("unknown display 'sdr_10'; presets: [") + ".*Did you mean 'sdr_100'",
    ):
        model.score(dist, ref, display="sdr_10")
    exr = pair(trained_run, "hdr", ".exr")
    with pytest.raises(ConfigError, match=re.escape("but display='hdr_5000' was given")):
        model.score(*exr, display="hdr_5000")
    floats = [read_image(f).astype(np.float32) for f in exr]
    with pytest.raises(ConfigError, match="float pixels need a display"):
        model.score(*floats)
    with pytest.raises(
        DataError, match="display-encoded float values must be in \\[0, 1\\], found up to"
    ):
        model.score(*floats, display="sdr_100")
    nan = floats[1] / floats[1].max()
    nan[5, 7, 2] = np.nan
    with pytest.raises(DataError, match=re.escape("ref array (192, 256, 3): 1 NaN or infinite")):
        model.score(floats[0] / floats[0].max(), nan, display="sdr_100")  # was a NaN score
    tiny = np.zeros((32, 48, 3), np.uint8)
    with pytest.raises(
        DataError, match=re.escape("is 48x32 pixels, smaller than the model's 64x64")
    ):
        model.score(tiny, tiny)
    with pytest.raises(
        DataError, match=re.escape("expected an (H, W, 3) array, got (4, 5, 6, 7, 8)")
    ):
        model.score(np.zeros((4, 5, 6, 7, 8), np.uint8), np.zeros((4, 5, 6, 7, 8), np.uint8))


def test_checkpoints_of_other_kinds_are_refused(trained_run, tmp_path):
    saved = torch.load(trained_run.ckpt, map_location="cpu", weights_only=True, mmap=True)
    config = saved["hdr_iqa"]["config"]
    text = tmp_path / "notes.ckpt"
    text.write_text("not a checkpoint")
    weights = tmp_path / "weights.pth"
    torch.save({"conv.weight": torch.zeros(1)}, weights)
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {"layer.weight": torch.zeros(1)}, "epoch": 3}, foreign)
    other = {
        **config,
        "model": {**config["model"], "net": {"_target_": "hdr_iqa.models.NoSuchNet"}},
    }
    renamed = tmp_path / "other_model.ckpt"
    torch.save({"state_dict": {}, "hdr_iqa": {"config": other}}, renamed)
    mismatched = tmp_path / "mismatched.ckpt"  # e.g. weights of another model under this config
    torch.save(
        {"state_dict": {"net.head.weight": torch.zeros(1)}, "hdr_iqa": {"config": config}},
        mismatched,
    )
    cases = [
        (
            tmp_path / "missing.ckpt",
            MissingFileError,
            f"checkpoint not found: {tmp_path}/missing.ckpt",
        ),
        (text, WeightsError, f"cannot read {text} as a PyTorch checkpoint"),
        (weights, WeightsError, f"{weights} is not a Lightning checkpoint"),
        (foreign, WeightsError, f"{foreign} is a Lightning checkpoint of another program"),
        (renamed, ConfigError, "cannot build its model 'hdr_iqa.models.NoSuchNet'"),
        (
            mismatched,
            WeightsError,
            "do not fit the model its config describes ('pieapp'): "
            "missing [net.extractor.conv1.weight, net.extractor.conv1.bias, "
            "net.extractor.conv2.weight, ... 29 more], unexpected [net.head.weight]",
        ),
    ]
    for path, error, message in cases:
        with pytest.raises(error, match=re.escape(message)):
            load_model(path, device="cpu")


def test_readme_example_runs(trained_run, tmp_path, monkeypatch):
    """The README's Python API example, run as written in a folder holding its files."""
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"## Python API.*?```python\n(.*?)```", readme, re.S).group(1)
    (tmp_path / "last.ckpt").symlink_to(trained_run.ckpt)
    for suffix, domain in ((".png", "sdr"), (".exr", "hdr")):
        dist, ref = pair(trained_run, domain, suffix)
        shutil.copy(dist, tmp_path / f"dist{suffix}")
        shutil.copy(ref, tmp_path / f"ref{suffix}")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert isinstance(namespace["score"], float)


def test_pq_files_in_16_bit_containers_score_as_their_luminance(model, trained_run, tmp_path):
    """10-bit PQ PNG (MSB-aligned) and TIFF (LSB-aligned) on hdr_pq = the luminance it shows."""
    from dataclasses import replace

    from hdr_iqa.inference.inputs import display_preset
    from hdr_iqa.io import write_image
    from hdr_iqa.photometry import pq_inverse_eotf

    hdr_pq = replace(display_preset("hdr_pq"), bits=10)
    dist, ref = pair(trained_run, "hdr", ".exr")
    codes = [
        torch.round(pq_inverse_eotf(torch.from_numpy(read_image(p)).double()) * 1023).to(
            torch.int64
        ).numpy().astype(np.uint16)
        for p in (dist, ref)
    ]  # fmt: skip
    png = [write_image(tmp_path / f"{n}.png", c << 6) for n, c in zip("dr", codes, strict=True)]
    tif = [write_image(tmp_path / f"{n}.tif", c) for n, c in zip("dr", codes, strict=True)]
    shown = [
        hdr_pq.to_luminance(torch.from_numpy(c / 1023).float().permute(2, 0, 1)) for c in codes
    ]
    expected = model.score(*shown, display="absolute")
    assert model.score(*map(str, png), display=hdr_pq) == pytest.approx(expected, abs=1e-5)
    assert model.score(*map(str, tif), display=hdr_pq) == pytest.approx(expected, abs=1e-5)
    # read as 16-bit codes (no bits), the same files show a different, darker image
    assert model.score(*map(str, tif), display="hdr_pq") != pytest.approx(expected, rel=0.05)


def check_pair(dist, ref, display):
    """What score() checks before the model runs (the model is not needed)."""
    from hdr_iqa.inference.inputs import check_values, load_image, resolve_display

    images = [load_image(ref, "ref"), load_image(dist, "dist")]
    return check_values(images, resolve_display(display, images, None))


def test_array_values_are_checked_naming_the_argument():
    sdr = DisplayModel(peak=100.0)
    good = np.full((8, 8, 3), 0.5, np.float32)
    luminance = np.full((8, 8, 3), 120.0, np.float32)

    def bad(base, value, at=(1, 2, 0)):
        array = base.copy()
        array[at] = value
        return array

    cases = [
        ((bad(good, np.nan), good, sdr), "dist array (8, 8, 3): 1 NaN or infinite values"),
        ((good, bad(luminance, np.inf), "absolute"), "ref array (8, 8, 3): 1 NaN or infinite"),
        ((torch.full((3, 8, 8), float("nan")), good, sdr), "dist tensor (3, 8, 8): 192 NaN"),
        (
            (bad(good, -0.2), good, sdr),
            "dist array (8, 8, 3): display-encoded float values must be in [0, 1], found down "
            "to -0.2 (1 below 0); for luminance in cd/m^2 use display='absolute'",
        ),
        (
            (good, bad(bad(good, 1.5), -0.1, (0, 0, 0)), sdr),
            "ref array (8, 8, 3): display-encoded float values must be in [0, 1], found up to "
            "1.5 (1 above 1), down to -0.1 (1 below 0)",
        ),
        (
            (bad(luminance, -3.0), luminance, "absolute"),
            "dist array (8, 8, 3): luminance contains 1 negative values (min -3 cd/m^2",
        ),
        (
            (luminance, np.zeros_like(luminance), "absolute"),
            "ref array (8, 8, 3): no pixel is above 0 cd/m^2",
        ),
    ]
    for (dist, ref, display), message in cases:
        with pytest.raises(DataError, match=re.escape(message)):
            check_pair(dist, ref, display)
    codes = np.full((8, 8, 3), 255, np.uint8)
    assert [i.pixels.dtype for i in check_pair(codes, codes, sdr)] == [torch.uint8] * 2


def test_tiny_negative_luminance_arrays_are_clamped_not_changed(recwarn):
    luminance = np.full((8, 8, 3), 120.0, np.float32)
    noisy = luminance.copy()
    noisy[0, 0, 0] = -2.1e-5
    ref, dist = check_pair(noisy, luminance, "absolute")
    assert float(dist.pixels.min()) == 0.0 and float(ref.pixels.min()) == 120.0
    assert noisy[0, 0, 0] == np.float32(-2.1e-5)  # the caller's array is left alone
