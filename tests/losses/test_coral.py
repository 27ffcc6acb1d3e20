"""DeepCORAL: zero for identical batches, hand-computed values, gradients."""

import pytest
import torch

from hdr_iqa.losses import CoralLoss, coral_loss

XS = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])  # scatter [[2,0],[0,2]]
XT = torch.tensor([[1.0, 1.0], [-1.0, -1.0], [1.0, 1.0], [-1.0, -1.0]])  # scatter [[4,4],[4,4]]


@pytest.mark.parametrize("variant", ["fro_over_d", "sun_saenko"])
def test_zero_for_identical_batches(variant):
    x = torch.randn(32, 16)
    assert coral_loss(x, x.clone(), variant).item() == 0.0


def test_hand_computed_values():
    # fro_over_d, no normalisation: ||[[-2,-4],[-4,-2]]||_F / 2 = sqrt(40) / 2
    assert coral_loss(XS, XT, "fro_over_d", normalize=False).item() == pytest.approx(40**0.5 / 2)
    # min-max normalised to [0, 1]: scatter [[.5,0],[0,.5]] vs [[1,1],[1,1]]
    assert coral_loss(XS, XT, "fro_over_d").item() == pytest.approx(2.5**0.5 / 2)
    # Sun & Saenko: covariances = scatter / 3, ||.||_F^2 / (4 d^2) = (40/9) / 16
    assert coral_loss(XS, XT, "sun_saenko").item() == pytest.approx(40 / 9 / 16)


def test_positive_and_differentiable():
    source = torch.randn(20, 8, requires_grad=True)
    target = (torch.randn(30, 8) * torch.linspace(0.2, 3, 8)).requires_grad_(True)
    for variant in ("fro_over_d", "sun_saenko"):
        loss = coral_loss(source, target, variant)
        assert loss.item() > 0
        grad_s, grad_t = torch.autograd.grad(loss, (source, target))
        assert grad_s.abs().sum() > 0 and grad_t.abs().sum() > 0 and torch.isfinite(grad_s).all()


def test_invariant_to_row_order_and_sensitive_to_scale():
    x, y = torch.randn(16, 4), torch.randn(16, 4)
    base = coral_loss(x, y, "sun_saenko")
    assert torch.allclose(coral_loss(x[torch.randperm(16)], y, "sun_saenko"), base)
    assert coral_loss(x * 3, y, "sun_saenko") > base


def test_module_skips_small_batches_and_checks_shapes():
    loss = CoralLoss(min_rows=5)
    assert loss(torch.randn(5, 3), torch.randn(10, 3)).item() == 0.0
    assert loss(torch.randn(6, 3), torch.randn(10, 3)).item() > 0.0
    with pytest.raises(ValueError, match=r"\(6, 3\) and \(10, 4\)"):
        loss(torch.randn(6, 3), torch.randn(10, 4))


def test_float32_under_autocast():
    x, y = torch.randn(10, 4), torch.randn(12, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = coral_loss(x.bfloat16(), y.bfloat16())
    assert value.dtype == torch.float32
