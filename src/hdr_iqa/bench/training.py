"""Training throughput: the full pipeline through Lightning, and the bare network."""

from __future__ import annotations

import time
from typing import Any

import hydra
import pytorch_lightning as pl
import torch
from omegaconf import DictConfig

from hdr_iqa.bench.timing import StepTimer, bare_network_seconds, now, summarise_steps
from hdr_iqa.module import IQAModule


def build(cfg: DictConfig) -> tuple[pl.LightningDataModule, IQAModule]:
    """The data module and the LightningModule of a train-like config."""
    return hydra.utils.instantiate(cfg.data), hydra.utils.instantiate(cfg.model)


def make_trainer(cfg: DictConfig, callbacks: list[pl.Callback], **overrides: Any) -> pl.Trainer:
    """A Trainer from ``cfg.trainer`` without logging, checkpoints or validation."""
    return hydra.utils.instantiate(
        cfg.trainer,
        callbacks=callbacks,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
        num_sanity_val_steps=0,
        max_epochs=-1,
        min_epochs=None,
        **overrides,
    )


def full_pipeline(
    cfg: DictConfig,
    datamodule: pl.LightningDataModule,
    module: IQAModule,
    warmup: int,
    steps: int,
) -> tuple[dict[str, float], pl.Trainer]:
    """Train ``warmup + steps`` steps through ``Trainer.fit`` (loader workers, chain, forward,
    backward, optimiser, CORAL, logging); returns the timing summary and the trainer.

    On a GPU the steps run without synchronisation (as in training) and a second, synchronised
    run attributes time to the stages.
    """
    total = warmup + steps
    on_gpu = _accelerator(cfg) == "gpu"
    timer = StepTimer(sync=not on_gpu, sync_after=(warmup - 1, total - 1))
    trainer = make_trainer(cfg, [timer], max_steps=total)
    trainer.fit(module, datamodule=datamodule)
    summary = summarise_steps(timer.steps, warmup)
    if on_gpu:  # exact per-stage times need a synchronisation at every boundary
        staged = StepTimer(sync=True)
        make_trainer(cfg, [staged], max_steps=total).fit(module, datamodule=datamodule)
        stages = summarise_steps(staged.steps, warmup)
        summary.update({k: v for k, v in stages.items() if k.endswith("_ms") and k != "step_ms"})
    return summary, trainer


def bare_network(
    module: IQAModule,
    trainer: pl.Trainer,
    datamodule: pl.LightningDataModule,
    warmup: int,
    steps: int,
) -> dict[str, float]:
    """Forward + backward + optimiser on one batch already on the device and through the chain,
    the same shapes, precision, losses and gradient clipping as the full pipeline."""
    device = module.device
    batch = _first_batch(datamodule, device)
    module.train()
    with torch.no_grad():
        chained = module.chain_roles(batch)
    optimizer = module.optimizer_factory(params=module.parameters())
    precision = trainer.precision_plugin
    scaler = getattr(precision, "scaler", None)
    clip = trainer.gradient_clip_val
    pairs = sum(len(b["score"]) for b in batch.values())
    for step in range(warmup + steps):
        if step == warmup:
            start = now(device, True)
        optimizer.zero_grad(set_to_none=True)
        with precision.forward_context():
            loss = module.compute_losses(batch, chained)["loss"]
        (scaler.scale(loss) if scaler else loss).backward()
        if scaler:
            scaler.unscale_(optimizer)
        if clip:
            torch.nn.utils.clip_grad_norm_(module.parameters(), clip)
        if scaler:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
    elapsed = now(device, True) - start
    return {"pairs_per_s": pairs * steps / elapsed, "step_ms": elapsed * 1000 / steps}


def _first_batch(datamodule: pl.LightningDataModule, device: torch.device) -> dict:
    item = next(iter(datamodule.train_dataloader()))
    batch = item[0] if isinstance(item, tuple) else item  # CombinedLoader: (batch, idx, loader)
    return {role: _to(b, device) for role, b in batch.items()}


def _to(batch: dict, device: torch.device) -> dict:
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}


def _accelerator(cfg: DictConfig) -> str:
    accelerator = str(cfg.trainer.get("accelerator", "auto"))
    if accelerator == "auto":
        return "gpu" if torch.cuda.is_available() else "cpu"
    return "gpu" if accelerator in ("gpu", "cuda") else accelerator


def evaluation(
    cfg: DictConfig, module: IQAModule, datamodule: pl.LightningDataModule, batches: int
) -> dict[str, float]:
    """Test-loop throughput (test patches x test repeats per pair), first batch excluded."""
    timer = StepTimer()
    trainer = make_trainer(cfg, [timer], limit_test_batches=batches + 1)
    started = time.perf_counter()
    trainer.test(module, datamodule=datamodule, verbose=False)
    timed = timer.test_batches[1:]
    if not timed:
        raise ValueError("the test split has a single batch: lower data.eval_batch_size")
    elapsed = timed[-1][0] - timer.test_batches[0][0]
    bare = bare_test_batch(module, datamodule)
    return {
        "pairs_per_s": sum(n for _, n in timed) / elapsed,
        "batch_ms": elapsed * 1000 / len(timed),
        "pairs_per_batch": sum(n for _, n in timed) / len(timed),
        "bare_batch_ms": bare * 1000,
        "efficiency": bare / (elapsed / len(timed)),
        "wall_s": time.perf_counter() - started,
    }


def bare_test_batch(module: IQAModule, datamodule: pl.LightningDataModule) -> float:
    """Seconds of the network alone on the patches of one full test batch (on the module's
    device and under the test loop's autocast; :func:`bare_network_seconds`)."""
    batch = next(iter(datamodule.test_dataloader()[0]))
    device = module.device
    batch = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
    module.eval()
    precision = module.trainer.strategy.precision_plugin  # the test loop's autocast, if any
    with precision.forward_context():
        return bare_network_seconds(module.pipeline, batch.get("ref"), batch["dist"],
                                    batch["pos"], batch["display"], repeats=2)  # fmt: skip
