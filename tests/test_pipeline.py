"""IQAPipeline: the one scoring path (chain + network) and its one chunking loop."""

import pytest
import torch

from hdr_iqa.models import DIQA, PieAPP
from hdr_iqa.photometry import DisplayModel, PhotometricChain
from hdr_iqa.pipeline import IQAPipeline


def pipeline_of(net, limit=None) -> IQAPipeline:
    chain = PhotometricChain("pmax", mean=net.input_mean, std=net.input_std, jitter_display=False)
    return IQAPipeline(net, chain, limit).eval()


def inputs(batch=2, draws=2, patches=4, size=64, seed=0):
    generator = torch.Generator().manual_seed(seed)
    shape = (batch, draws, patches, 3, size, size)
    ref = torch.randint(0, 256, shape, dtype=torch.uint8, generator=generator)
    dist = (ref.int() + torch.randint(-40, 40, shape, generator=generator)).clamp(0, 255)
    pos = torch.rand(batch, draws, patches, 2, generator=generator)
    display = torch.stack([DisplayModel().params(), DisplayModel(peak=300.0).params()])
    return ref, dist.to(torch.uint8), pos, display[:batch]


@pytest.fixture(scope="module")
def pieapp():
    torch.manual_seed(0)
    return PieAPP()


def test_forward_is_the_chain_then_the_network(pieapp):
    pipeline = pipeline_of(pieapp)
    ref, dist, pos, display = (x[:, 0] if x.dim() > 2 else x for x in inputs())
    with torch.no_grad():
        out = pipeline(ref, dist, pos, display)
        expected = pieapp(pipeline.chain(ref, display), pipeline.chain(dist, display), pos)
    assert torch.equal(out.score, expected.score) and out.score.shape == (2,)
    assert pipeline.input_names == ["ref", "dist", "pos", "display"]


@pytest.mark.parametrize("limit", [3, 8])
def test_chunking_does_not_change_scores_or_features(pieapp, limit):
    """Whole draws grouped (limit >= 4 patches) or one draw split into patch chunks whose
    weighted terms are pooled (limit < 4): the scores of one unchunked pass, each draw's own."""
    pipeline = pipeline_of(pieapp)
    batch = inputs()
    with torch.no_grad():
        whole = pipeline.score_draws(*batch)  # (B, R) in one pass
        chunked = pipeline.score_draws(*batch, patch_batch_size=limit)
        features = pipeline.features(*batch), pipeline.features(*batch, patch_batch_size=limit)
    assert whole.shape == (2, 2) and (whole.std(dim=1) > 0).all()
    torch.testing.assert_close(chunked, whole, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(pipeline.score(*batch), whole.mean(dim=1), rtol=1e-6, atol=1e-8)
    assert features[0].shape == (2, 2, 8, 2048)  # K = 2N coarse features per draw
    torch.testing.assert_close(features[1], features[0], rtol=1e-5, atol=1e-6)


def test_draws_are_scored_independently(pieapp):
    """A draw's score depends only on its own patches (no leakage across the group)."""
    pipeline = pipeline_of(pieapp, limit=100)
    ref, dist, pos, display = inputs()
    with torch.no_grad():
        all_draws = pipeline.score_draws(ref, dist, pos, display)
        alone = pipeline.score_draws(ref[:1, 1:2], dist[:1, 1:2], pos[:1, 1:2], display[:1])
    torch.testing.assert_close(alone[0, 0], all_draws[0, 1], rtol=1e-5, atol=1e-7)


def test_no_reference_models_ignore_the_reference():
    torch.manual_seed(0)
    pipeline = pipeline_of(DIQA(phase="subjective"), limit=4)
    ref, dist, pos, display = inputs(patches=3, size=32)
    with torch.no_grad():
        with_ref = pipeline.score(ref, dist, pos, display)
        without = pipeline.score(None, dist, pos, display)
    assert torch.equal(with_ref, without) and torch.isfinite(without).all()
    assert pipeline.input_names == ["dist", "pos", "display"]


def test_bad_limit():
    with pytest.raises(ValueError, match="patch_batch_size must be >= 1"):
        IQAPipeline(PieAPP(), torch.nn.Identity(), 0)
