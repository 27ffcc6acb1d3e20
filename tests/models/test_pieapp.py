"""PieAPP: parameter count, shapes, gradients, learning, patch terms, VGG16 initialisation,
published weight layouts ([DA] checkpoints, the official PU-PieAPP file)."""

import hydra
import pytest
import torch

from hdr_iqa.errors import MissingFileError, WeightsError
from hdr_iqa.models import MODEL_REGISTRY, PieAPP, get_model_class
from hdr_iqa.models.pieapp import COARSE_DIM, EXTRACTOR_CHANNELS, FEATURE_DIM


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


def test_patch_terms_of_chunks_add_up_to_the_score(model):
    """The image score is sum(score * weight) / sum(weight) over its patches: the terms of
    chunks of a draw add up to the score of the whole draw (dense grids are scored so)."""
    torch.manual_seed(1)
    ref = torch.randn(1, 6, 3, 64, 64)
    dist = ref + 0.5 * torch.randn_like(ref)
    with torch.no_grad():
        whole = model(ref, dist).score
        chunks = [model.patch_terms(model.forward_features(ref[:, i : i + 3], dist[:, i : i + 3]))
                  for i in (0, 3)]  # fmt: skip
    assert all(t.shape == (3,) for chunk in chunks for t in chunk)
    weighted, weight = (sum(chunk[i].sum() for chunk in chunks) for i in (0, 1))
    assert weight > 0 and torch.allclose(weighted / weight, whole, rtol=1e-5)


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


# ---------------------------------------------------------------------------- published weights
def published_pieapp_state() -> dict[str, torch.Tensor]:
    """[DA] PieAPP / official PU-PieAPP keys and shapes (weights-compat.md sections 1, 3)."""
    generator = torch.Generator().manual_seed(0)
    rand = lambda *shape: torch.randn(shape, generator=generator) * 0.01  # noqa: E731
    state = {}
    for i, (c_in, c_out) in enumerate(EXTRACTOR_CHANNELS, start=1):
        state[f"extractor.conv{i}.weight"] = rand(c_out, c_in, 3, 3)
        state[f"extractor.conv{i}.bias"] = rand(c_out)
    # the 512 x 120,832 layer as a broadcast view: a random tensor of the right shape whose file
    # stays small (torch.save stores the 512 values once)
    state["comparitor.fcs.0.weight"] = rand(512, 1).expand(512, 120_832)
    state.update({
        "comparitor.fcs.0.bias": rand(512), "comparitor.fcs.2.weight": rand(1, 512),
        "comparitor.fcs.2.bias": rand(1), "comparitor.fcs.4.weight": rand(1, 1),
        "comparitor.fcs.4.bias": rand(1), "comparitor.weights.0.weight": rand(512, 2048),
        "comparitor.weights.0.bias": rand(512), "comparitor.weights.2.weight": rand(1, 512),
        "comparitor.weights.2.bias": rand(1),
    })  # fmt: skip
    assert len(state) == 32 and sum(v.numel() for v in state.values()) == 68_376_580
    return state


def test_paper_code_pieapp_checkpoint_through_the_config(make_cfg, tmp_path):
    state = published_pieapp_state()
    torch.save({"model_state_dict": state, "epoch": 5, "SROCC": 0.8}, tmp_path / "best.pth")
    module = hydra.utils.instantiate(make_cfg(f"model.net.weights={tmp_path / 'best.pth'}").model)
    loaded = module.net.state_dict()
    for key, value in state.items():
        assert torch.equal(loaded[key.replace("comparitor.", "comparator.")], value), key


def test_official_pu_pieapp_file_without_sigmoid(tmp_path):
    state = published_pieapp_state()
    nested = {part: {k.split(".", 1)[1]: v for k, v in state.items() if k.startswith(part)}
              for part in ("extractor", "comparitor")}  # fmt: skip
    torch.save(nested, tmp_path / "pupieapp_weights.pt")
    model = PieAPP(weight_sigmoid=False, weights=tmp_path / "pupieapp_weights.pt")
    assert torch.equal(model.extractor.conv7.weight, state["extractor.conv7.weight"])
    # the official weight branch: Linear -> ReLU -> Linear -> + 1e-6 (no sigmoid)
    delta = torch.randn(5, 2048)
    hidden = torch.relu(
        delta @ state["comparitor.weights.0.weight"].T + state["comparitor.weights.0.bias"]
    )
    expected = (
        hidden @ state["comparitor.weights.2.weight"].T + state["comparitor.weights.2.bias"] + 1e-6
    )
    _, weight = model.comparator(torch.zeros(5, 120_832), delta)
    assert torch.allclose(weight, expected.squeeze(-1), atol=1e-6)


def test_mismatched_pieapp_file_names_the_key(tmp_path):
    state = published_pieapp_state()
    del state["comparitor.weights.2.bias"]
    torch.save(state, tmp_path / "pieapp.pth")
    expected = (r"model.net.weights: .*pieapp.pth does not match PieAPP \(32 entries expected\): "
                r"missing keys: comparator.weights.2.bias$")  # fmt: skip
    with pytest.raises(WeightsError, match=expected):
        PieAPP(weights=tmp_path / "pieapp.pth")
