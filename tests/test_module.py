"""The LightningModule: the config groups change the computation, not just the config."""

import re

import hydra
import pytest
import torch

from hdr_iqa.module import IQAModule
from hdr_iqa.photometry import PU21
from tests.data.builders import make_csv
from tests.data.conftest import TINY_MODEL
from tests.helpers.commands import logged_errors, train_command

ENOUGH_ROWS = ("model.sampling.train=2", "data.batch_size=8")  # CORAL needs > 5 rows per domain


@pytest.fixture
def tiny_cfg(make_cfg):
    """``make_cfg`` with the tiny network: what is checked here is the module's, not PieAPP's."""
    return lambda *overrides: make_cfg(*TINY_MODEL, *overrides)


def build(cfg) -> tuple[IQAModule, dict]:
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.setup("fit")
    torch.manual_seed(0)
    module = hydra.utils.instantiate(cfg.model)
    torch.manual_seed(1)
    batch, *_ = next(iter(datamodule.train_dataloader()))
    return module.train(), batch


def losses(cfg) -> dict[str, float]:
    module, batch = build(cfg)
    with torch.no_grad():
        return {k: v.item() for k, v in module.compute_losses(batch).items()}


def test_coral_total_loss(tiny_cfg):
    terms = losses(tiny_cfg("da=coral", *ENOUGH_ROWS))
    assert terms["loss_coral"] > 0
    expected = terms["loss_source"] + terms["loss_target"] + 0.025 * terms["loss_coral"]
    assert terms["loss"] == pytest.approx(expected, rel=1e-6)


def test_da_weight_changes_the_loss_by_lambda_times_coral(tiny_cfg):
    base = losses(tiny_cfg("da=coral", *ENOUGH_ROWS))
    heavier = losses(tiny_cfg("da=coral", "da.weight=0.1", *ENOUGH_ROWS))
    assert heavier["loss_coral"] == pytest.approx(base["loss_coral"], rel=1e-6)
    assert heavier["loss"] - base["loss"] == pytest.approx(0.075 * base["loss_coral"], rel=1e-4)


def test_da_none_has_no_coral_term(tiny_cfg):
    module, batch = build(tiny_cfg("da=none"))
    assert module.coral is None
    with torch.no_grad():
        terms = module.compute_losses(batch)
    assert "loss_coral" not in terms
    assert terms["loss"].item() == pytest.approx(
        (terms["loss_source"] + terms["loss_target"]).item()
    )


def test_source_and_target_weights(tiny_cfg):
    terms = losses(tiny_cfg("da=none", "da.source_weight=0.5", "da.target_weight=2.0"))
    assert terms["loss"] == pytest.approx(
        0.5 * terms["loss_source"] + 2 * terms["loss_target"], rel=1e-6
    )


def test_norm_n255_rescales_the_backbone_input(tiny_cfg):
    pmax, batch = build(tiny_cfg("norm=pmax"))
    n255, _ = build(tiny_cfg("norm=n255"))
    target = batch["target"]
    mean = torch.tensor(pmax.net.input_mean).view(3, 1, 1)
    std = torch.tensor(pmax.net.input_std).view(3, 1, 1)
    with torch.no_grad():
        x_pmax = pmax.chain.eval()(target["ref"][:, 0], target["display"]) * std + mean
        x_n255 = n255.chain.eval()(target["ref"][:, 0], target["display"]) * std + mean
        scores = [m.eval()(target) for m in (pmax, n255)]
    pu = PU21()
    ratio = (pu.p_max - pu.p_min) / (pu.p_100 - pu.p_min)  # 2.3222...
    assert torch.allclose(x_n255, x_pmax * ratio, rtol=1e-4, atol=1e-5)
    assert not torch.allclose(scores[0], scores[1])


def test_srgb_norm_skips_pu(tiny_cfg):
    module, batch = build(tiny_cfg("norm=srgb"))
    source = batch["source"]
    mean = torch.tensor(module.net.input_mean).view(3, 1, 1)
    std = torch.tensor(module.net.input_std).view(3, 1, 1)
    with torch.no_grad():
        x = module.chain.eval()(source["ref"][:, 0], source["display"]) * std + mean
    assert torch.allclose(x, source["ref"][:, 0].float() / 255, atol=1e-5)


def draw(batch: dict, r: int) -> dict:
    """The batch with only its draw ``r`` (R = 1)."""
    return {**batch, **{k: batch[k][:, r : r + 1] for k in ("ref", "dist", "pos")}}


