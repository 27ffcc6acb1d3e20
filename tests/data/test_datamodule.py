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
