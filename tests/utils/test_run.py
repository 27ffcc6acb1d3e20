"""run_task: user errors (also those Hydra wraps while instantiating) are one line, exit code 1;
run_command runs a command in-process and restores what Hydra changes."""

import logging
import sys

import pytest
import torch
from hydra.errors import InstantiationException

from hdr_iqa.errors import MissingFileError
from hdr_iqa.eval import evaluate
from hdr_iqa.train import train
from hdr_iqa.utils.run import run_command, run_task, user_error_cause

SMALL_VTAMIQ = ("model=vtamiq", "model.net.variant=vit_tiny_patch16_384", "model.net.depth=1",
                "model.net.num_groups=1", "model.net.num_rcabs=1")  # fmt: skip
WEIGHTS_CASES = [  # (model overrides, model.net key, file, error, message after the key)
    (("model=pieapp",), "weights", "missing", "MissingFileError", "weights file not found: "),
    (("model=pieapp",), "weights", "other", "WeightsError", "{path} does not match PieAPP"),
    (("model=pieapp",), "vgg16_weights", "missing", "MissingFileError", "weights file not found: "),
    (("model=pieapp",), "vgg16_weights", "other", "WeightsError",
     "{path} is not torchvision VGG16 weights: expected key features.0.weight"),
    (SMALL_VTAMIQ, "vit_weights", "missing", "MissingFileError", "ViT weights file not found: "),
    (SMALL_VTAMIQ, "vit_weights", "other", "WeightsError", "{path} is not timm ViT weights"),
    (SMALL_VTAMIQ, "weights", "other", "WeightsError", "{path} does not match VTAMIQ"),
    (("model=diqa",), "extractor_weights", "missing", "MissingFileError",
     "weights file not found: "),
    (("model=diqa",), "extractor_weights", "other", "WeightsError",
     "{path} has no 'features.*' keys"),
]  # fmt: skip


def error_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(("model", "key", "kind", "error", "message"), WEIGHTS_CASES)
def test_weights_errors_name_the_key_and_the_path(
    make_cfg, tmp_path, caplog, model, key, kind, error, message
):
    path = tmp_path / "weights.pth"
    if kind == "other":  # a readable file holding something else
        torch.save({"something.else": torch.zeros(2)}, path)
    cfg = make_cfg(*model, f"model.net.{key}={path}")
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit) as stopped:
        run_task(train, cfg)  # Hydra wraps the constructor's error in an InstantiationException
    assert stopped.value.code == 1
    (line,) = error_lines(caplog)
    assert line.startswith(f"{error}: model.net.{key}: {message.format(path=path)}"), line
    assert str(path) in line and "\n" not in line and "Traceback" not in caplog.text


def test_a_mandatory_value_left_unset_is_one_line(make_cfg, caplog):
    from hdr_iqa.export import export

    cfg = make_cfg(config_name="export", tiny=False)  # ckpt_path: ???
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit) as stopped:
        run_task(export, cfg)
    assert stopped.value.code == 1
    assert error_lines(caplog) == [
        "ConfigError: ckpt_path is required but not set ('???' in the config): give it on the "
        "command line, e.g. ckpt_path=<value>"
    ]


def test_eval_without_checkpoint_or_metric_is_one_line(make_cfg, caplog):
    cfg = make_cfg(config_name="eval", tiny=False)  # neither ckpt_path nor model=<baseline>
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit) as stopped:
        run_task(evaluate, cfg)
    assert stopped.value.code == 1
    (line,) = error_lines(caplog)
    assert line.startswith("ConfigError: give ckpt_path=<checkpoint of a trained run>, or model=")


def test_other_instantiation_errors_keep_their_traceback(make_cfg):
    cfg = make_cfg("model.net._target_=hdr_iqa.models.NoSuchModel")
    with pytest.raises(InstantiationException, match="NoSuchModel"):
        run_task(train, cfg)  # a bug or a typo in a class path is not a one-line user error


def test_user_errors_are_found_inside_nested_wrappers():
    error = MissingFileError("model.net.weights: weights file not found: /gone.pth")
    outer = InstantiationException("outer")
    outer.__cause__ = InstantiationException("inner")
    outer.__cause__.__cause__ = error
    assert user_error_cause(outer) is error
    assert user_error_cause(InstantiationException("no cause")) is None
    assert user_error_cause(ValueError("a bug")) is None


def test_run_command_restores_argv_logging_and_hydra(tmp_path, capsys):
    from hydra.core.global_hydra import GlobalHydra

    from hdr_iqa.aggregate import LEGACY, hydra_main

    root = logging.getLogger()
    argv, handlers, level = sys.argv[:], root.handlers[:], root.level
    with pytest.raises(SystemExit) as stopped:
        run_command(hydra_main, [str(tmp_path / "nope")], LEGACY)
    assert stopped.value.code == 1
    assert "MissingFileError: run or multirun directory not found" in capsys.readouterr().out
    assert run_command(hydra_main, ["--help"]) == 0
    assert sys.argv == argv and root.handlers == handlers and root.level == level
    assert not GlobalHydra.instance().is_initialized()
