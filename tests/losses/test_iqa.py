import pytest
import scipy.stats
import torch

from hdr_iqa.losses import IQALoss, mae_loss, pearson_loss, rank_loss


def test_mae():
    assert mae_loss(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 4.0])).item() == 1.5


def test_pearson_loss_matches_scipy():
    p, y = torch.randn(50, dtype=torch.float64), torch.randn(50, dtype=torch.float64)
    r = scipy.stats.pearsonr(p.numpy(), y.numpy())[0]
    assert pearson_loss(p, y).item() == pytest.approx((1 - r) / 2, abs=1e-6)


def test_pearson_loss_has_gradient_for_inverted_ranking():
    y = torch.tensor([0.1, 0.5, 0.9])
    p = (-y).clone().requires_grad_(True)
    pearson_loss(p, y).backward()
    assert p.grad.abs().sum() > 0


def test_rank_loss_is_zero_for_correct_order_and_positive_otherwise():
    y = torch.tensor([0.1, 0.2, 0.3, 0.4])
    assert rank_loss(y * 2 + 1, y).item() == 0.0
    assert rank_loss(-y + 1, y).item() > 0.0


def test_weighted_sum():
    p, y = torch.randn(8), torch.rand(8)
    loss = IQALoss(mae=2.0, pearson=0.5, rank=0.25)(p, y)
    expected = 2 * mae_loss(p, y) + 0.5 * pearson_loss(p, y) + 0.25 * rank_loss(p, y)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    with pytest.raises(ValueError, match="-1"):
        IQALoss(mae=-1)
