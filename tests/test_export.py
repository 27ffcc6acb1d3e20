"""python -m hdr_iqa.export: the exported graph scores like the original model."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from hdr_iqa import load_model
from hdr_iqa.data.protocol import PatchProtocol, grid_positions, patch_centres
from hdr_iqa.errors import ConfigError
from hdr_iqa.export import export
from hdr_iqa.export import main as export_main
from hdr_iqa.inference import recipe
from hdr_iqa.inference.export import RECIPE_NAME, ScoreGraph, run_exported
from tests.helpers.cli import run_main
from tests.helpers.commands import logged_errors


def real_patches(model, trained_run, domain: str, suffix: str) -> tuple[torch.Tensor, ...]:
    """Inputs of the exported graph for 3 real pairs: float patches as the API cuts them."""
    folder = trained_run.data_dir / "synthetic" / domain
    inputs = []
    for distortion in ("blur_1", "blur_3", "banding_2" if domain == "hdr" else "noise_2"):
        pixels, display = model.prepare(
            folder / f"brick__{distortion}{suffix}", folder / f"brick{suffix}"
        )
        ref, dist, pos, params = model.inputs(pixels, display)
        inputs.append([ref[:, 0], dist[:, 0], pos[:, 0], params])
    ref, dist, pos, display = (torch.cat(x) for x in zip(*inputs, strict=True))
    scale = 1 / 255 if ref.dtype == torch.uint8 else 1.0
    return ref.float() * scale, dist.float() * scale, pos, display


@pytest.mark.parametrize(
    ("fmt", "run_name"),
    [
        ("torchscript", "trained_run"),  # PieAPP
        ("onnx", "trained_tiny"),  # the tiny network: ONNX export in seconds
        pytest.param("onnx", "trained_run", marks=pytest.mark.slow),  # PieAPP in ONNX: minutes
    ],
)
def test_export_command_scores_like_the_original(request, tmp_path, capsys, fmt, run_name):
    """``python -m hdr_iqa.export``: the written graph (TorchScript in torch, ONNX in onnxruntime)
    scores real patches like the checkpoint's module, and like the API for a one-draw pair."""
    run = request.getfixturevalue(run_name)
    out = tmp_path / "export"
    code = run_main(export_main, f"hydra.run.dir={out}", f"paths.root_dir={tmp_path}",
                    f"ckpt_path={run.ckpt}", f"format={fmt}")  # fmt: skip
    assert code == 0 and logged_errors(capsys) == []
    path = out / f"model{'.pt' if fmt == 'torchscript' else '.onnx'}"
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["format"] == fmt and meta["checkpoint"] == str(run.ckpt)
    assert (
        meta["inputs"] == ["ref", "dist", "pos", "display"]
        and meta["test_protocol"]["num_patches"] == 2
        and meta["max_abs_difference"] >= 0  # verified on random patches by the command
    )
    model = load_model(run.ckpt, device="cpu")
    graph = ScoreGraph(model.pipeline).eval()
    for domain, suffix in (("sdr", ".png"), ("hdr", ".exr")):
        inputs = real_patches(model, run, domain, suffix)
        model.module.chain.blocked = False  # the vectorised chain, the one export traces
        with torch.no_grad():
            expected = graph(*inputs)
        model.module.chain.blocked = True
        exported = run_exported(path, fmt, inputs)
        assert exported.shape == (3,) and len(set(exported.tolist())) == 3
        if fmt == "torchscript":
            assert torch.equal(exported, expected)
        else:
            assert torch.allclose(exported, expected, rtol=1e-4, atol=1e-7)
        dist = run.data_dir / "synthetic" / domain / f"brick__blur_1{suffix}"
        api = model.score(dist, dist.with_name(f"brick{suffix}"))
        assert float(exported[0]) == pytest.approx(api, rel=1e-4, abs=1e-7)


def test_unknown_format(make_cfg, trained_run):
    cfg = make_cfg(
        f"ckpt_path={trained_run.ckpt}", "format=tflite", config_name="export", tiny=False
    )
    with pytest.raises(
        ConfigError, match="format must be one of \\['onnx', 'torchscript'\\], got 'tflite'"
    ):
        export(cfg)


