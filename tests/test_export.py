"""python -m hdr_iqa.export: the exported graph scores like the original model."""

import json

import pytest
import torch

from hdr_iqa import load_model
from hdr_iqa.errors import ConfigError
from hdr_iqa.export import ScoringGraph, export, run_exported


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


@pytest.mark.parametrize("fmt", ["torchscript", pytest.param("onnx", marks=pytest.mark.slow)])
def test_exported_model_scores_like_the_original(make_cfg, trained_run, tmp_path, fmt):
    cfg = make_cfg(
        f"ckpt_path={trained_run.ckpt}", f"format={fmt}", config_name="export", tiny=False
    )
    meta = export(cfg)
    path = tmp_path / f"model{'.pt' if fmt == 'torchscript' else '.onnx'}"
    assert json.loads(path.with_suffix(".json").read_text()) == meta
    assert (
        meta["inputs"] == ["ref", "dist", "pos", "display"]
        and meta["test_protocol"]["num_patches"] == 2
    )
    model = load_model(trained_run.ckpt, device="cpu")
    graph = ScoringGraph(model.module).eval()
    for domain, suffix in (("sdr", ".png"), ("hdr", ".exr")):
        inputs = real_patches(model, trained_run, domain, suffix)
        model.module.chain.blocked = False  # the vectorised chain, the one export traces
        with torch.no_grad():
            expected = graph(*inputs)
        model.module.chain.blocked = True
        exported = run_exported(path, fmt, inputs)
        if fmt == "torchscript":
            assert torch.equal(exported, expected)
        else:
            assert torch.allclose(exported, expected, rtol=1e-4, atol=1e-7)
        dist = trained_run.data_dir / "synthetic" / domain / f"brick__blur_1{suffix}"
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
