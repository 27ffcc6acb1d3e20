import hydra
import torch

from hdr_iqa.data import IQADataModule


def build(cfg) -> IQADataModule:
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.prepare_data()
    datamodule.setup("fit")
    return datamodule


def test_splits_share_no_content_across_splits_or_domains(make_cfg):
    datamodule = build(make_cfg())
    for role in ("source", "target"):
        contents = {s: {r.content for r in recs} for s, recs in datamodule.records[role].items()}
        assert not contents["train"] & contents["val"] and not contents["train"] & contents["test"]
        assert not contents["val"] & contents["test"]
    assert {r.content for r in datamodule.records["source"]["test"]} == {
        r.content for r in datamodule.records["target"]["test"]
    }


def test_da_batches_pair_source_and_target_and_epoch_follows_target(make_cfg):
    datamodule = build(make_cfg("data.batch_size=8"))
    loader = datamodule.train_dataloader()
    batch, *_ = next(iter(loader))
    assert set(batch) == {"source", "target"}
    assert batch["source"]["ref"].shape[0] == batch["target"]["ref"].shape[0] == 4
    assert (
        batch["source"]["ref"].dtype == torch.uint8
        and batch["target"]["ref"].dtype == torch.float32
    )
    assert len(loader) == -(-len(datamodule.records["target"]["train"]) // 4)


def test_single_domain_mode(make_cfg):
    datamodule = build(make_cfg("data.target=null"))
    batch, *_ = next(iter(datamodule.train_dataloader()))
    assert set(batch) == {"source"} and batch["source"]["ref"].shape[0] == 4
    assert datamodule.eval_names == ["sdr"]


def test_eval_loaders_are_named_and_ordered(make_cfg):
    datamodule = build(make_cfg())
    assert datamodule.eval_names == ["sdr", "hdr"]
    loaders = datamodule.test_dataloader()
    assert len(loaders) == 2 and len(loaders[1].dataset) == len(
        datamodule.records["target"]["test"]
    )


# ---------------------------------------------------------------- real layouts, split options
import json  # noqa: E402

import pytest  # noqa: E402
from hydra.errors import InstantiationException  # noqa: E402

from hdr_iqa.data.splits import kfold_assign  # noqa: E402
from hdr_iqa.errors import ConfigError, DataError  # noqa: E402
from tests.data.conftest import roots  # noqa: E402


def contents_of(datamodule, role: str) -> dict[str, set[str]]:
    return {s: {r.content for r in recs} for s, recs in datamodule.records[role].items()}


def test_kfold_runs_partition_the_content_groups(make_cfg, datasets_dir):
    tested = []
    for fold in range(5):
        dm = build(
            make_cfg("data=upiq_hdr", f"data.fold={fold}", *roots(datasets_dir, "upiq_dataset"))
        )
        parts = contents_of(dm, "source")
        assert not (parts["train"] & parts["val"] or parts["train"] & parts["test"]
                    or parts["val"] & parts["test"])  # fmt: skip
        assert len(parts["test"]) == len(parts["val"]) == 1 and len(parts["train"]) == 3
        tested.append(parts["test"])
    all_groups = {r.content for split in dm.records["source"].values() for r in split}
    assert set().union(*tested) == all_groups and sum(map(len, tested)) == 5


def test_sdr_and_hdr_roles_use_the_joint_upiq_folds(make_cfg, datasets_dir):
    dm = build(make_cfg("experiment=upiq_sdr_hdr", "data.fold=2",
                        *roots(datasets_dir, "upiq_dataset", "upiq_dataset")))  # fmt: skip
    strata = dm.sources["source"].fold_strata()
    folds = kfold_assign(strata, 5, seed=0)
    for role in ("source", "target"):
        for content in contents_of(dm, role)["test"]:
            assert folds[content] == 2
        for content in contents_of(dm, role)["val"]:
            assert folds[content] == 3


def test_splits_are_saved_and_reused_exactly(make_cfg, datasets_dir, tmp_path):
    first = build(make_cfg("data=kadid", "data.seed=0", *roots(datasets_dir, "kadid10k")))
    path = first.save_splits(tmp_path)
    again = build(make_cfg("data=kadid", "data.seed=5", f"data.split_file={path}",
                           *roots(datasets_dir, "kadid10k")))  # fmt: skip
    assert again.splits == first.splits
    assert contents_of(again, "source") == contents_of(first, "source")
    other = build(make_cfg("data=kadid", "data.seed=5", *roots(datasets_dir, "kadid10k")))
    assert other.splits != first.splits  # the seed matters when no file is given
    saved = json.loads(path.read_text())
    saved["kadid10k"]["test"].append("kadid10k/I99")
    path.write_text(json.dumps(saved))
    with pytest.raises(
        DataError, match=r"splits.json: dataset 'kadid10k' has no content \['kadid10k/I99'\]"
    ):
        build(make_cfg("data=kadid", f"data.split_file={path}", *roots(datasets_dir, "kadid10k")))


def test_train_only_source_and_zero_shot_test_datasets(make_cfg, datasets_dir):
    cfg = make_cfg("experiment=da_s_hu_sihdr", *roots(datasets_dir, "kadid10k", "SI-HDR"),
                   f"data.test_datasets.upiq_hdr.root={datasets_dir / 'upiq_dataset'}")  # fmt: skip
    dm = build(cfg)
    assert set(dm.records["source"]) == {"train"} and set(dm.records["target"]) == {"train"}
    assert len(dm.records["source"]["train"]) == 20
    assert dm.eval_names == ["upiq_hdr"] and dm.val_dataloader() == []
    (loader,) = dm.test_dataloader()
    assert len(loader.dataset) == 10  # all UPIQ-HDR pairs
    batch, *_ = next(iter(dm.train_dataloader()))
    assert batch["target"]["score"].isnan().all() and batch["target"]["ref"].dtype == torch.float32


def test_official_pieapp_split_gives_pairwise_training_batches(make_cfg, datasets_dir):
    dm = build(make_cfg("data=pieapp", *roots(datasets_dir, "PieAPP_dataset")))
    batch, *_ = next(iter(dm.train_dataloader()))
    source = batch["source"]
    assert set(source) >= {"ref", "dist", "dist_b", "score"}
    assert source["ref"].shape == source["dist_b"].shape == (4, 1, 1, 3, 64, 64)
    assert ((source["score"] >= 0) & (source["score"] <= 1)).all()
    val = next(iter(dm.val_dataloader()[0]))
    test = next(iter(dm.test_dataloader()[0]))
    assert "dist_b" in val and "dist_b" not in test


def test_no_reference_batches_have_no_ref(make_cfg, datasets_dir):
    dm = build(make_cfg("data=koniq", *roots(datasets_dir, "koniq10k")))
    batch, *_ = next(iter(dm.train_dataloader()))
    assert "ref" not in batch["source"] and batch["source"]["dist"].shape[0] == 4
    assert {len(v) for v in dm.splits["koniq10k"].values()} == {4, 1}


@pytest.mark.parametrize(
    ("overrides", "error", "pattern"),
    [(["data.fold=7"], ConfigError, r"data.fold must be in 0\.\.4 \(data.num_folds\), got 7"),
     (["data.split=random"], ConfigError, r"ratios or 'official', got 'random'"),
     (["data.train_only=[sauce]"], ConfigError, r"roles \['source', 'target'\], got \['sauce'\]"),
     (["data.split=official"], ConfigError, r"dataset 'kadid10k' has no published split")],
)  # fmt: skip
def test_split_option_errors(make_cfg, datasets_dir, overrides, error, pattern):
    with pytest.raises(error, match=pattern):
        try:
            build(make_cfg("data=kadid", *overrides, *roots(datasets_dir, "kadid10k")))
        except InstantiationException as wrapped:  # constructor errors come wrapped by Hydra
            raise wrapped.__cause__ from None


def test_size_mismatch_names_both_files(make_cfg, tmp_path):
    from hdr_iqa.io import write_image
    from tests.data.builders import make_kadid, sdr_image

    make_kadid(tmp_path / "kadid10k", refs=3, types=1, levels=1)
    write_image(tmp_path / "kadid10k/images/I02_01_01.png", sdr_image(0, 48, 80))
    overrides = ("data=kadid", f"data.source.root={tmp_path / 'kadid10k'}",
                 "data.train_only=[source]")  # fmt: skip
    with pytest.raises(
        DataError,
        match=r"I02_01_01\.png: 80x48 pixels, but its reference .*I02\.png is 80x64 \(listed in "
        r".*dmos\.csv:3\)",
    ):
        build(make_cfg(*overrides))  # found at set-up by data.verify
    dm = build(make_cfg(*overrides, "data.verify=false"))  # else when the pair is loaded
    dataset = dm._dataset("source", "train")
    index = next(i for i, r in enumerate(dataset.records) if "I02_01" in r.dist)
    with pytest.raises(DataError, match=r"I02\.png is 80x64, .*I02_01_01\.png is 80x48"):
        dataset[index]
