"""Evaluate a checkpoint: ``python -m hdr_iqa.eval ckpt_path=... [data=<name>] [split=test]``.

Re-creates the model from the checkpoint's saved run config and runs the test loop of training
(same patches, same metrics) on the checkpoint's data, or on ``data=<name>`` / ``display=<name>``
/ ``split=<name>`` when given (merged into the run's config as composed, so interpolations
resolve as in training). A metric that needs no training is evaluated without a checkpoint
through the same loop: ``python -m hdr_iqa.eval model=pu_ssim data=upiq_hdr`` (same split
settings, ``data.fold``, ``data.split_file``; display ``sdr_100`` unless ``display=`` is given).

Writes ``config.yaml``, ``results/metrics.{json,csv}`` and
``results/predictions_<dataset>.csv`` (one row per pair) into a new eval run directory.
"""

from __future__ import annotations

import logging

import hydra
from omegaconf import DictConfig, OmegaConf

from hdr_iqa.errors import ConfigError
from hdr_iqa.inference import model_name, read_checkpoint, restore_module
from hdr_iqa.inference.baselines import baseline_names, build_baseline
from hdr_iqa.inference.evaluation import baseline_run_config, eval_config, select_split
from hdr_iqa.module import CHECKPOINT_KEY
from hdr_iqa.utils.config import config_dir
from hdr_iqa.utils.files import atomic_write_text
from hdr_iqa.utils.run import run_task
from hdr_iqa.utils.trainer import build_trainer, test_metrics

log = logging.getLogger(__name__)


def evaluate(cfg: DictConfig) -> dict[str, float]:
    """Test the checkpoint ``cfg.ckpt_path`` (or the metric ``cfg.model``); returns the logged
    test metrics."""
    if cfg.get("ckpt_path"):
        if cfg.get("model") is not None:
            raise ConfigError(
                "give ckpt_path=<checkpoint> (its model is the checkpoint's) or model=<name> of a "
                f"metric without training ({baseline_names()}), not both"
            )
        checkpoint = read_checkpoint(cfg.ckpt_path)
        module = restore_module(checkpoint, cfg.ckpt_path)
        run_cfg = eval_config(checkpoint[CHECKPOINT_KEY], cfg)
    else:
        run_cfg = baseline_run_config(cfg)
        module = build_baseline(OmegaConf.to_container(run_cfg, resolve=True))
    atomic_write_text(
        f"{cfg.paths.output_dir}/config.yaml", OmegaConf.to_yaml(run_cfg, resolve=True)
    )
    what = cfg.get("ckpt_path") or "metric without training"
    log.info("evaluating %s (%s) on the %s split", what, model_name(run_cfg), cfg.split)
    datamodule = hydra.utils.instantiate(run_cfg.data)
    select_split(datamodule, cfg.split)
    return test_metrics(build_trainer(run_cfg), module, datamodule)


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="eval")
def main(cfg: DictConfig) -> None:
    """``python -m hdr_iqa.eval``: test a checkpoint, or a metric without training."""
    run_task(evaluate, cfg)


if __name__ == "__main__":
    main()
