"""python -m hdr_iqa.inspect: every README form (the image as a bare argument and as image=),
data configs with any training override, and one-line errors."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hdr_iqa.inspect import main
from hdr_iqa.io import write_image
from tests.data.builders import make_kadid, make_sihdr, make_upiq
from tests.helpers.cli import run_main
from tests.helpers.commands import ANSI, logged_errors

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def cwd(tmp_path, monkeypatch) -> Path:
    """An empty working directory (inspect writes nothing), and data.verify's memory of checked
    files in the temporary directory, not the home directory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg_cache"))
    path = tmp_path / "cwd"
    path.mkdir()
    monkeypatch.chdir(path)
    yield path
    assert list(path.iterdir()) == []  # no run directory, .hydra/ or inspect.log


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


def test_readme_data_form_and_kfold_report(tmp_path, capsys):
    """``python -m hdr_iqa.inspect data=upiq_hdr paths.data_dir=/data/iqa`` (README), a fold."""
    make_upiq(tmp_path / "upiq_dataset")
    assert run_main(main, "data=upiq_hdr", f"paths.data_dir={tmp_path}") == 0
    out = capsys.readouterr().out
    assert out.startswith("upiq_hdr (source, hdr)\n")  # the report alone: no log lines
    assert "samples per split: train 6, val 2, test 2" in out and "JOD on [-8.85431" in out
    assert "shown as: absolute luminance (cd/m^2)" in out
    assert main(["data=upiq_hdr", f"paths.data_dir={tmp_path}", "data.fold=1"]) == 0
    assert "contents per split: train 3, val 1, test 1" in capsys.readouterr().out


@pytest.mark.parametrize("form", ["legacy", "key=value"])
def test_readme_image_forms(tmp_path, capsys, form):
    """``python -m hdr_iqa.inspect image.exr`` and ``... x.png display=sdr_100`` (README)."""

    def image(path: Path) -> str:
        return str(path) if form == "legacy" else f"image={path}"

    path = write_image(tmp_path / "image.exr", np.full((4, 4, 3), 0.5, np.float32))
    assert run_main(main, image(path)) == 0
    out = capsys.readouterr().out
    assert f"{path}: 4x4, luminance (cd/m^2): 0.5 .. 0.5" in out and "look relative" in out
    png = write_image(tmp_path / "a.png", np.full((4, 4, 3), 255, np.uint8))
    assert run_main(main, image(png), "display=hdr_5000") == 0
    assert "display 5000 cd/m^2" in capsys.readouterr().out
    assert run_main(main, "display=sdr_100", image(png)) == 0  # overrides before the file
    out = capsys.readouterr().out  # 100 cd/m^2 white + 100 lux reflected off the screen
    assert "display 100 cd/m^2" in out and "luminance reaching PU21: 100.2 .. 100.2" in out


@pytest.mark.parametrize("form", ["legacy", "key=value"])
def test_readme_pq_form_shows_the_luminance_reaching_pu21(tmp_path, capsys, form):
    """``python -m hdr_iqa.inspect frame_pq.png display=hdr_pq`` (README) on a 16-bit PQ PNG
    coding 0.1, 100 and 1000 cd/m^2, 10-bit codes MSB-aligned (``display.bits=10``)."""
    import torch

    from hdr_iqa.photometry import pq_inverse_eotf

    luminance = torch.tensor([0.1, 100.0, 1000.0], dtype=torch.float64)
    codes = torch.round(pq_inverse_eotf(luminance) * 1023).to(torch.int64).numpy()
    pixels = np.broadcast_to(codes.astype(np.uint16)[None, :, None] << 6, (2, 3, 3))
    path = write_image(tmp_path / "frame_pq.png", np.ascontiguousarray(pixels))
    image = str(path) if form == "legacy" else f"image={path}"
    assert run_main(main, image, "display=hdr_pq", "display.bits=10") == 0
    out = capsys.readouterr().out
    assert "display 1500 cd/m^2, contrast 1e+06, PQ BT.2020, 10 lux" in out
    # 10-bit PQ steps are ~1% in luminance; black + reflections add 0.0174 cd/m^2
    found = re.search(r"luminance reaching PU21: (\S+) \.\. (\S+) cd/m\^2", out)
    assert float(found[1]) == pytest.approx(0.1174, rel=0.02)
    assert float(found[2]) == pytest.approx(1000.0, rel=0.01)


def test_errors_are_one_line_with_exit_code_1(tmp_path, capsys):
    png = write_image(tmp_path / "a.png", np.full((2, 2, 3), 255, np.uint8))
    cases = [  # (arguments, the logged error)
        (["data=kadid", f"paths.data_dir={tmp_path}"],
         f"MissingFileError: KADID-10k root not found: {tmp_path}/kadid10k"),
        ([str(tmp_path / "missing.exr")],
         f"MissingFileError: {tmp_path}/missing.exr: image file not found"),
        ([f"image={tmp_path}/missing.exr"],
         f"MissingFileError: {tmp_path}/missing.exr: image file not found"),
        ([f"image={tmp_path}/notes.txt"],
         f"DataError: {tmp_path}/notes.txt: unsupported image format '.txt'"),
        ([str(png), str(png)],
         f"ConfigError: inspect takes one image file (image=<file>), got ['{png}', '{png}']"),
    ]  # fmt: skip
    for args, message in cases:
        assert run_main(main, *args) == 1, args
        (error,) = logged_errors(capsys)
        assert error.startswith(message), (args, error)


def test_python_m_inspect_error_is_one_line_and_exit_code_1(tmp_path, cwd):
    """The module as a program (``sys.exit(main())``): the process's exit code and output."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
           os.environ.get("PYTHONPATH")]))}  # fmt: skip
    missing = tmp_path / "image.exr"
    failed = subprocess.run([sys.executable, "-m", "hdr_iqa.inspect", str(missing)], cwd=cwd,
                            env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    output = ANSI.sub("", failed.stdout + failed.stderr)
    assert failed.returncode == 1 and "Traceback" not in output, output[-3000:]
    (line,) = output.strip().splitlines()
    assert line.endswith(f"MissingFileError: {missing}: image file not found")


def test_help_shows_both_forms(capsys):
    assert run_main(main, "--help") == 0
    out = capsys.readouterr().out
    assert "python -m hdr_iqa.inspect image=<file> [display=<option>]" in out
    assert "data: " in out and "upiq_hdr" in out  # the config groups and their options
