"""The IQAModel contract, over the whole model registry (timm's tests/test_models.py habit).

Every registered model is listed here, either as a trainable network (built small, random
init, no downloads) or as a metric without training; a new model fails
``test_every_registered_model_is_covered`` until it is added. Trainable networks: shapes of the
score and the CORAL features, finite values, a gradient for every parameter from the training
loss (score + CORAL + the model's own loss), patch terms, init-file keys, and a round trip of
the weights through a file into a freshly built model.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import torch

from hdr_iqa.losses import coral_loss
from hdr_iqa.models import DIQA, MODEL_REGISTRY, VTAMIQ, IQAModel, PieAPP, get_model_class

B, N = 2, 3
"""Images per batch and patches per image."""


@dataclass(frozen=True)
class Spec:
    """A small build of one trainable model and the feature layout it documents."""

    build: Callable[[], IQAModel]
    patch: int  # P of the (B, N, 3, P, P) test patches
    rows: int  # K of the (B, K, d) CORAL features
    width: int  # d
    patch_terms: bool  # image score = weighted mean of per-patch terms


TRAINABLE = {
    "pieapp": Spec(lambda: PieAPP(init="kaiming"), 64, 2 * N, 2048, True),
    "vtamiq": Spec(
        lambda: VTAMIQ("vit_tiny_patch16_384", depth=2, num_groups=1, num_rcabs=2, reduction=4),
        16, 2, 192, False,
    ),
    "diqa/objective": Spec(lambda: DIQA("objective"), 32, N, 128, False),
    "diqa/subjective": Spec(lambda: DIQA("subjective"), 32, N, 128, False),
}  # fmt: skip
"""name[/variant] -> small build; the registered name is the part before '/'."""
METRICS = {"psnr": {}, "ssim": {}, "pu_psnr": {}, "pu_ssim": {}, "cvvdp": {"ppd": 30.0}}
"""Metrics without training (no parameters, whole images) -> constructor arguments."""


def inputs(patch: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """ref, dist (B, N, 3, P, P) and centres (B, N, 2) in (0, 1)."""
    generator = torch.Generator().manual_seed(seed)
    ref = torch.randn(B, N, 3, patch, patch, generator=generator)
    dist = ref + 0.5 * torch.randn(ref.shape, generator=generator)
    return ref, dist, torch.rand(B, N, 2, generator=generator)


@pytest.fixture(scope="module", params=list(TRAINABLE))
def built(request) -> tuple[Spec, IQAModel]:
    spec = TRAINABLE[request.param]
    torch.manual_seed(0)
    return spec, spec.build()


def test_every_registered_model_is_covered():
    trainable = {name.split("/")[0] for name in TRAINABLE}
    assert trainable | set(METRICS) == set(MODEL_REGISTRY)
    assert not trainable & set(METRICS)


def test_class_attributes(built):
    _, model = built
    cls = type(model)
    assert issubclass(cls, IQAModel) and isinstance(cls.patch_size, int) and cls.patch_size > 0
    assert len(cls.input_mean) == len(cls.input_std) == 3 and min(cls.input_std) > 0
    init_args = set(inspect.signature(cls.__init__).parameters)
    assert set(cls.init_file_keys) <= init_args, "init_file_keys must be constructor arguments"
    assert "weights" in cls.init_file_keys  # every trainable model loads complete weights


def test_shapes_and_finite_values(built):
    spec, model = built
    model.eval()
    ref, dist, pos = inputs(spec.patch)
    with torch.no_grad():
        out = model(ref, dist, pos)
        features = model.forward_features(ref, dist, pos)
        head = model.forward_head(features)
        coral = model.coral_features(features)
    assert out.score.shape == (B,) and out.score.dtype == torch.float32
    assert out.features.shape == coral.shape == (B, spec.rows, spec.width)
    assert torch.isfinite(out.score).all() and torch.isfinite(out.features).all()
    assert torch.equal(out.score, head)  # forward = forward_head(forward_features(...))
    if model.no_reference:  # the score never sees the reference
        assert torch.equal(model(None, dist, pos).score, out.score)


def test_every_parameter_gets_a_gradient(built):
    spec, model = built
    model.train()
    model.zero_grad()
    ref, dist, pos = inputs(spec.patch, seed=1)
    out = model(ref, dist, pos)
    assert (out.loss is not None) == (not model.training_needs_labels)
    loss = out.score.square().mean() + coral_loss(out.features[0], out.features[1])
    if out.loss is not None:  # a label-free training loss (DIQA phase one)
        assert out.loss.shape == (B,) and torch.isfinite(out.loss).all()
        loss = loss + out.loss.mean()
    loss.backward()
    missing = [
        name
        for name, p in model.named_parameters()
        if p.grad is None or not torch.isfinite(p.grad).all() or not p.grad.abs().sum() > 0
    ]
    assert not missing, f"no (finite, non-zero) gradient: {missing}"


def test_patch_terms(built):
    """Scoring looks the hook up as ``getattr(net, "patch_terms", None)`` and calls it when
    callable; the terms of a draw reproduce its score."""
    spec, model = built
    own = getattr(model, "patch_terms", None)
    assert callable(own) == spec.patch_terms
    if own is None:
        return
    model.eval()
    ref, dist, pos = inputs(spec.patch, seed=2)
    with torch.no_grad():
        features = model.forward_features(ref, dist, pos)
        weighted, weight = own(features)
        score = model.forward_head(features)
    assert weighted.shape == weight.shape == (B * N,)
    pooled = weighted.view(B, N).sum(1) / weight.view(B, N).sum(1)
    assert torch.allclose(pooled, score, rtol=1e-5, atol=1e-6)


def test_weights_round_trip_through_a_file(built, tmp_path):
    spec, model = built
    model.eval()
    torch.save(model.state_dict(), tmp_path / "weights.pth")
    torch.manual_seed(123)  # another random init
    fresh = spec.build().eval()
    fresh.load_weights(tmp_path / "weights.pth")
    ref, dist, pos = inputs(spec.patch, seed=3)
    with torch.no_grad():
        before, after = model(ref, dist, pos), fresh(ref, dist, pos)
    assert torch.equal(before.score, after.score) and torch.equal(before.features, after.features)


@pytest.mark.parametrize("name", list(METRICS))
def test_metrics_without_training(name):
    metric = get_model_class(name)(**METRICS[name])
    assert not list(metric.parameters()) and metric.init_file_keys == ()
    assert getattr(metric, "patch_terms", None) is None and metric.patch_size is None
    generator = torch.Generator().manual_seed(0)
    ref = torch.rand(B, 1, 3, 32, 32, generator=generator)  # whole images: N = 1
    dist = (ref + 0.1 * torch.randn(ref.shape, generator=generator)).clamp(0, 1)
    out = metric(ref, dist)
    assert out.score.shape == (B,) and out.features.shape == (B, 1, 0) and out.loss is None
    assert torch.isfinite(out.score).all() and (out.score > 0).all()
    assert (metric(ref, ref).score < out.score).all()  # identical images score best
