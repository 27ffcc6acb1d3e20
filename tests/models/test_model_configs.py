"""Every model config computes its training losses under every normalisation and DA setting."""

import hydra
import pytest
import torch

MODELS = {
    "vtamiq": ["model.net.variant=vit_tiny_patch16_384", "model.net.depth=1",
               "model.net.num_groups=1", "model.net.num_rcabs=1"],
    "diqa": ["model.sampling.patch_size=32"],
}  # fmt: skip


@pytest.mark.parametrize(("model", "norm", "da"), [
    ("vtamiq", "pmax", "coral"), ("vtamiq", "n255", "none"), ("vtamiq", "srgb", "coral"),
    ("diqa", "pmax", "none"), ("diqa", "n255", "coral"), ("diqa", "srgb", "none"),
])  # fmt: skip
def test_losses_for_norm_and_da(make_cfg, model, norm, da):
    cfg = make_cfg(f"model={model}", *MODELS[model], f"norm={norm}", f"da={da}",
                   "model.sampling.train=4", "data.batch_size=8")  # fmt: skip
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.setup("fit")
    module = hydra.utils.instantiate(cfg.model)
    assert module.chain.scheme == norm and (module.coral is None) == (da == "none")
    batch, *_ = next(iter(datamodule.train_dataloader()))
    terms = module.compute_losses(batch)
    assert torch.isfinite(terms["loss"]) and ("loss_coral" in terms) == (da == "coral")
    terms["loss"].backward()
