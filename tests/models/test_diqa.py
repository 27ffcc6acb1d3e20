"""DIQA: parameter counts, preprocessing, targets, both phases, no-reference use, Hydra runs."""

import hydra
import pytest
import torch

from hdr_iqa.errors import WeightsError
from hdr_iqa.models import DIQA
from hdr_iqa.models.diqa import high_pass, output_size, reliability_map

SMALL = ("model=diqa", "model.sampling.patch_size=64")


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_parameter_counts_match_spec():
    objective, subjective = DIQA("objective"), DIQA("subjective")
    assert count(objective.features) == 381_200
    assert count(objective) == 381_329 and count(subjective) == 397_841


def test_unknown_phase_lists_the_valid_ones():
    with pytest.raises(ValueError, match="got 'both'"):
        DIQA("both")


def test_high_pass_removes_flat_areas_and_keeps_fine_texture():
    flat = torch.full((1, 1, 64, 64), 100.0)
    assert high_pass(flat)[..., 12:-12, 12:-12].abs().max() < 1e-3  # borders: zero padding, as TF
    checker = (torch.arange(64)[:, None] + torch.arange(64)[None, :]) % 2 * 20.0 - 10.0
    residual = high_pass(checker[None, None])[..., 12:-12, 12:-12]
    assert torch.allclose(residual, checker[12:-12, 12:-12], atol=0.5)


def test_reliability_is_low_on_flat_areas_and_averages_to_one():
    hp = torch.zeros(1, 1, 8, 8)
    assert torch.equal(reliability_map(hp), hp)
    hp[..., :4] = 30.0
    r = reliability_map(hp)
    assert r[..., 4:].abs().max() == 0 and r.mean().item() == pytest.approx(1.0)


@pytest.mark.parametrize("phase", ["objective", "subjective"])
def test_forward_shapes_and_no_reference(phase):
    model = DIQA(phase).eval()
    ref = torch.rand(2, 3, 3, 68, 72) * 255
    dist = ref + 10 * torch.randn_like(ref)
    with torch.no_grad():
        features = model.forward_features(None, dist)
        alone = model(None, dist)
        with_ref = model(ref, dist)
    assert features["maps"].shape == (6, 128, *output_size(68, 72)) == (6, 128, 17, 18)
    assert alone.score.shape == (2,) and alone.features.shape == (2, 3, 128)
    assert torch.equal(alone.score, with_ref.score)  # the score never sees the reference
    assert (with_ref.loss is not None) == (phase == "objective") and alone.loss is None


def test_only_the_subjective_phase_needs_labels():
    assert not DIQA("objective").training_needs_labels and DIQA("subjective").training_needs_labels


def test_objective_phase_needs_the_reference_in_training():
    with pytest.raises(ValueError, match="needs the reference image in training"):
        DIQA("objective").train()(None, torch.rand(1, 1, 3, 16, 16))


def test_error_map_target_is_zero_for_identical_images():
    model = DIQA("objective")
    image = torch.rand(2, 1, 3, 32, 32) * 255
    features = model.forward_features(image, image)
    assert features["target"].abs().max() == 0 and features["target"].shape == (2, 1, 8, 8)


@pytest.mark.parametrize("phase", ["objective", "subjective"])
def test_every_parameter_gets_a_gradient(phase):
    model = DIQA(phase).train()
    ref = torch.rand(2, 2, 3, 32, 32) * 255
    out = model(ref, ref + 20 * torch.randn_like(ref))
    loss = out.loss.sum() if out.loss is not None else out.score.sum()
    (loss + out.features.mean()).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert not missing


@pytest.mark.parametrize("phase", ["objective", "subjective"])
def test_overfits_one_batch(phase):
    torch.manual_seed(0)
    model = DIQA(phase)
    ref = torch.rand(4, 1, 3, 24, 24) * 255
    dist = ref + torch.randn_like(ref) * torch.tensor([2.0, 10, 25, 60]).view(4, 1, 1, 1, 1)
    target = torch.tensor([0.1, 0.3, 0.5, 0.9])
    optimizer = torch.optim.NAdam(model.parameters(), lr=2e-3)
    losses = []
    for _ in range(40):
        out = model(ref, dist)
        loss = out.loss.mean() if phase == "objective" else (out.score - target).square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 10, losses


