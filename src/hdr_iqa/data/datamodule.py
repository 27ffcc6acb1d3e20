"""LightningDataModule combining a source (usually SDR) and a target (usually HDR) dataset.

* Training: a dict ``{"source": batch, "target": batch}`` per step (roles that exist). With both
  roles, each gets half of ``batch_size`` and an epoch is one pass over the target loader; the
  source loader restarts with a fresh shuffle every epoch and cycles if it is shorter
  (reference-spec section 6.4).
* Validation/test: one loader per role, in ``eval_names`` order; metrics are keyed by the
  dataset's name (e.g. ``val/sdr/srocc``, ``test/hdr/srocc``). ``test_datasets`` are evaluated
  whole at test time only (zero-shot / cross-dataset evaluation), after the roles.

Splits are by content (:mod:`hdr_iqa.data.splits`), chosen per role in this order:
``split_file`` (reuse an earlier run's ``splits.json`` exactly), ``train_only`` (the whole
dataset is training data, e.g. KADID-10k as a DA source), ``split: official`` (the dataset's
published split), ``fold`` (k-fold: test = fold k, val = fold k+1 mod K), else the ``split``
ratios. Pairwise records (PieAPP training data) get a
:class:`~hdr_iqa.data.pairwise.PairwiseDataset`.

Training order and patch draws are functions of (seed, epoch, position)
(:mod:`hdr_iqa.data.sampling`); every checkpoint stores the position reached, ``(epoch, batches
done)`` (:meth:`IQADataModule.state_dict`), so a resumed run, even from a mid-epoch checkpoint,
trains on exactly the batches an uninterrupted run would. The data module shards the training
and evaluation sets over DDP ranks itself (``trainer.use_distributed_sampler=false``).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.utilities import CombinedLoader
from torch.utils.data import DataLoader, DistributedSampler, Sampler

from hdr_iqa.data.pair_dataset import PairDataset
from hdr_iqa.data.pairwise import PairwiseDataset, PairwiseRecord
from hdr_iqa.data.protocol import PatchProtocol
from hdr_iqa.data.records import PairRecord, PairSource
from hdr_iqa.data.sampling import EpochSampler
from hdr_iqa.data.splits import (
    SPLIT_NAMES,
    kfold_assign,
    kfold_split,
    load_splits,
    save_splits,
    split_contents,
)
from hdr_iqa.data.verify import verify_records
from hdr_iqa.errors import ConfigError, DataError

log = logging.getLogger(__name__)
ROLES = ("source", "target")
# the training loaders resume mid-epoch exactly (the position travels in the data module's
# state, see state_dict), which Lightning cannot see from the loaders themselves
warnings.filterwarnings("ignore", message="You're resuming from a checkpoint that ended before")


class IQADataModule(pl.LightningDataModule):
    """Source + target full-reference IQA data, split by content.

    Args:
        source: labelled source dataset (e.g. SDR), or None.
        target: target dataset (e.g. HDR; may be unlabelled), or None.
        patch_size: patch side in pixels (the model's); None = whole images, one pair per
            validation/test batch (metrics that need no training, e.g. ``model=pu_ssim``).
        patches: patches per image for ``train``, ``val`` and ``test``.
        test_repeats: patch draws averaged per test image.
        split: content ratios for ``train``/``val``/``test``, or ``"official"`` for each
            dataset's published split.
        seed: split and evaluation-draw seed.
        batch_size: training pairs per optimizer step over both roles and all devices (halved
            per role in DA, divided by the number of DDP ranks).
        eval_batch_size: pairs per validation/test batch and device.
        num_workers, pin_memory, persistent_workers: DataLoader settings.
        flips: random flips in training.
        decoded_cache: directory where images are decoded once and memory-mapped from
            (:mod:`hdr_iqa.data.image_cache`); None keeps a per-worker cache in memory.
        fold: k-fold run k (test = fold k, val = fold k+1 mod K, train = the rest), or None
            for ``split``.
        num_folds: K.
        split_file: a ``splits.json`` of an earlier run: its content ids are reused exactly.
        train_only: roles whose whole dataset is training data (no val/test), e.g.
            ``[source]`` for the paper's full-KADID DA source.
        test_datasets: extra datasets ``{name: dataset}`` tested whole (no training/val).
        verify: check every listed image at set-up (decodes, valid values, pair sizes):
            ``"auto"`` (small or decoded-cached datasets), True or False
            (:mod:`hdr_iqa.data.verify`).
        positions: normalisation of patch centres for the network, ``"paper"`` (the VTAMIQ
            paper code's) or ``"centre"`` (:mod:`hdr_iqa.data.protocol`).
    """

    def __init__(
        self,
        source: PairSource | None,
        target: PairSource | None,
        patch_size: int | None,
        patches: Mapping[str, int],
        test_repeats: int = 1,
        split: Mapping[str, float] | None = None,
        seed: int = 0,
        batch_size: int = 8,
        eval_batch_size: int = 4,
        num_workers: int = 0,
        pin_memory: bool = False,
        persistent_workers: bool = True,
        flips: bool = True,
        decoded_cache: str | Path | None = None,
        fold: int | None = None,
        num_folds: int = 5,
        split_file: str | Path | None = None,
        train_only: Sequence[str] = (),
        test_datasets: Mapping[str, PairSource] | Sequence[PairSource] | None = None,
        verify: bool | str = "auto",
        positions: str = "paper",
    ) -> None:
        super().__init__()
        self.sources = {role: s for role, s in zip(ROLES, (source, target), strict=True) if s}
        if not self.sources:
            raise ConfigError("data needs a source or a target dataset; both are null")
        extra = test_datasets.values() if isinstance(test_datasets, Mapping) else test_datasets
        self.test_sources = {f"test:{s.name}": s for s in (extra or []) if s}
        unknown = sorted(set(train_only) - set(ROLES))
        if unknown:
            raise ConfigError(f"data.train_only takes roles {list(ROLES)}, got {unknown}")
        names = [s.name for s in (*self.sources.values(), *self.test_sources.values())]
        if len(set(names)) != len(names):
            raise ConfigError(f"source and target datasets need different names, got {names}")
        missing = {"train", "val", "test"} - set(patches)
        if missing:
            raise ConfigError(f"data.patches needs train, val and test counts; missing {missing}")
        self.patch_size = patch_size
        self.patches = dict(patches)
        self.positions = positions
        self.test_repeats = test_repeats
        self.official = split == "official"
        if isinstance(split, str) and not self.official:
            raise ConfigError(f"data.split must be ratios or 'official', got {split!r}")
        self.split_ratios = (
            {} if self.official else dict(split or {"train": 0.6, "val": 0.2, "test": 0.2})
        )
        self.fold = fold
        self.num_folds = num_folds
        if fold is not None:
            kfold_split({}, fold, num_folds)  # validates fold and num_folds
        self.split_file = split_file
        self.train_only = tuple(train_only)
        self.seed = seed
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.persistent_workers = persistent_workers and num_workers > 0
        self.flips = flips
        self.decoded_cache = str(decoded_cache) if decoded_cache else None
        self.verify = verify
        self.records: dict[str, dict[str, list[PairRecord]]] = {}
        self.splits: dict[str, dict[str, list[str]]] = {}
        self._resume_position: tuple[int, int] | None = None

    # ------------------------------------------------------------------ resume position
    def state_dict(self) -> dict[str, Any]:
        """The training position saved in checkpoints: the epoch to continue and the batches
        of it already trained on (``(e + 1, 0)`` once epoch e is complete)."""
        trainer = self.trainer
        if trainer is None or trainer.state.fn != "fit":
            return {}
        epoch = trainer.current_epoch
        done = trainer.fit_loop.epoch_loop.batch_progress.current.processed
        if done >= trainer.num_training_batches:
            epoch, done = epoch + 1, 0
        return {"train_position": {"epoch": int(epoch), "batches": int(done)}}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Continue from a checkpoint's training position (applied to the next train loader)."""
        position = state_dict.get("train_position")
        if position:
            self._resume_position = (int(position["epoch"]), int(position["batches"]))

    # ------------------------------------------------------------------ set-up
    def prepare_data(self) -> None:
        """Call ``prepare()`` of the source/target datasets that have one (e.g. generate the
        synthetic data)."""
        for source in self.sources.values():
            prepare = getattr(source, "prepare", None)
            if prepare is not None:
                prepare()

    def setup(self, stage: str | None = None) -> None:
        """Read every dataset's records, split them by content (:attr:`records`, :attr:`splits`) and
        verify the images (first call only)."""
        if self.records:
            return
        for role, source in {**self.sources, **self.test_sources}.items():
            records = source.records()
            if not records:
                raise DataError(f"dataset {source.name!r} ({role}) has no samples")
            contents = self._partition(role, source, records)
            self.splits[source.name] = contents
            by_split = {}
            for split_name, members in contents.items():
                chosen = set(members)
                by_split[split_name] = [r for r in records if r.content in chosen]
            self.records[role] = by_split
            sizes = {k: len(v) for k, v in by_split.items()}
            log.info("dataset %s (%s): %s pairs per split", source.name, role, sizes)
        verify_records(
            {role: (self._source(role), by_split) for role, by_split in self.records.items()},
            self.verify, self.num_workers, self.decoded_cache, self.patch_size,
        )  # fmt: skip

    def _partition(self, role: str, source: PairSource, records: list) -> dict[str, list[str]]:
        """Content ids per split for one role (see the module docstring for the order)."""
        present = sorted({r.content for r in records})
        if role in self.test_sources:
            return {"test": present}
        if self.split_file:
            saved = load_splits(self.split_file, source.name)
            listed = {c for members in saved.values() for c in members}
            unknown = sorted(listed - set(present))
            if unknown:
                raise DataError(
                    f"{self.split_file}: dataset {source.name!r} has no content {unknown[:5]} "
                    f"({len(unknown)} listed content ids are not in the data)"
                )
            dropped = len(set(present) - listed)
            if dropped:
                log.warning("%s: %d contents of %s are in no split and are not used",
                            self.split_file, dropped, source.name)  # fmt: skip
            return saved
        if role in self.train_only:
            return {"train": present}
        if self.official:
            official = getattr(source, "official_splits", None)
            if official is None:
                raise ConfigError(
                    f"data.split=official, but dataset {source.name!r} has no published split; "
                    "use split ratios or data.fold"
                )
            return {k: sorted(set(v) & set(present)) for k, v in official().items()}
        if self.fold is not None:
            strata = getattr(source, "fold_strata", lambda: [present])()
            folds = kfold_assign(strata, self.num_folds, self.seed)
            missing = sorted(set(present) - set(folds))
            if missing:
                raise DataError(f"dataset {source.name!r}: contents {missing[:5]} are in no fold")
            split = kfold_split(folds, self.fold, self.num_folds)
            return {k: sorted(set(v) & set(present)) for k, v in split.items()}
        return split_contents(present, self.split_ratios, self.seed)

    def save_splits(self, directory: str | Path) -> Path:
        """Write the content ids of every split to ``<directory>/splits.json``."""
        return save_splits(Path(directory) / "splits.json", self.splits)

    @property
    def eval_names(self) -> list[str]:
        """Dataset names of the test loaders, in loader order (validation: a prefix of it)."""
        return [self._source(role).name for role in self._eval_roles("test")]

    def _source(self, role: str) -> PairSource:
        return self.sources.get(role) or self.test_sources[role]

    def _eval_roles(self, split: str = "test") -> list[str]:
        roles = [r for r in self.sources if any(x.labelled for x in self._split(r, "test"))]
        if split == "test":
            roles += [
                r for r in self.test_sources if any(x.labelled for x in self._split(r, "test"))
            ]
        return roles

    def _split(self, role: str, split: str) -> list[PairRecord]:
        return self.records.get(role, {}).get(split, [])

    # ------------------------------------------------------------------ loaders
    def _ranks(self) -> tuple[int, int]:
        """(world size, rank) of the attached trainer, (1, 0) without one."""
        trainer = self.trainer
        if trainer is None:
            return 1, 0
        if trainer.world_size > 1 and trainer._accelerator_connector.use_distributed_sampler:
            raise ConfigError(
                "the data module shards the data over DDP ranks itself: set "
                "trainer.use_distributed_sampler=false (conf/trainer/default.yaml does)"
            )
        return trainer.world_size, trainer.global_rank

    def _loader(self, dataset: PairDataset, batch_size: int, sampler: Sampler | None) -> DataLoader:
        return DataLoader(
            dataset,
            batch_size=batch_size,
            sampler=sampler,
            drop_last=False,
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            persistent_workers=self.persistent_workers,
        )

    def _dataset(self, role: str, split: str) -> PairDataset:
        train = split == "train"
        records = self._split(role, split)
        pairwise = {isinstance(r, PairwiseRecord) for r in records}
        if len(pairwise) > 1:
            raise DataError(
                f"the {split} split of dataset {self._source(role).name!r} mixes pairwise and "
                "per-image samples (use data.split=official for PieAPP)"
            )
        dataset_class = PairwiseDataset if pairwise == {True} else PairDataset
        return dataset_class(
            records,
            patch_size=self.patch_size,
            num_patches=self.patches[split],
            train=train,
            repeats=self.test_repeats if split == "test" else 1,
            seed=self.seed,
            flips=self.flips,
            decoded_cache=self.decoded_cache,
            positions=self.positions,
        )

    @property
    def test_protocol(self) -> PatchProtocol:
        """Where test patches are cut (saved in checkpoints; eval, predict and the API use it)."""
        return PatchProtocol(
            self.patch_size, self.patches["test"], self.test_repeats, self.seed,
            positions=self.positions,
        )  # fmt: skip

    def train_dataloader(self) -> Any:
        """``CombinedLoader`` of ``{role: loader}`` training batches, sharded over DDP ranks
        (resumes mid-epoch after a checkpoint)."""
        roles = [r for r in self.sources if self._split(r, "train")]
        if not roles:
            raise DataError("the training split is empty for every dataset")
        # batch_size is global: under DDP each of the world_size ranks loads its share
        world_size, rank = self._ranks()
        per_role = max(self.batch_size // (len(roles) * world_size), 1)
        loaders = {}
        for role in roles:
            dataset = self._dataset(role, "train")
            sampler = EpochSampler(
                len(dataset), self.seed, ROLES.index(role), world_size, rank, per_role
            )
            if self._resume_position is not None:
                sampler.resume_at(*self._resume_position)
            loaders[role] = self._loader(dataset, per_role, sampler)
        if self._resume_position is not None:
            log.info("resuming training at epoch %d after %d batches", *self._resume_position)
            self._resume_position = None
        if len(loaders) == 1:
            return CombinedLoader(loaders, mode="max_size_cycle")
        # Epoch = one pass over the target; the source restarts each epoch and cycles if short.
        longer_source = len(loaders["source"]) > len(loaders["target"])
        return CombinedLoader(loaders, mode="min_size" if longer_source else "max_size_cycle")

    def _eval_loaders(self, split: str) -> list[DataLoader]:
        world_size, rank = self._ranks()
        # whole images (patch_size null) differ in size from pair to pair: one per batch
        batch_size = 1 if self.patch_size is None else self.eval_batch_size
        loaders = []
        for role in self._eval_roles(split):
            records = self._split(role, split)
            if not records:
                raise DataError(
                    f"the {split} split of dataset {self._source(role).name!r} is empty; "
                    f"adjust data.split (now {self.split_ratios or 'official'}) or data.fold"
                )
            dataset = self._dataset(role, split)
            sampler = (
                DistributedSampler(dataset, world_size, rank, shuffle=False)
                if world_size > 1
                else None
            )
            loaders.append(self._loader(dataset, batch_size, sampler))
        return loaders

    def val_dataloader(self) -> list[DataLoader]:
        """One validation loader per labelled training role (test-only datasets excluded), in
        :attr:`eval_names` order."""
        return self._eval_loaders("val")

    def test_dataloader(self) -> list[DataLoader]:
        """One test loader per labelled dataset, test-only ones last (:attr:`eval_names` order)."""
        return self._eval_loaders("test")

    def eval_records(self, split: str) -> dict[str, list[PairRecord]]:
        """The records behind each val/test loader, keyed by dataset name."""
        return {self._source(r).name: self._split(r, split) for r in self._eval_roles(split)}


__all__ = ["ROLES", "SPLIT_NAMES", "IQADataModule"]
