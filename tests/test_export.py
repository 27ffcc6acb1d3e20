"""python -m hdr_iqa.export: the exported graph scores like the original model."""

import json

import pytest
import torch

from hdr_iqa import load_model
from hdr_iqa.errors import ConfigError
from hdr_iqa.export import ScoringGraph, export, run_exported
from hdr_iqa.export import main as export_main
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
        draws = [model.patching.positions(*pixels.shape[1:3], 0)]
        batch = model.scorer._batch(pixels, draws, display.params())
        inputs.append(
            [batch["ref"][:, 0], batch["dist"][:, 0], batch["pos"][:, 0], batch["display"]]
        )
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
    graph = ScoringGraph(model.module).eval()
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