def test_recipe_positions_are_the_packages():
    """The recipe's numpy positions equal the package's torch-seeded draws (and dense grids) for
    random image sizes, counts, seeds and draws: no torch needed to cut the package's patches."""
    rng = np.random.default_rng(0)
    for _ in range(300):
        size = int(rng.choice([16, 64]))
        height, width = (int(x) for x in rng.integers(size, 2500, 2))
        patching = PatchProtocol(size, int(rng.choice([1, 2, 6, 17, 64, 384, 1024])),
                            seed=int(rng.integers(0, 2**31)))  # fmt: skip
        repeat = int(rng.integers(0, 4))
        expected = patching.corners(height, width, repeat)
        found = recipe.sample_positions(
            height, width, patching.num_patches, size, patching.seed, repeat
        )
        for want, got in zip(expected, found, strict=True):
            assert got.dtype == np.int64 and np.array_equal(want.numpy(), got)
        stride = int(rng.integers(1, 2 * size))
        for want, got in zip(
            grid_positions(height, width, size, stride),
            recipe.grid_positions(height, width, size, stride),
            strict=True,
        ):
            assert np.array_equal(want.numpy(), got)


BLOCKED = "torch", "hdr_iqa", "lightning", "hydra"
RUN_WITHOUT_PACKAGE = f"""
import runpy, sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {BLOCKED!r}:
            raise ImportError(f"{{name}} is blocked: the recipe must not need it")
sys.meta_path.insert(0, Blocker())
script, *sys.argv[1:] = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
assert not {{m.split(".")[0] for m in sys.modules}} & set({BLOCKED!r})
"""
"""Runs ``score_exported.py ARGS`` in ``python -I`` with torch, hdr_iqa, ... unimportable."""


def test_exported_onnx_scores_without_the_package(tmp_path, capsys, trained_tiny):
    """The ONNX export writes score_exported.py and model.json's recipe; run with numpy,
    onnxruntime and imageio/OpenEXR only (torch and hdr_iqa blocked), it scores an SDR (PNG) and
    an HDR (EXR) pair as the API does with the same protocol: 3 draws of 5 patches."""
    out = tmp_path / "export"
    code = run_main(export_main, f"hydra.run.dir={out}", f"paths.root_dir={tmp_path}",
                    f"ckpt_path={trained_tiny.ckpt}", "format=onnx",
                    "patches=5", "repeats=3")  # fmt: skip
    assert code == 0 and logged_errors(capsys) == []
    meta = json.loads((out / "model.json").read_text())
    assert meta["recipe"]["num_patches"] == 5 and meta["recipe"]["draws"] == 3
    model = load_model(trained_tiny.ckpt, device="cpu", patches=5, repeats=3)
    for domain, suffix in (("sdr", ".png"), ("hdr", ".exr")):
        folder = trained_tiny.data_dir / "synthetic" / domain
        dist, ref = folder / f"brick__blur_3{suffix}", folder / f"brick{suffix}"
        result = subprocess.run(
            [sys.executable, "-I", "-c", RUN_WITHOUT_PACKAGE, str(out / RECIPE_NAME),
             str(out / "model.onnx"), str(dist), str(ref)],
            capture_output=True, text=True, cwd=tmp_path, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        exported, api = float(result.stdout.strip()), model.score(dist, ref)
        tolerance = 1e-5 * abs(api) + 1e-6
        assert abs(exported - api) <= tolerance, domain
        first_draw = load_model(trained_tiny.ckpt, device="cpu", patches=5, repeats=1)
        assert abs(exported - first_draw.score(dist, ref)) > 10 * tolerance  # draws matter
    meta["recipe"]["check"]["positions"][2][1][0] += 1  # a generator that no longer matches
    (out / "model.json").write_text(json.dumps(meta))
    with pytest.raises(RuntimeError, match="differ from the exporting package's \\(draw 2\\)"):
        recipe.ExportedModel(out / "model.onnx")


@pytest.mark.parametrize("convention", ["paper", "centre"])
def test_recipe_centres_are_the_packages(convention):
    """The standalone recipe normalises patch centres as the package does, in both
    conventions (``"centres"`` in model.json), to the last float32 bit."""
    rng = np.random.default_rng(1)
    for _ in range(50):
        size = int(rng.choice([16, 64]))
        height, width = (int(x) for x in rng.integers(size, 2500, 2))
        tops = rng.integers(0, height - size + 1, 20)
        lefts = rng.integers(0, width - size + 1, 20)
        expected = patch_centres(torch.from_numpy(tops), torch.from_numpy(lefts), height, width,
                                 size, convention)  # fmt: skip
        found = recipe.patch_centres(tops, lefts, height, width, size, convention)
        assert found.dtype == np.float32 and np.array_equal(expected.numpy(), found)
