"""Device assignment for sweeps: one GPU per job on a multi-GPU machine, DDP sanity checks.

**GPU pool.** ``hydra/launcher=joblib`` runs several jobs at once in worker processes that are
reused from job to job. Each job that asks for one GPU (``trainer.devices=1``) takes the first
free GPU by locking ``<gpu_pool.lock_dir>/gpu_<uuid>.lock`` (``fcntl.flock``, released when the
job ends or its process dies) and trains on it (``trainer.devices=[index]``); a job finding every
GPU busy waits for one. The locks are per machine, so two sweeps on one machine share the GPUs
too. ``CUDA_VISIBLE_DEVICES`` limits the pool as usual.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, open_dict

from hdr_iqa.errors import ConfigError

log = logging.getLogger(__name__)
GPU_ACCELERATORS = ("gpu", "cuda", "auto")


def in_multirun() -> bool:
    """True inside a Hydra multirun (``-m``) job."""
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def check_ddp_launch(trainer_cfg: DictConfig) -> None:
    """Refuse ``strategy=ddp`` with several devices inside a multirun on a single machine.

    Lightning's ``ddp`` re-runs the command line once per extra device; inside a multirun that
    command line is the whole sweep. ``ddp_spawn`` and cluster launchers (Slurm, torchrun) that
    start the processes themselves are fine.
    """
    strategy = str(trainer_cfg.get("strategy", "auto"))
    devices = trainer_cfg.get("devices", 1)
    if isinstance(devices, str):  # "auto", "-1" (all devices) or a count such as "2"
        several = not devices.isdigit() or int(devices) > 1
    elif isinstance(devices, int):
        several = devices == -1 or devices > 1
    else:  # a list of device indices
        several = len(devices) > 1
    if not (in_multirun() and several and strategy.startswith("ddp")):
        return
    if strategy in ("ddp_spawn", "ddp_fork", "ddp_notebook") or _external_launcher():
        return
    raise ConfigError(
        f"trainer.strategy={strategy} with trainer.devices={devices} re-runs the command line per "
        "device, which would start the whole sweep again; in a multirun use "
        "trainer.strategy=ddp_spawn, or hydra/launcher=slurm"
    )


def _external_launcher() -> bool:
    from lightning_fabric.plugins.environments import SLURMEnvironment, TorchElasticEnvironment

    return SLURMEnvironment.detect() or TorchElasticEnvironment.detect()


def _wants_one_gpu(cfg: DictConfig) -> bool:
    pool = cfg.get("gpu_pool") or {}
    enabled = pool.get("enabled", "auto")
    if enabled is False or str(enabled).lower() == "false":
        return False
    trainer = cfg.get("trainer") or {}
    if str(trainer.get("accelerator", "auto")) not in GPU_ACCELERATORS:
        return False
    if trainer.get("devices", 1) not in (1, "1"):
        return False
    if str(enabled).lower() == "auto" and not in_multirun():
        return False
    import torch

    return torch.cuda.is_available() and torch.cuda.device_count() > 1


def _gpu_ids() -> list[str]:
    """A stable name per visible GPU (its UUID when torch exposes it)."""
    import torch

    names = []
    for index in range(torch.cuda.device_count()):
        uuid = getattr(torch.cuda.get_device_properties(index), "uuid", None)
        names.append(str(uuid) if uuid else str(index))
    return names


def acquire_free_slot(
    names: list[str], lock_dir: str | Path, poll_s: float = 5.0
) -> tuple[int, IO]:
    """Lock the first free ``<lock_dir>/gpu_<name>.lock``; wait while all are taken.

    Returns the index into ``names`` and the open lock file (closing it frees the slot).
    """
    lock_dir = Path(lock_dir)
    lock_dir.mkdir(parents=True, exist_ok=True)
    waited = False
    while True:
        for index, name in enumerate(names):
            handle = open(lock_dir / f"gpu_{name}.lock", "a+")  # noqa: SIM115 (kept open: the lock)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}\n")
            handle.flush()
            return index, handle
        if not waited:
            log.info("all %d GPUs are taken by other jobs; waiting for one", len(names))
            waited = True
        time.sleep(poll_s)


@contextlib.contextmanager
def gpu_slot(cfg: DictConfig) -> Iterator[int | None]:
    """Hold one free GPU for this job (see the module docstring); yields its index or None.

    Only acts when ``gpu_pool.enabled`` is true, or ``auto`` inside a multirun, the trainer
    asks for one GPU and more than one is visible; sets ``trainer.devices=[index]``.
    """
    if not _wants_one_gpu(cfg):
        yield None
        return
    index, handle = acquire_free_slot(_gpu_ids(), cfg.gpu_pool.lock_dir)
    log.info("this job trains on GPU %d", index)
    with open_dict(cfg):
        cfg.trainer.devices = [index]
    try:
        yield index
    finally:
        handle.close()
