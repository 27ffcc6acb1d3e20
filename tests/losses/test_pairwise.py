import pytest
import torch

from hdr_iqa.losses import PreferenceLoss, preference_probability


def test_preference_follows_the_error_like_direction():
    q_a, q_b = torch.tensor([0.1, 0.9, 0.5]), torch.tensor([0.9, 0.1, 0.5])
    p = preference_probability(q_a, q_b)
    assert p[0] > 0.5 > p[1] and p[2] == pytest.approx(0.5)  # smaller error = preferred
    assert preference_probability(q_a, q_b, scale=6.0)[0] > p[0]


def test_preference_loss_is_mae_and_learns_the_right_sign():
    loss = PreferenceLoss()
    target = torch.tensor([1.0, 0.0])
    q = torch.zeros(2, 2, requires_grad=True)  # columns: q_A, q_B
    optimizer = torch.optim.SGD([q], lr=5.0)
    for _ in range(50):
        optimizer.zero_grad()
        loss(q[:, 0], q[:, 1], target).backward()
        optimizer.step()
    assert q[0, 0] < q[0, 1] and q[1, 0] > q[1, 1]  # A preferred -> q_A < q_B
    expected = (torch.sigmoid(torch.tensor(0.4)) - 0.25).abs()
    value = loss(torch.tensor([0.3]), torch.tensor([0.7]), torch.tensor([0.25]))
    assert value == pytest.approx(float(expected))
    with pytest.raises(ValueError, match="got -1"):
        PreferenceLoss(scale=-1)
