"""PieAPP: parameter count, shapes, gradients, learning, VGG16 initialisation."""

import pytest
import torch

from hdr_iqa.errors import MissingFileError, WeightsError
from hdr_iqa.models import MODEL_REGISTRY, PieAPP, get_model_class
from hdr_iqa.models.pieapp import COARSE_DIM, FEATURE_DIM


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return PieAPP(init="kaiming")


def test_parameter_count_matches_spec(model):
    assert sum(p.numel() for p in model.parameters()) == 68_376_580
    assert sum(p.numel() for p in model.extractor.parameters()) == 5_459_968


def test_extractor_feature_sizes(model):
    features, coarse = model.extractor(torch.randn(3, 3, 64, 64))
    assert features.shape == (3, FEATURE_DIM) == (3, 120_832) and coarse.shape == (3, COARSE_DIM)


def test_forward_shapes_and_identical_images(model):
    ref = torch.randn(2, 3, 3, 64, 64)
    out = model(ref, ref + 0.3 * torch.randn_like(ref))
    assert out.score.shape == (2,) and out.features.shape == (2, 6, COARSE_DIM)
    same = model(ref, ref)
    # identical inputs: every feature difference is 0, so all images get the same score
    assert torch.allclose(same.score, same.score[0].expand(2))


def test_every_parameter_gets_a_gradient(model):
    model.zero_grad()
    ref = torch.randn(2, 2, 3, 64, 64)
    out = model(ref, ref + torch.randn_like(ref))
    (out.score.sum() + out.features.mean()).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert not missing


def test_overfits_one_batch():
    torch.manual_seed(0)
    model = PieAPP(init="kaiming")
    ref = torch.randn(4, 1, 3, 64, 64)
    dist = ref + torch.randn_like(ref) * torch.tensor([0.1, 0.3, 0.6, 1.0]).view(4, 1, 1, 1, 1)
    target = torch.tensor([0.1, 0.3, 0.5, 0.9])
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-4, fused=True)  # one kernel: faster
    losses = []
    for _ in range(12):
        loss = (model(ref, dist).score - target).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 10


def test_vgg16_initialisation_from_local_file(tmp_path):
    torchvision = pytest.importorskip("torchvision")
    state = torchvision.models.vgg16().state_dict()  # random init, no download
    path = tmp_path / "vgg16.pth"
    torch.save(state, path)
    model = PieAPP(vgg16_weights=path)
    assert torch.equal(model.extractor.conv3.weight, state["features.2.weight"])  # conv1_2 reused
    assert torch.equal(model.extractor.conv11.bias, state["features.19.bias"])


def test_missing_vgg16_file_names_key_and_path(tmp_path):
    with pytest.raises(MissingFileError, match=f"model.net.vgg16_weights: .*{tmp_path}/none.pth"):
        PieAPP(vgg16_weights=tmp_path / "none.pth")


def test_wrong_vgg16_file_says_what_was_expected(tmp_path):
    torch.save({"features.0.weight": torch.zeros(1)}, tmp_path / "bad.pth")
    with pytest.raises(
        WeightsError, match=r"features\.0\.weight of shape \(64, 3, 3, 3\), found \(1,\)"
    ):
        PieAPP(vgg16_weights=tmp_path / "bad.pth")


def test_registry():
    assert get_model_class("pieapp") is PieAPP and "pieapp" in MODEL_REGISTRY
    with pytest.raises(Exception, match="Did you mean 'pieapp'"):
        get_model_class("piapp")