# ---------------------------------------------------------------------------- module, Hydra
def test_module_scores_without_the_reference_and_trains_phase_one_on_the_error_map(make_cfg):
    cfg = make_cfg(*SMALL, "da=coral", "model.sampling.train=4")
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.setup("fit")
    module = hydra.utils.instantiate(cfg.model)
    batch, *_ = next(iter(datamodule.train_dataloader()))
    with torch.no_grad():
        terms = module.compute_losses(batch)
        target = batch["target"]
        score = module.eval()(target)
        no_ref = module({k: v for k, v in target.items() if k != "ref"})
    assert torch.equal(score, no_ref)
    assert terms["loss_coral"] > 0  # CORAL on DIQA's pooled features: 2 x 4 rows per domain
    ref, dist, pos = module.train().chain_roles({"target": target})["target"]
    expected = module.net(ref, dist, pos).loss.mean()
    assert terms["loss_target"].item() == pytest.approx(expected.item(), rel=1e-5)


def test_two_phases_from_hydra(make_cfg, trained_diqa):
    """trained_diqa ran both phases through the train entry point (tests/conftest.py)."""
    assert "val/srocc" in trained_diqa.phase_one.metrics
    checkpoint = trained_diqa.phase_one.dir / "checkpoints/last.ckpt"
    phase_one = torch.load(checkpoint, weights_only=True)["state_dict"]
    overrides = (*SMALL, "model.net.phase=subjective", f"model.net.extractor_weights={checkpoint}")
    module = hydra.utils.instantiate(make_cfg(*overrides).model)
    for name, value in module.net.features.state_dict().items():
        assert torch.equal(value, phase_one[f"net.features.{name}"]), name
    metrics = trained_diqa.metrics
    assert "test/hdr/srocc" in metrics and "train/loss" in metrics
    config = torch.load(trained_diqa.ckpt, weights_only=True)["hdr_iqa"]["config"]["model"]["net"]
    assert config["phase"] == "subjective"
    assert config["extractor_weights"] == str(trained_diqa.extractor_weights)


def test_phase_one_checkpoint_as_complete_weights_points_to_extractor_weights(tmp_path):
    torch.save(
        {f"net.{k}": v for k, v in DIQA("objective").state_dict().items()}, tmp_path / "a.pth"
    )
    lightning = {"state_dict": torch.load(tmp_path / "a.pth"), "pytorch-lightning_version": "2"}
    torch.save(lightning, tmp_path / "a.ckpt")
    expected = (rf"model.net.weights: {tmp_path}/a.ckpt holds DIQA's objective phase \(key "
                r"error_head.weight\), but model.net.phase=subjective: start phase two from phase "
                rf"one with model.net.extractor_weights={tmp_path}/a.ckpt$")  # fmt: skip
    with pytest.raises(WeightsError, match=expected):
        DIQA("subjective", weights=tmp_path / "a.ckpt")
    assert torch.equal(DIQA("objective", weights=tmp_path / "a.ckpt").error_head.weight,
                       lightning["state_dict"]["net.error_head.weight"])  # fmt: skip


def test_the_phase_of_a_weights_file_is_read_from_its_keys(tmp_path):
    subjective = DIQA("subjective").state_dict()
    torch.save(subjective, tmp_path / "two.pth")
    assert torch.equal(DIQA("subjective", weights=tmp_path / "two.pth").score_head[0].weight,
                       subjective["score_head.0.weight"])  # fmt: skip
    with pytest.raises(WeightsError, match=rf"{tmp_path}/two.pth holds DIQA's subjective phase "
                       r"\(key score_head.0.weight\), but model.net.phase=objective: set "
                       r"model.net.phase=subjective to use it$"):  # fmt: skip
        DIQA("objective", weights=tmp_path / "two.pth")
    features = {k: v for k, v in subjective.items() if k.startswith("features.")}
    torch.save(features, tmp_path / "none.pth")
    expected = (rf"model.net.weights: {tmp_path}/none.pth holds no DIQA phase: expected the "
                r"keys error_head.\* \(objective\) or score_head.\* \(subjective\), found keys "
                r"such as features.0.bias, features.0.weight")  # fmt: skip
    with pytest.raises(WeightsError, match=expected):
        DIQA("objective", weights=tmp_path / "none.pth")
    subjective["features.0.bias"] = torch.zeros(3)  # the right head, a wrong feature extractor
    torch.save(subjective, tmp_path / "bad.pth")
    with pytest.raises(WeightsError, match=r"bad.pth does not match DIQA .*wrong shapes: "
                       r"features.0.bias \(3,\) \(expected \(48,\)\)"):  # fmt: skip
        DIQA("subjective", weights=tmp_path / "bad.pth")