def test_forward_averages_distinct_draws(tiny_cfg):
    """A test batch of 3 seeded draws per sample scores the mean of the draws' own scores, in
    one pass or one draw per pass (a forward keeping one draw, or one group, would fail)."""
    cfg = tiny_cfg("model.sampling.test=2", "model.sampling.test_repeats=3")
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.setup("test")
    batch = next(iter(datamodule.test_dataloader()[0]))
    torch.manual_seed(0)
    module = hydra.utils.instantiate(cfg.model).eval()
    assert batch["dist"].shape[:3] == (8, 3, 2)  # 8 samples x 3 draws x 2 patches
    with torch.no_grad():
        per_draw = torch.stack([module(draw(batch, r)) for r in range(3)], dim=1)  # (8, 3)
        whole = module(batch)
        module.pipeline.patch_batch_size = 2  # one draw per network pass
        grouped = module(batch)
    assert (per_draw.std(dim=1) > 1e-4).all()  # the draws score differently
    torch.testing.assert_close(whole, per_draw.mean(dim=1), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(grouped, per_draw.mean(dim=1), rtol=1e-5, atol=1e-6)


def test_precomputed_chain_inputs_give_the_same_losses(make_cfg):
    """compute_losses(batch, chained) (the bench's bare network) == compute_losses(batch)."""
    module, batch = build(make_cfg("da=coral", *ENOUGH_ROWS))
    module.chain.jitter_display = False  # the same display in both calls
    with torch.no_grad():
        direct = module.compute_losses(batch)
        chained = module.compute_losses(batch, module.chain_roles(batch))
    assert direct.keys() == chained.keys() and "loss_coral" in direct
    for name, value in direct.items():
        torch.testing.assert_close(chained[name], value, rtol=1e-6, atol=1e-6)


def test_evaluation_in_groups_of_draws_gives_the_same_scores(make_cfg):
    """eval_patch_batch_size bounds memory without changing any sample's score."""
    module, batch = build(make_cfg("model.sampling.train=3"))
    sample = batch["source"]
    flips = [lambda x: x, lambda x: x.flip(-1), lambda x: x.flip(-2)]  # 3 distinct draws
    repeated = {
        **sample,
        "pos": torch.cat([sample["pos"]] * 3, dim=1),
        **{k: torch.cat([f(sample[k]) for f in flips], dim=1) for k in ("ref", "dist")},
    }
    module.eval()
    with torch.no_grad():
        whole = module(repeated)  # 4 samples x 3 draws x 3 patches = 36 patches in one pass
        module.pipeline.patch_batch_size = 4  # one draw per pass
        grouped = module(repeated)
    torch.testing.assert_close(grouped, whole, rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        per_draw = torch.stack([module(draw(repeated, r)) for r in range(3)], dim=1)
    assert (per_draw.std(dim=1) > 1e-6).all()
    torch.testing.assert_close(whole, per_draw.mean(dim=1), rtol=1e-5, atol=1e-6)


def test_unlabelled_training_rows_are_named_by_file_and_line(tmp_path, synthetic_data_dir, capsys):
    """A CSV with empty scores (lines 3, 5, 7, 9, 11) trained with a non-zero loss weight: the
    command stops naming the first three rows where the CSV lists them, and how many more."""
    make_csv(tmp_path / "mine")
    csv_path = tmp_path / "mine/pairs.csv"
    lines = csv_path.read_text().splitlines()
    for number in (3, 5, 7, 9, 11):  # 1-based line numbers; line 1 is the header
        ref, dist, _, content = lines[number - 1].split(",")
        lines[number - 1] = f"{ref},{dist},,{content}"
    csv_path.write_text("\n".join(lines) + "\n")
    code = train_command(
        tmp_path / "run", synthetic_data_dir, "data=csv", f"data.source.csv_path={csv_path}",
        "data.train_only=[source]",  # every row trains
    )  # fmt: skip
    assert code == 1
    (error,) = logged_errors(capsys)
    named = re.findall(re.escape(str(csv_path)) + r":(\d+)", error)
    assert (
        "the source training set has unlabelled samples but its loss weight is 1.0: "
        "5 of 11 have no score (" in error
    ), error
    assert len(named) == 3 and set(named) <= {"3", "5", "7", "9", "11"}, error
    assert " and 2 more); set da.source_weight=0" in error, error
