"""python -m hdr_iqa.predict: pairs, folders and CSV lists in, one CSV row per pair out."""

import csv
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from hdr_iqa.errors import ConfigError, DataError, MissingFileError
from hdr_iqa.io import read_image, write_image
from hdr_iqa.predict import main, predict
from tests.helpers.cli import run_main

CONTENTS = ("astronaut", "brick", "camera")


@pytest.fixture
def run_predict(make_cfg, trained_run, tmp_path):
    def factory(*overrides: str) -> list[dict]:
        cfg = make_cfg(
            f"ckpt_path={trained_run.ckpt}", "predict.device=cpu", *overrides,
            config_name="predict", tiny=False,
        )  # fmt: skip
        return predict(cfg)

    return factory


def folders(trained_run, tmp_path: Path, domain: str = "sdr", suffix: str = ".png") -> tuple:
    """ref/ and dist/ folders holding matching names (dist: the level-2 blur of each content)."""
    source = trained_run.data_dir / "synthetic" / domain
    ref_dir, dist_dir = tmp_path / "ref", tmp_path / "dist"
    for folder in (ref_dir, dist_dir):
        folder.mkdir()
    for content in CONTENTS:
        shutil.copy(source / f"{content}{suffix}", ref_dir / f"{content}{suffix}")
        shutil.copy(source / f"{content}__blur_2{suffix}", dist_dir / f"{content}{suffix}")
    return ref_dir, dist_dir


