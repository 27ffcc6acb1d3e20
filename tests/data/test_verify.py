"""data.verify: every listed image is checked at set-up, problems reported together, cached."""

import json
import re

import numpy as np
import pytest

from hdr_iqa.data import IQADataModule
from hdr_iqa.data import verify as verify_module
from hdr_iqa.data.datasets import CSVDataset
from hdr_iqa.errors import ConfigError, DataError
from hdr_iqa.io import read_image, write_image
from hdr_iqa.io.exr import write_exr
from hdr_iqa.photometry import DisplayModel
from tests.data.builders import hdr_image

PATCHES = {"train": 1, "val": 1, "test": 1}


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch):
    """Keep the verification cache out of the home directory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "hdr_iqa" / "verified.json"


@pytest.fixture
def reads(monkeypatch):
    """Count the files verification decodes."""
    decoded: list[str] = []

    def counting(path, warn_relative=True):
        decoded.append(str(path))
        return read_image(path, warn_relative=warn_relative)

    monkeypatch.setattr(verify_module, "read_image", counting)
    return decoded


def make_hdr_pairs(root, scenes: int = 5, dists: int = 2) -> str:
    """A CSV dataset of small EXR pairs in cd/m^2: scene<i>.exr + scene<i>_<k>.exr."""
    rows = ["ref,dist,score,content"]
    for i in range(scenes):
        ref = hdr_image(300 + i, height=16, width=20)
        write_image(root / f"scene{i}.exr", ref)
        for k in range(dists):
            write_image(root / f"scene{i}_{k}.exr", ref * (1.0 + 0.2 * k))
            rows.append(f"scene{i}.exr,scene{i}_{k}.exr,{0.1 * (k + 1)},s{i}")
    (root / "pairs.csv").write_text("\n".join(rows) + "\n")
    return str(root / "pairs.csv")


def datamodule(csv: str, **kwargs) -> IQADataModule:
    return IQADataModule(
        CSVDataset(csv), None, patch_size=8, patches=PATCHES, num_workers=0, **kwargs
    )


def test_a_nan_image_in_the_test_split_fails_at_setup_naming_it(tmp_path, reads):
    csv = make_hdr_pairs(tmp_path)
    clean = datamodule(csv, verify=False)
    clean.setup("fit")
    test_pair = clean.records["source"]["test"][0]
    train_files = {p for r in clean.records["source"]["train"] for p in (r.ref, r.dist)}
    assert test_pair.dist not in train_files
    assert reads == []  # verify=false decodes nothing
    broken = hdr_image(7, height=16, width=20)
    broken[3, 4, 1] = np.nan
    write_exr(tmp_path / test_pair.dist, broken)  # in the test split only
    with pytest.raises(
        DataError,
        match=r"data\.verify found 1 problems in the 15 listed images .*\n  "
        + re.escape(f"{test_pair.dist}: luminance contains 1 NaN or infinite values"),
    ):
        datamodule(csv, verify=True).setup("fit")
    assert len(set(reads)) == 15  # every listed file of every split was opened


def test_passed_files_are_not_decoded_again_until_they_change(tmp_path, reads, cache_home):
    csv = make_hdr_pairs(tmp_path)
    datamodule(csv).setup("fit")  # verify: auto, a small dataset: verified
    assert len(reads) == 15
    saved = json.loads(cache_home.read_text())
    assert len(saved["files"]) == 15 and saved["files"][str(tmp_path / "scene0.exr")][2:] == [
        16,
        20,
    ]
    reads.clear()
    datamodule(csv).setup("fit")
    assert reads == []  # unchanged files: the cache answers
    write_image(tmp_path / "scene2_1.exr", hdr_image(9, height=16, width=20))
    datamodule(csv).setup("fit")
    assert reads == [str(tmp_path / "scene2_1.exr")]


def test_problems_are_collected_and_pairs_checked(tmp_path):
    csv = make_hdr_pairs(tmp_path)
    (tmp_path / "scene1_0.exr").write_bytes(b"")
    write_image(tmp_path / "scene3_1.exr", hdr_image(1, height=20, width=16))  # rotated
    write_image(tmp_path / "scene4.exr", hdr_image(1, height=6, width=20))
    write_image(tmp_path / "scene4_0.exr", hdr_image(1, height=6, width=20))
    write_image(tmp_path / "scene4_1.exr", hdr_image(1, height=6, width=20))
    with pytest.raises(DataError) as caught:
        datamodule(csv, verify=True).setup("fit")
    message = str(caught.value)
    assert message.startswith("data.verify found 5 problems in the 15 listed images")
    for expected in (
        f"{tmp_path}/scene1_0.exr: empty file (0 bytes), not a OpenEXR image",
        f"{tmp_path}/scene3_1.exr: 16x20 pixels, but its reference {tmp_path}/scene3.exr is "
        f"20x16 (listed in {csv}:9)",
        f"{tmp_path}/scene4.exr: 20x6 pixels, smaller than the 8x8 patches (data.patch_size) "
        f"(listed in {csv}:10)",
        f"{tmp_path}/scene4_0.exr: 20x6 pixels, smaller than the 8x8 patches",
        f"{tmp_path}/scene4_1.exr: 20x6 pixels, smaller than the 8x8 patches",
    ):
        assert f"\n  {expected}" in message


def test_worker_processes_check_the_files(tmp_path, monkeypatch, cache_home):
    monkeypatch.setattr(verify_module, "_PARALLEL_MIN", 0)
    csv = make_hdr_pairs(tmp_path, scenes=6)
    write_exr(tmp_path / "scene5_1.exr", -hdr_image(2, height=16, width=20))
    with pytest.raises(
        DataError, match=r"(?s)1 problems .*scene5_1\.exr: luminance contains 960 neg"
    ):
        IQADataModule(
            CSVDataset(csv), None, patch_size=8, patches=PATCHES, num_workers=2, verify=True
        ).setup("fit")
    assert len(json.loads(cache_home.read_text())["files"]) == 17  # the ones that passed


def test_auto_verifies_small_or_decoded_cached_data_only(tmp_path, monkeypatch, reads):
    csv = make_hdr_pairs(tmp_path)
    (tmp_path / "scene0_0.exr").write_bytes(b"")
    monkeypatch.setattr(verify_module, "AUTO_LIMIT", 10)  # 15 files listed: too many for auto
    datamodule(csv).setup("fit")
    assert reads == []
    decoded = tmp_path / "decoded"
    with pytest.raises(DataError, match=r"scene0_0\.exr: empty file"):
        datamodule(csv, decoded_cache=decoded).setup("fit")
    assert (decoded / "verified.json").is_file()  # the cache lives in the decoded cache
    assert len(list(decoded.glob("*/*.npy"))) == 14  # and verification filled it
    with pytest.raises(ConfigError, match=r"data\.verify must be true, false or auto, got 'yes'"):
        datamodule(csv, verify="yes").setup("fit")


def test_sources_that_check_their_own_files_are_skipped(tmp_path, reads):
    csv = make_hdr_pairs(tmp_path)
    (tmp_path / "scene0_0.exr").write_bytes(b"")
    source = CSVDataset(csv)
    source.files_verified = True  # as the synthetic dataset (checksums in its manifest)
    IQADataModule(source, None, patch_size=8, patches=PATCHES, verify=True).setup("fit")
    assert reads == []


def test_tiny_negative_values_pass_verification(tmp_path, reads, monkeypatch):
    from hdr_iqa.io import luminance

    monkeypatch.setattr(luminance, "_warned_negative", set())  # earlier tests' files
    csv = make_hdr_pairs(tmp_path, scenes=3)
    noisy = hdr_image(300, height=16, width=20)
    noisy[0, 0] = -2.1e-5
    write_exr(tmp_path / "scene0.exr", noisy)
    with pytest.warns(UserWarning, match=r"scene0\.exr: 3 tiny negative luminance values"):
        datamodule(csv, verify=True).setup("fit")
    assert str(tmp_path / "scene0.exr") in reads


def test_display_encoded_files_are_checked_too(tmp_path):
    write_image(tmp_path / "r.png", np.zeros((16, 16, 3), np.uint8))
    (tmp_path / "d.png").write_bytes(
        write_image(tmp_path / "x.jpg", np.zeros((16, 16, 3), np.uint8)).read_bytes()
    )
    (tmp_path / "pairs.csv").write_text("ref,dist,score\nr.png,d.png,0.5\n")
    source = CSVDataset(tmp_path / "pairs.csv", display=DisplayModel(peak=100.0))
    module = IQADataModule(source, None, patch_size=8, patches=PATCHES, verify=True,
                           split={"train": 1.0, "val": 0.0, "test": 0.0})  # fmt: skip
    with pytest.raises(
        DataError, match=r"d\.png: holds JPEG data, but its suffix '\.png' says PNG"
    ):
        module.setup("fit")
