import hydra
import torch

from hdr_iqa.data.pairwise import PairwiseDataset, PairwiseRecord, as_pair_batch, is_pairwise
from hdr_iqa.io import write_image
from hdr_iqa.photometry import DisplayModel
from tests.data.builders import distort, sdr_image
from tests.data.conftest import TINY_MODEL, roots


def test_triplets_share_patch_positions(tmp_path):
    ref = sdr_image(0, 64, 80)
    paths = []
    for name, image in (("r", ref), ("a", distort(ref, 1, 1)), ("b", ref)):
        paths.append(str(write_image(tmp_path / f"{name}.png", image)))
    record = PairwiseRecord(*paths, score=0.3, content="c", display=DisplayModel(), domain="sdr")
    item = PairwiseDataset([record], patch_size=16, num_patches=5, train=True, flips=True)[0]
    assert item["ref"].shape == item["dist_b"].shape == (1, 5, 3, 16, 16)
    assert torch.equal(item["ref"], item["dist_b"])  # B is the reference: same crops and flips
    assert item["score"] == torch.tensor(0.3)
    batch = {k: v.unsqueeze(0) if torch.is_tensor(v) else v for k, v in item.items()}
    assert is_pairwise(batch)
    pairs = as_pair_batch(batch)
    assert pairs["dist"].shape[0] == 2 and torch.equal(pairs["dist"][1], batch["dist_b"][0])


def test_module_trains_on_preferences_and_validates_the_logit(make_cfg, datasets_dir):
    cfg = make_cfg("data=pieapp", *roots(datasets_dir, "PieAPP_dataset"), *TINY_MODEL)
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.setup("fit")
    module = hydra.utils.instantiate(cfg.model)
    batch, *_ = next(iter(datamodule.train_dataloader()))
    terms = module.compute_losses(batch)
    with torch.no_grad():
        pairs = as_pair_batch(batch["source"])
        q_a, q_b = module(pairs).chunk(2)
        expected = (torch.sigmoid(q_b - q_a) - batch["source"]["score"]).abs().mean()
        assert torch.allclose(terms["loss_source"], expected, atol=1e-5)
        assert torch.allclose(module(batch["source"]), q_b - q_a, atol=1e-5)
