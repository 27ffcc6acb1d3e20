"""eval, predict and the Python API on DIQA (no-reference, phase two) and VTAMIQ checkpoints.

The runs are the session fixtures ``trained_diqa`` and ``trained_vtamiq`` (tests/conftest.py);
each was initialised from a file that was deleted after training (DIQA's phase-one checkpoint,
VTAMIQ's timm ViT weights), so restoring the checkpoints must not need those files.
"""

import csv
import math
from pathlib import Path

import pytest

from hdr_iqa import load_model
from hdr_iqa.errors import ConfigError
from hdr_iqa.eval import evaluate
from hdr_iqa.inference import read_checkpoint, restore_module
from hdr_iqa.predict import predict
from tests.helpers.draws import per_draw_scores

RUNS = {"diqa": "trained_diqa", "vtamiq": "trained_vtamiq"}
QUIET = ("trainer=cpu", "trainer.limit_test_batches=2", "trainer.enable_progress_bar=false",
         "callbacks.progress_bar=null")  # fmt: skip
"""The Trainer settings of the tiny training runs' test (conftest.TINY)."""


@pytest.fixture(params=sorted(RUNS))
def run(request):
    return request.param, request.getfixturevalue(RUNS[request.param])


def rows(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_eval_reproduces_the_training_runs_test(make_cfg, run, tmp_path):
    _, trained = run
    cfg = make_cfg(f"ckpt_path={trained.ckpt}", *QUIET, config_name="eval", tiny=False)
    metrics = evaluate(cfg)
    expected = {k: v for k, v in trained.metrics.items() if k.startswith("test/")}
    assert expected
    for key, value in expected.items():
        assert metrics[key] == value or (math.isnan(metrics[key]) and math.isnan(value)), key
    for domain in ("sdr", "hdr"):
        predictions = f"results/predictions_{domain}.csv"
        assert rows(tmp_path / predictions) == rows(trained.dir / predictions)


def test_api_and_predict_give_the_test_loops_score_every_time(make_cfg, run, tmp_path):
    name, trained = run
    model = load_model(trained.ckpt, device="cpu")
    assert model.name == name and model.full_reference == (name == "vtamiq")
    for domain, suffix in (("sdr", ".png"), ("hdr", ".exr")):
        row = rows(trained.dir / f"results/predictions_{domain}.csv")[2]
        assert row["dist"].endswith(suffix)
        api = model.score(row["dist"], row["ref"])
        assert api == pytest.approx(float(row["prediction"]), rel=1e-5, abs=1e-9)
        assert model.score(row["dist"], row["ref"]) == api  # deterministic
        cfg = make_cfg(
            f"ckpt_path={trained.ckpt}", "predict.device=cpu", f"ref={row['ref']}",
            f"dist={row['dist']}", f"output={tmp_path}/{domain}.csv",
            config_name="predict", tiny=False,
        )  # fmt: skip
        assert [r["score"] for r in predict(cfg)] == [api]
        if not model.full_reference:  # DIQA: the score never sees the reference
            assert model.score(row["dist"]) == api
            cfg = make_cfg(
                f"ckpt_path={trained.ckpt}", "predict.device=cpu", f"dist={row['dist']}",
                f"output={tmp_path}/{domain}_nr.csv", config_name="predict", tiny=False,
            )  # fmt: skip
            assert [r["score"] for r in predict(cfg)] == [api]


def test_vtamiq_needs_a_reference_and_scores_draws_whole(trained_vtamiq):
    dist = trained_vtamiq.data_dir / "synthetic/sdr/brick__blur_2.png"
    model = load_model(trained_vtamiq.ckpt, device="cpu")
    with pytest.raises(ConfigError, match="vtamiq is a full-reference model"):
        model.score(dist)
    with pytest.raises(ConfigError, match=r"predict.stride=8: .*VTAMIQ scores a draw"):
        load_model(trained_vtamiq.ckpt, device="cpu", stride=8)
    chunked = load_model(trained_vtamiq.ckpt, device="cpu", patch_batch_size=4)
    ref = dist.with_name("brick.png")
    draws = per_draw_scores(model, dist, ref)  # 2 seeded draws of 6 patches (TINY_VTAMIQ)
    assert len(draws) == 2 and draws[0] != pytest.approx(draws[1], rel=1e-3)
    assert model.score(dist, ref) == pytest.approx(sum(draws) / 2, rel=1e-5)  # one pass
    assert chunked.score(dist, ref) == pytest.approx(sum(draws) / 2, rel=1e-5)  # draw by draw


def test_initialisation_files_are_not_needed_to_restore(trained_run, trained_vtamiq, trained_diqa):
    """Restoring clears every ``model.net`` key ending in ``weights``: the checkpoint holds the
    trained weights, so files that only initialised training may be gone."""
    saved = {
        "vit_weights": (trained_vtamiq, trained_vtamiq.vit_weights),
        "extractor_weights": (trained_diqa, trained_diqa.extractor_weights),
    }
    for key, (run, path) in saved.items():
        checkpoint = read_checkpoint(run.ckpt)
        assert checkpoint["hdr_iqa"]["config"]["model"]["net"][key] == str(path)
        assert not path.exists()
        restore_module(checkpoint, run.ckpt)  # would raise MissingFileError naming the key
    missing = "/no/such/file.pth"
    for run, keys in ((trained_run, ("vgg16_weights", "weights")),
                      (trained_vtamiq, ("vit_weights", "weights")),
                      (trained_diqa, ("extractor_weights", "weights"))):  # fmt: skip
        checkpoint = read_checkpoint(run.ckpt)
        checkpoint["hdr_iqa"]["config"]["model"]["net"].update(dict.fromkeys(keys, missing))
        module = restore_module(checkpoint, run.ckpt)
        assert module.run_config["model"]["net"]["weights"] == missing  # the saved config, as is
