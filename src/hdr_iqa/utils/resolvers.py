"""OmegaConf resolvers used by the configs (registered when :mod:`hdr_iqa.utils.config` loads).

* ``${sweep_group:${task_name}}``: ``<task_name>-<sweep directory name>`` inside a Hydra multirun
  (every job of one sweep gets the same W&B group), None in a single run.
* ``${run_name:}``: a W&B run's name from the run's choices and overrides
  (:func:`hdr_iqa.utils.naming.run_name`, e.g. ``pieapp-pmax-coral-w0.025-f0-s1``), None
  outside a Hydra run.
* ``${gpu_count:}``: the number of visible CUDA GPUs, at least 1 (the joblib launcher's n_jobs).
* ``${resume_dir:${ckpt_path},${train},<new dir>}``: the run directory of the checkpoint being
  resumed (``<run>/checkpoints/x.ckpt`` -> ``<run>``, when ``<run>/config.yaml`` exists and
  ``train`` is true), else ``<new dir>``: resuming continues writing into the same run
  directory, so checkpoints, logs and the best-checkpoint tracking carry on.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf


def sweep_group(task_name: str) -> str | None:
    """The group name shared by the jobs of one multirun (None outside a multirun)."""
    if not HydraConfig.initialized():
        return None
    hydra_cfg = HydraConfig.get()
    if hydra_cfg.mode != RunMode.MULTIRUN:
        return None
    return f"{task_name}-{Path(hydra_cfg.sweep.dir).name}"


def run_name(*, _root_: DictConfig) -> str | None:
    """The W&B run name of the current Hydra run (None outside one)."""
    if not HydraConfig.initialized():
        return None
    from hdr_iqa.utils.naming import NAME_KEYS
    from hdr_iqa.utils.naming import run_name as name

    hydra_cfg = HydraConfig.get()
    values = {key: OmegaConf.select(_root_, key, default=None) for key in NAME_KEYS}
    return name(hydra_cfg.runtime.choices, values, list(hydra_cfg.overrides.task))


def gpu_count() -> int:
    """Visible CUDA GPUs, at least 1."""
    import torch

    return max(torch.cuda.device_count(), 1)


def resume_dir(ckpt_path: str | None, train: bool, new_dir: str) -> str:
    """The run directory a resumed training continues in (``new_dir`` when not resuming)."""
    if not ckpt_path or not train:
        return new_dir
    run_dir = Path(str(ckpt_path)).expanduser().resolve().parent.parent
    if Path(ckpt_path).parent.name == "checkpoints" and (run_dir / "config.yaml").is_file():
        return str(run_dir)
    return new_dir


def register_resolvers() -> None:
    """Register this project's resolvers (idempotent)."""
    resolvers = (
        ("sweep_group", sweep_group), ("gpu_count", gpu_count), ("resume_dir", resume_dir),
        ("run_name", run_name),
    )  # fmt: skip
    for name, function in resolvers:
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, function)


register_resolvers()
# conf/hydra/launcher/joblib.yaml sets our defaults for the joblib plugin's launcher and is
# checked against the plugin's schema of the same name, which Hydra announces with a warning
warnings.filterwarnings("ignore", message=r"\n'hydra/launcher/joblib' is validated against")