def test_folders_give_one_csv_row_per_pair(run_predict, trained_run, tmp_path):
    ref_dir, dist_dir = folders(trained_run, tmp_path)
    (dist_dir / "notes.txt").write_text("not an image")  # ignored
    out = run_predict(f"ref={ref_dir}", f"dist={dist_dir}", f"output={tmp_path}/scores.csv")
    with open(tmp_path / "scores.csv", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [Path(r["dist"]).stem for r in written] == list(CONTENTS)
    assert [float(r["score"]) for r in written] == [r["score"] for r in out]
    assert all(Path(r["ref"]).name == Path(r["dist"]).name for r in written)
    assert written[0]["display"] == "100 cd/m^2 peak, 1000:1, gamma 2.2, 100 lux"
    meta = json.loads((tmp_path / "scores.json").read_text())
    assert meta["quality_direction"].startswith("0 = reference quality, larger = worse")
    assert meta["pairs"] == 3 and meta["model"] == "pieapp"


def test_one_reference_against_a_folder_and_a_csv_list(run_predict, trained_run, tmp_path):
    ref_dir, dist_dir = folders(trained_run, tmp_path, "hdr", ".exr")
    against_one = run_predict(f"ref={ref_dir}/brick.exr", f"dist={dist_dir}")
    assert [Path(r["dist"]).stem for r in against_one] == list(CONTENTS)
    assert {r["display"] for r in against_one} == {"absolute (cd/m^2)"}
    listing = tmp_path / "pairs.csv"
    listing.write_text("ref,dist\nref/brick.exr,dist/brick.exr\nref/camera.exr,dist/camera.exr\n")
    listed = run_predict(f"pairs={listing}")
    assert listed[0]["score"] == against_one[1]["score"]  # same pair, same score
    matched = run_predict(f"ref={ref_dir}", f"dist={dist_dir}")
    assert [r["score"] for r in matched[1:]] == [r["score"] for r in listed]


def test_display_preset_changes_sdr_scores(run_predict, trained_run, tmp_path):
    ref_dir, dist_dir = folders(trained_run, tmp_path)
    pair = (f"ref={ref_dir}/brick.png", f"dist={dist_dir}/brick.png")
    sdr, hdr = run_predict(*pair)[0], run_predict(*pair, "display=hdr_5000")[0]
    assert hdr["display"].startswith("5000 cd/m^2 peak") and hdr["score"] != sdr["score"]


def test_dense_grid_and_chunking_do_not_change_the_score(run_predict, trained_run, tmp_path):
    ref_dir, dist_dir = folders(trained_run, tmp_path)
    pair = (f"ref={ref_dir}/brick.png", f"dist={dist_dir}/brick.png", "predict.stride=48")
    whole = run_predict(*pair)[0]["score"]
    assert run_predict(*pair, "predict.patch_batch_size=3")[0]["score"] == pytest.approx(
        whole, rel=1e-5
    )


def test_bad_inputs_each_give_one_clear_error(run_predict, trained_run, tmp_path):
    ref_dir, dist_dir = folders(trained_run, tmp_path)
    exr_dir = trained_run.data_dir / "synthetic" / "hdr"
    small = tmp_path / "small.png"
    write_image(small, read_image(ref_dir / "brick.png")[:100, :120])
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG not really")
    empty = tmp_path / "empty"
    empty.mkdir()
    (ref_dir / "extra.png").write_bytes((ref_dir / "brick.png").read_bytes())
    cases = [
        ((f"ref={ref_dir}/brick.png", f"dist={small}"), DataError,
         "differ in size: .*brick.png is 256x192, .*small.png is 120x100"),
        ((f"ref={exr_dir}/brick.exr", f"dist={exr_dir}/brick__blur_1.exr", "display=sdr_100"),
         ConfigError, re.escape("brick__blur_1.exr: HDR files hold absolute luminance (cd/m^2) "
                                "and are shown on no display, but display=<100 cd/m^2 peak")),
        ((f"ref={ref_dir}/brick.png", f"dist={broken}"), DataError,
         re.escape(f"{broken}: cannot decode image")),
        ((f"ref={ref_dir}", f"dist={empty}"), DataError, re.escape(f"{empty}: no images found")),
        ((f"ref={ref_dir}", f"dist={dist_dir}"), DataError,
         re.escape(f"extra.png in {ref_dir} have no image in {dist_dir}")),
        ((f"ref={ref_dir}/brick.png", f"dist={tmp_path}/missing.png"), MissingFileError,
         re.escape(f"dist: file or folder not found: {tmp_path}/missing.png")),
        ((f"dist={dist_dir}/brick.png",), ConfigError,
         "pieapp is a full-reference model: a reference image is needed"),
    ]  # fmt: skip
    for overrides, error, message in cases:
        with pytest.raises(error, match=message):
            run_predict(*overrides)


def test_malformed_pair_lists(run_predict, tmp_path):
    listing = tmp_path / "pairs.csv"
    listing.write_text("reference,distorted\na.png,b.png\n")
    with pytest.raises(
        DataError, match=r"expected a header with columns dist and ref, found \['reference'"
    ):
        run_predict(f"pairs={listing}")
    listing.write_text("ref,dist\na.png,b.png\n")
    with pytest.raises(MissingFileError, match=re.escape(f"{listing} line 2: dist file not found")):
        run_predict(f"pairs={listing}")


def test_cli_bad_input_is_one_line_without_traceback(trained_run, tmp_path, capsys):
    image = np.zeros((80, 80, 3), np.uint8)
    write_image(tmp_path / "a.png", image)
    code = run_main(
        main, f"ckpt_path={trained_run.ckpt}", f"ref={tmp_path}/a.png", f"dist={tmp_path}/b.png",
        f"paths.root_dir={tmp_path}",
    )  # fmt: skip
    output = "".join(capsys.readouterr())
    assert code == 1, output
    assert f"MissingFileError: dist: file or folder not found: {tmp_path}/b.png" in output
    assert "Traceback" not in output


def test_the_command_does_not_import_what_it_does_not_need():
    """Start-up time: ``python -m hdr_iqa.predict`` imports neither timm (VTAMIQ imports it when
    built), W&B, ONNX nor ColorVideoVDP until a model or an option needs them."""
    import subprocess
    import sys

    probe = "import sys, hdr_iqa.predict; print(sorted(m for m in ('timm', 'wandb', 'onnx', " \
            "'onnxruntime', 'pycvvdp') if m in sys.modules))"  # fmt: skip
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
