"""The LightningModule: photometric chain on the device, IQA + CORAL losses, metrics.

Training objective (reference-spec section 6.4)::

    L = source_weight * L_iqa(source) + target_weight * L_iqa(target) + coral_weight * L_coral

Source and target batches go through the backbone in one forward pass; their CORAL features are
then split by role. The photometric chain always runs in float32; the backbone runs under the
trainer's precision (autocast).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn
from torchmetrics import MaxMetric

from hdr_iqa.data.pairwise import as_pair_batch, is_pairwise
from hdr_iqa.data.protocol import PatchProtocol, saved_protocol
from hdr_iqa.data.sampling import step_seed
from hdr_iqa.errors import ConfigError
from hdr_iqa.losses import CoralLoss, IQALoss, PreferenceLoss
from hdr_iqa.metrics import iqa_metrics, unique_by_index
from hdr_iqa.metrics.results import DatasetResult
from hdr_iqa.models.base import IQAModel, IQAOutput
from hdr_iqa.photometry import PhotometricChain
from hdr_iqa.pipeline import IQAPipeline

log = logging.getLogger(__name__)
CHECKPOINT_KEY = "hdr_iqa"
"""Checkpoint entry of the run: ``config`` (resolved: re-creates the model anywhere),
``unresolved_config`` (as composed, interpolations kept: eval merges its overrides into it),
``overrides`` (the command line, reused on resume), ``protocol`` (the test protocol) and
``eval_names``."""


class IQAModule(pl.LightningModule):
    """Full-reference IQA training with optional DeepCORAL domain adaptation.

    Args:
        net: the backbone (:class:`~hdr_iqa.models.base.IQAModel`).
        chain: partial :class:`PhotometricChain` (completed with the backbone's mean/std).
        loss: IQA regression loss applied to each labelled role.
        optimizer: partial optimizer (called with the parameters).
        scheduler: partial LR schedule (called with the optimizer and ``total_steps``), or None.
        coral: CORAL loss, or None for no domain adaptation.
        coral_weight: lambda, the weight of the CORAL term.
        source_weight, target_weight: alpha and beta, weights of the IQA loss per role
            (0 for an unlabelled target).
        sampling: patch size and counts (stored so that a checkpoint knows how it was trained).
        preference_loss: loss of pairwise batches (PieAPP training data), default
            :class:`~hdr_iqa.losses.PreferenceLoss`.
        eval_patch_batch_size: most patches per network pass in validation, test and
            prediction (:class:`~hdr_iqa.pipeline.IQAPipeline`; None = the whole batch at once).
        seed: the run's seed; when set, the global torch RNG (dropout, stochastic depth,
            display jitter) is reseeded at every training step from (seed, global step, rank),
            so a resumed run draws exactly what an uninterrupted one would.
    """

    def __init__(
        self,
        net: IQAModel,
        chain: Callable[..., PhotometricChain],
        loss: IQALoss,
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: Callable[..., Any] | None = None,
        coral: CoralLoss | None = None,
        coral_weight: float = 0.0,
        source_weight: float = 1.0,
        target_weight: float = 1.0,
        sampling: Mapping[str, int] | None = None,
        preference_loss: nn.Module | None = None,
        eval_patch_batch_size: int | None = 512,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        # Only plain values are saved, so checkpoints load with torch.load(weights_only=True);
        # the complete resolved config travels in checkpoint["hdr_iqa"]["config"].
        self.save_hyperparameters(
            {
                "coral_weight": float(coral_weight),
                "source_weight": float(source_weight),
                "target_weight": float(target_weight),
                "sampling": dict(sampling or {}),
            },
            logger=False,
        )
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        if coral_weight < 0 or source_weight < 0 or target_weight < 0:
            raise ConfigError(
                f"loss weights must be >= 0, got coral {coral_weight}, source {source_weight}, "
                f"target {target_weight}"
            )
        self.net = net
        self.chain = chain(mean=net.input_mean, std=net.input_std)
        # The scoring path over the same two submodules. Not registered as a child, so the
        # state dict, parameter names and summaries stay those of ``net`` and ``chain``.
        self.__dict__["pipeline"] = IQAPipeline(self.net, self.chain, eval_patch_batch_size)
        self.iqa_loss = loss
        self.preference_loss = preference_loss or PreferenceLoss()
        self.coral = coral if coral is not None and coral_weight > 0 else None
        self.role_weights = {"source": source_weight, "target": target_weight}
        self.eval_names: list[str] = []
        self.val_metrics = nn.ModuleList()
        self.test_metrics = nn.ModuleList()
        self.val_srocc_best = MaxMetric()
        self.test_results: dict[str, DatasetResult] = {}  # of the last test, per dataset
        self._test_outputs: list[list[tuple[torch.Tensor, ...]]] = []
        self.run_config: dict | None = None  # resolved: what the model was built from
        self.unresolved_config: dict | None = None  # as composed: what eval merges overrides into
        self.run_overrides: list[str] = []  # the command line's overrides (resuming reuses them)
        self.protocol: PatchProtocol | None = None  # the test protocol (saved in checkpoints)
        self.seed = seed

    # ------------------------------------------------------------------ set-up
    def setup(self, stage: str) -> None:
        """Take the data module's test protocol and dataset names (one val/test metric per dataset);
        when fitting, refuse unlabelled training samples in a weighted role."""
        datamodule = getattr(self.trainer, "datamodule", None)
        if getattr(datamodule, "test_protocol", None) is not None:
            self.protocol = datamodule.test_protocol
        names = list(getattr(datamodule, "eval_names", []) or [])
        if names and names != self.eval_names:
            self.eval_names = names
            self.val_metrics = nn.ModuleList(iqa_metrics() for _ in names)
            self.test_metrics = nn.ModuleList(iqa_metrics() for _ in names)
        if datamodule is not None and stage == "fit":
            self._check_labels(datamodule)

    def _check_labels(self, datamodule: Any, shown: int = 3) -> None:
        """Refuse unlabelled training samples in a role with a non-zero loss weight, naming the
        first ``shown`` of them where their reader listed them (``meta["origin"]``, file:line)."""
        if not self.net.training_needs_labels:  # e.g. DIQA phase one: a label-free loss
            return
        for role, weight in self.role_weights.items():
            records = getattr(datamodule, "records", {}).get(role, {}).get("train", [])
            unlabelled = [r for r in records if not r.labelled]
            if weight > 0 and unlabelled:
                origins = [
                    str((r.meta if isinstance(r.meta, Mapping) else {}).get("origin") or r.dist)
                    for r in unlabelled[:shown]
                ]
                more = f" and {len(unlabelled) - shown} more" if len(unlabelled) > shown else ""
                raise ConfigError(
                    f"the {role} training set has unlabelled samples but its loss weight is "
                    f"{weight}: {len(unlabelled)} of {len(records)} have no score "
                    f"({', '.join(origins)}{more}); set da.{role}_weight=0 to use it for domain "
                    "adaptation only, or give every sample a score"
                )

    # ------------------------------------------------------------------ forward
    def forward(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Predicted quality (B,), averaged over the R patch draws of each sample
        (:meth:`IQAPipeline.score`: in groups of at most ``eval_patch_batch_size`` patches).

        For a pairwise batch: the preference logit q_B - q_A (B,), which grows with
        P(A preferred), the batch's target.
        """
        if is_pairwise(batch):
            q_a, q_b = self(as_pair_batch(batch)).chunk(2)
            return q_b - q_a
        return self.pipeline.score(batch.get("ref"), batch["dist"], batch["pos"], batch["display"])

    def chain_roles(self, batch: Mapping[str, Mapping]) -> dict[str, tuple[torch.Tensor, ...]]:
        """``{role: (ref, dist, pos)}`` backbone inputs (B*R, N, ...) of a training batch."""
        with_ref = self.net.training_needs_reference
        chained = {}
        for role, b in batch.items():
            b = as_pair_batch(b) if is_pairwise(b) else b
            ref = b.get("ref") if with_ref else None
            chained[role] = self.pipeline.chained_draws(ref, b["dist"], b["pos"], b["display"])
        return chained

    def _forward_roles(
        self, batch: Mapping[str, Mapping], chained: Mapping[str, tuple] | None = None
    ) -> dict[str, IQAOutput]:
        """One backbone pass over all roles' batches, split back per role."""
        chained = self.chain_roles(batch) if chained is None else chained
        roles = list(chained)
        inputs = [chained[role] for role in roles]
        sizes = [x[1].shape[0] for x in inputs]
        ref = None if inputs[0][0] is None else torch.cat([x[0] for x in inputs])
        out = self.net(ref, torch.cat([x[1] for x in inputs]), torch.cat([x[2] for x in inputs]))
        scores, features = out.score.float().split(sizes), out.features.split(sizes)
        losses = out.loss.float().split(sizes) if out.loss is not None else [None] * len(roles)
        return {
            r: IQAOutput(s, f, loss)
            for r, s, f, loss in zip(roles, scores, features, losses, strict=True)
        }

    # ------------------------------------------------------------------ training
    def compute_losses(
        self, batch: Mapping[str, Mapping], chained: Mapping[str, tuple] | None = None
    ) -> dict[str, torch.Tensor]:
        """Loss terms of one training batch ``{role: batch}``.

        ``chained`` (from :meth:`chain_roles`) skips the photometric chain (benchmarks of the
        bare network).

        Returns ``loss`` (the weighted total) and the unweighted terms present:
        ``loss_source``, ``loss_target`` (IQA losses of roles with a non-zero weight) and
        ``loss_coral`` (when CORAL is on and both roles are in the batch).
        """
        outputs = self._forward_roles(batch, chained)
        terms: dict[str, torch.Tensor] = {}
        total = torch.zeros((), device=self.device)
        for role, out in outputs.items():
            weight = self.role_weights[role]
            if weight == 0:
                continue
            if is_pairwise(batch[role]):  # scores of (ref, A) then (ref, B)
                q_a, q_b = out.score.chunk(2)
                loss = self.preference_loss(q_a, q_b, batch[role]["score"])
            elif out.loss is not None:  # a model-specific loss (e.g. DIQA phase one)
                loss = out.loss.mean()
            else:
                loss = self.iqa_loss(out.score, batch[role]["score"])
            terms[f"loss_{role}"] = loss
            total = total + weight * loss
        if self.coral is not None and len(outputs) == 2:
            terms["loss_coral"] = self.coral(
                outputs["source"].features.flatten(0, 1), outputs["target"].features.flatten(0, 1)
            )
            total = total + self.hparams.coral_weight * terms["loss_coral"]
        terms["loss"] = total
        return terms

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        """Reseed the global torch RNG from (seed, global step, rank) when ``seed`` is set."""
        if self.seed is not None:
            torch.manual_seed(step_seed(self.seed, self.global_step, self.global_rank))

    def training_step(self, batch: Mapping[str, Mapping], batch_idx: int) -> torch.Tensor:
        """Compute and log the loss terms (``train/...``) and the LR; returns the total (0-d)."""
        terms = self.compute_losses(batch)
        batch_size = sum(b["score"].shape[0] for b in batch.values())
        for name, value in terms.items():
            self.log(f"train/{name}", value, prog_bar=name == "loss", batch_size=batch_size)
        self.log("train/lr", self.optimizers().param_groups[0]["lr"], batch_size=batch_size)
        return terms["loss"]

    # ------------------------------------------------------------------ evaluation
    def validation_step(self, batch: Mapping, batch_idx: int, dataloader_idx: int = 0) -> None:
        """Update the loader's validation metric with the batch's (B,) predictions."""
        self.val_metrics[dataloader_idx].update(self(batch), batch["score"], batch["index"])

    def on_validation_epoch_end(self) -> None:
        """Log each dataset's val metrics, ``val/srocc`` (the last dataset's: the target if any) and
        ``val/srocc_best``."""
        values = self._log_metrics("val", self.val_metrics)
        if values:
            # the last validated dataset: the target if there is one
            monitored = values[next(n for n in reversed(self.eval_names) if n in values)]["srocc"]
            self.val_srocc_best.update(monitored)
            self.log("val/srocc", monitored, prog_bar=True, sync_dist=True)
            self.log("val/srocc_best", self.val_srocc_best.compute(), sync_dist=True)

    def on_test_epoch_start(self) -> None:
        """Clear the per-dataset buffers of test outputs."""
        self._test_outputs = [[] for _ in self.eval_names]

    def test_step(self, batch: Mapping, batch_idx: int, dataloader_idx: int = 0) -> None:
        """Update the loader's test metric and keep (index, prediction, target) for
        :attr:`test_results`."""
        prediction = self(batch)
        self.test_metrics[dataloader_idx].update(prediction, batch["score"], batch["index"])
        self._test_outputs[dataloader_idx].append((batch["index"], prediction, batch["score"]))

    def on_test_epoch_end(self) -> None:
        """Log the test metrics and build :attr:`test_results` (one per dataset, every rank)."""
        self._log_metrics("test", self.test_metrics)
        self.test_results = {}
        for name, metric, outputs in zip(
            self.eval_names, self.test_metrics, self._test_outputs, strict=True
        ):
            if not outputs:
                continue
            index, prediction, target = (torch.cat(x) for x in zip(*outputs, strict=True))
            gathered = self.all_gather({"index": index, "prediction": prediction, "target": target})
            flat = [gathered[k].reshape(-1).cpu() for k in ("index", "prediction", "target")]
            # undo DDP interleaving and padding: one row per sample
            self.test_results[name] = DatasetResult(metric.evaluation, *unique_by_index(*flat))

    def _log_metrics(self, stage: str, metrics: nn.ModuleList) -> dict[str, dict[str, float]]:
        """Compute each dataset's metrics over the whole split (all ranks), log and reset."""
        values = {}
        for name, metric in zip(self.eval_names, metrics, strict=True):
            if not metric.update_called:
                continue
            computed = metric.compute()  # identical on every rank (states gathered)
            metric.reset()
            values[name] = computed
            for key, value in computed.items():
                self.log(f"{stage}/{name}/{key}", value, sync_dist=True)
        return values

    # ------------------------------------------------------------------ optimisation
    def configure_optimizers(self) -> dict:
        """The optimizer over all parameters and, if configured, its LR schedule (stepped every
        optimizer step, ``total_steps`` = the trainer's estimated stepping batches)."""
        optimizer = self.optimizer_factory(params=self.parameters(), **self._amp_safe_optimizer())
        if self.scheduler_factory is None:
            return {"optimizer": optimizer}
        total_steps = int(self.trainer.estimated_stepping_batches)
        scheduler = self.scheduler_factory(optimizer=optimizer, total_steps=max(total_steps, 1))
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }

    def _amp_safe_optimizer(self) -> dict[str, Any]:
        """``fused=False`` under mixed precision with gradient clipping, else nothing.

        A fused optimizer unscales fp16 gradients inside ``step``, so Lightning refuses to clip
        its gradients under ``16-mixed``/``bf16-mixed``; the unfused implementation computes the
        same update.
        """
        trainer = self._trainer
        fused = getattr(self.optimizer_factory, "keywords", {}).get("fused")
        clipped = trainer is not None and bool(trainer.gradient_clip_val)
        if fused and clipped and str(trainer.precision).endswith("-mixed"):
            log.info("mixed precision with gradient clipping: using the unfused optimizer")
            return {"fused": False}
        return {}

    # ------------------------------------------------------------------ checkpoints
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        """Store the run config, overrides, dataset names and test protocol under
        ``checkpoint["hdr_iqa"]``."""
        checkpoint[CHECKPOINT_KEY] = {
            "config": self.run_config,
            "unresolved_config": self.unresolved_config,
            "eval_names": self.eval_names,
            "overrides": list(self.run_overrides),
            "protocol": None if self.protocol is None else self.protocol.to_dict(),
        }

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        """Restore the run config and test protocol from ``checkpoint["hdr_iqa"]`` where not set."""
        saved = checkpoint.get(CHECKPOINT_KEY) or {}
        if self.run_config is None:
            self.run_config = saved.get("config")
            self.unresolved_config = saved.get("unresolved_config")
        if self.protocol is None and saved:
            self.protocol = saved_protocol(saved)


class BaselineModule(IQAModule):
    """A metric that needs no training (PSNR, SSIM, ColorVideoVDP, ...) in the test loop.

    The metric (:class:`~hdr_iqa.models.baselines.BaselineMetric`) chooses its photometric chain
    (display-encoded values, PU21 / P_max or cd/m^2); validation, test, metrics, predictions and
    results files are :class:`IQAModule`'s. It has no parameters and no loss: fitting it is a
    :class:`ConfigError` that says how to evaluate it instead.

    Args:
        net: the metric. sampling: ``patch_size: null`` (whole images) and counts of 1.
        seed: accepted like :class:`IQAModule`'s (the metric draws nothing).
    """

    def __init__(
        self, net: IQAModel, sampling: Mapping[str, Any] | None = None, seed: int | None = None
    ) -> None:
        super().__init__(
            net=net,
            chain=net.input_chain,
            loss=IQALoss(),
            optimizer=_no_optimizer,
            sampling=sampling,
            eval_patch_batch_size=None,
            seed=seed,
        )

    def configure_optimizers(self) -> dict:
        """Raise a ConfigError: a metric without training cannot be fitted (the message says how to
        evaluate it)."""
        name = getattr(self.net, "name", type(self.net).__name__)
        raise ConfigError(
            f"model={name} is a metric without training: evaluate it with "
            f"`python -m hdr_iqa.eval model={name} data=<name>` (or train=false here)"
        )


def _no_optimizer(**_: Any) -> torch.optim.Optimizer:
    raise ConfigError("a baseline metric has no parameters to optimise")
