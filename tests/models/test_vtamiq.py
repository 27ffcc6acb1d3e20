"""VTAMIQ: parameter count, shapes, positions, gradients, learning, timm weights, determinism."""

import numpy as np
import pytest
import timm
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from hdr_iqa.errors import MissingFileError, WeightsError
from hdr_iqa.models import VTAMIQ
from hdr_iqa.models.vtamiq import position_index

TINY = {"variant": "vit_tiny_patch16_384", "depth": 2, "num_groups": 1, "num_rcabs": 2,
        "reduction": 4}  # fmt: skip
"""A small VTAMIQ (width 192) with the same code paths, for quick learning and loading tests."""


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return VTAMIQ()


def patches(batch: int, count: int, seed: int = 0, size: int = 16):
    generator = torch.Generator().manual_seed(seed)
    ref = torch.rand((batch, count, 3, size, size), generator=generator) * 2 - 1
    dist = ref + 0.3 * torch.randn(ref.shape, generator=generator)
    pos = torch.rand((batch, count, 2), generator=generator) * 0.98 + 0.01
    return ref, dist, pos


def test_parameter_count_matches_spec(model):
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(model) == 57_322_386
    assert count(model.vit) + model.reg_token.numel() == 43_578_624
    assert count(model.diffnet) == 13_595_152 and count(model.head) == 147_842
    assert model.vit.pos_embed.shape == (1, 577, 768) and model.reg_token.shape == (1, 8, 768)
    assert len(model.vit.blocks) == 6 and model.vit.norm.weight.shape == (768,)


def test_forward_shapes_and_identical_images(model):
    model.eval()
    ref, dist, pos = patches(2, 5)
    with torch.no_grad():
        out = model(ref, dist, pos)
        same = model(ref, ref, pos)
    assert out.score.shape == (2,) and out.features.shape == (2, 2, 768) and out.loss is None
    # CORAL rows: CLS of the reference, CLS of the distorted image
    assert torch.equal(same.features[:, 0], same.features[:, 1])
    # identical inputs: the CLS difference is 0, so every image gets the same score
    assert torch.allclose(same.score, same.score[0].expand(2))


def test_position_index_follows_the_reference_formula():
    pos = torch.tensor([[0.01, 0.01], [0.25, 0.75], [0.99, 0.5]])
    expected = [int(r * 24) * 24 + int(c * 24) + 1 for r, c in pos.tolist()]
    assert position_index(pos, 24).tolist() == expected == [1, 163, 565]


def test_patch_order_does_not_matter_but_positions_do(model):
    model.eval()
    ref, dist, pos = patches(1, 6)
    order = torch.randperm(6)
    with torch.no_grad():
        base = model(ref, dist, pos).score
        shuffled = model(ref[:, order], dist[:, order], pos[:, order]).score
        moved = model(ref, dist, pos.flip(-1)).score
    assert torch.allclose(base, shuffled, atol=1e-5)
    assert not torch.allclose(base, moved, atol=1e-5)


def test_wrong_patch_size_names_the_setting(model):
    ref, dist, pos = patches(1, 2, size=32)
    with pytest.raises(ValueError, match=r"model.sampling.patch_size=16\), got \(3, 32, 32\)"):
        model(ref, dist, pos)


def test_every_parameter_gets_a_gradient(model):
    torch.manual_seed(0)
    model.train().zero_grad()
    ref, dist, pos = patches(4, 3)
    out = model(ref, dist, pos)
    (out.score.sum() + out.features.mean()).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert not missing


def test_overfits_one_batch():
    torch.manual_seed(0)
    model = VTAMIQ(**TINY, dropout=0.0, group_drop_path=0.0)
    ref, dist, pos = patches(4, 4)
    dist = ref + (dist - ref) * torch.tensor([0.1, 0.4, 0.7, 1.0]).view(4, 1, 1, 1, 1)
    target = torch.tensor([0.1, 0.3, 0.5, 0.9])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    losses = []
    for _ in range(20):
        loss = (model(ref, dist, pos).score - target).square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 50, losses


# ---------------------------------------------------------------------------- timm ViT weights
@pytest.fixture(scope="module")
def timm_vit_state():
    """A 12-block timm ViT-Ti/16-384 state dict, as timm saves it (random init)."""
    torch.manual_seed(1)
    return timm.create_model("vit_tiny_patch16_384", pretrained=False).state_dict()


def google_npz_layout(state: dict, depth: int, heads: int) -> dict:
    """The original JAX ViT .npz layout of a timm state dict (inverse of timm's npz loader)."""
    width = state["cls_token"].shape[-1]
    a = lambda t: t.detach().numpy()  # noqa: E731
    w = {
        "embedding/kernel": a(state["patch_embed.proj.weight"].permute(2, 3, 1, 0)),
        "embedding/bias": a(state["patch_embed.proj.bias"]),
        "cls": a(state["cls_token"]),
        "Transformer/posembed_input/pos_embedding": a(state["pos_embed"]),
        "Transformer/encoder_norm/scale": a(state["norm.weight"]),
        "Transformer/encoder_norm/bias": a(state["norm.bias"]),
    }
    for i in range(depth):
        s, b = f"blocks.{i}.", f"Transformer/encoderblock_{i}/"
        mha = b + "MultiHeadDotProductAttention_1/"
        qkv_w = state[s + "attn.qkv.weight"].chunk(3)
        qkv_b = state[s + "attn.qkv.bias"].chunk(3)
        for name, weight, bias in zip(("query", "key", "value"), qkv_w, qkv_b, strict=True):
            w[mha + f"{name}/kernel"] = a(weight.T.reshape(width, heads, -1))
            w[mha + f"{name}/bias"] = a(bias.reshape(heads, -1))
        w[mha + "out/kernel"] = a(
            state[s + "attn.proj.weight"].reshape(width, heads, -1).permute(1, 2, 0)
        )
        w[mha + "out/bias"] = a(state[s + "attn.proj.bias"])
        for norm, source in (("LayerNorm_0", "norm1"), ("LayerNorm_2", "norm2")):
            w[b + f"{norm}/scale"] = a(state[s + f"{source}.weight"])
            w[b + f"{norm}/bias"] = a(state[s + f"{source}.bias"])
        for r in range(2):
            w[b + f"MlpBlock_3/Dense_{r}/kernel"] = a(state[s + f"mlp.fc{r + 1}.weight"].T)
            w[b + f"MlpBlock_3/Dense_{r}/bias"] = a(state[s + f"mlp.fc{r + 1}.bias"])
    return w  # fmt: skip


def assert_backbone_equals(model: VTAMIQ, state: dict) -> None:
    loaded = model.vit.state_dict()
    keys = ("cls_token", "pos_embed", "patch_embed.proj.weight", "norm.bias",
            "blocks.0.attn.qkv.weight", "blocks.1.attn.proj.weight",
            "blocks.1.mlp.fc2.bias")  # fmt: skip
    for key in keys:
        assert torch.allclose(loaded[key], state[key]), key
    assert torch.equal(loaded["blocks.1.ls2.gamma"], torch.ones(192))  # LayerScale stays at 1


@pytest.mark.parametrize("suffix", [".pth", ".safetensors", ".npz"])
def test_timm_vit_weights_from_local_files(tmp_path, timm_vit_state, suffix):
    path = tmp_path / f"vit{suffix}"
    if suffix == ".pth":
        torch.save(timm_vit_state, path)
    elif suffix == ".safetensors":
        save_file({k: v.contiguous() for k, v in timm_vit_state.items()}, str(path))
    else:
        np.savez(path, **google_npz_layout(timm_vit_state, depth=12, heads=3))
    model = VTAMIQ(**TINY, vit_weights=path)
    assert_backbone_equals(model, timm_vit_state)


def test_missing_vit_weights_name_key_and_path(tmp_path):
    with pytest.raises(MissingFileError, match=f"model.net.vit_weights: .*{tmp_path}/none.npz"):
        VTAMIQ(**TINY, vit_weights=tmp_path / "none.npz")


def test_mismatched_vit_weights_say_what_is_missing(tmp_path, timm_vit_state):
    state = {k: v for k, v in timm_vit_state.items() if not k.startswith("blocks.1.mlp")}
    state["pos_embed"] = torch.zeros(1, 577, 100)
    torch.save(state, tmp_path / "vit.pth")
    expected = (r"model.net.vit_weights: .*vit.pth.*missing keys: blocks\.1\.mlp\.fc1\.weight"
                r".*wrong shapes: pos_embed \(1, 577, 100\)")  # fmt: skip
    with pytest.raises(WeightsError, match=expected):
        VTAMIQ(**TINY, vit_weights=tmp_path / "vit.pth")


# ---------------------------------------------------------------------------- paper code weights
def paper_vtamiq_state(width=768, depth=6, registers=8, groups=4, rcabs=4, reduction=16, grid=24):
    """[DA] VTAMIQ ``model_state_dict`` as tabled in weights-compat.md section 2 (random values)."""
    mlp, hidden, vec = 4 * width, width // reduction, (width,)
    emb, enc = "transformer.embeddings.", "transformer.encoder."
    table = [
        (emb + "cls_token", (1, 1, width)),
        (emb + "extra_tokens", (1, registers, width)),
        (emb + "patch_embeddings.weight", (width, 3, 16, 16)),
        (emb + "patch_embeddings.bias", vec),
        (emb + "positional_embeddings.positional_embeddings", (1, grid * grid + 1, width)),
        (enc + "encoder_norm.weight", vec),
        (enc + "encoder_norm.bias", vec),
    ]
    for i in range(depth):
        p = f"{enc}layers.{i}."
        table += [
            (p + "attention_norm.weight", vec),
            (p + "attention_norm.bias", vec),
            (p + "ffn_norm.weight", vec),
            (p + "ffn_norm.bias", vec),
            (p + "ffn.fc1.weight", (mlp, width)),
            (p + "ffn.fc1.bias", (mlp,)),
            (p + "ffn.fc2.weight", (width, mlp)),
            (p + "ffn.fc2.bias", vec),
        ]
        for name in ("query", "key", "value", "out"):
            table += [(p + f"attn.{name}.weight", (width, width)), (p + f"attn.{name}.bias", vec)]
        table += [(p + "ls1.gamma", vec), (p + "ls2.gamma", vec)]
    table.append(("diff_scale.gamma", vec))
    for g in range(groups):
        for r in range(rcabs):
            p = f"quality_decoder.{g}.body.{r}.body."
            table += [
                (p + "1.weight", (1,)),
                (p + "2.weight", (width, width, 1)),
                (p + "2.bias", vec),
                (p + "4.conv_du.1.weight", (hidden, width, 1)),
                (p + "4.conv_du.1.bias", (hidden,)),
                (p + "4.conv_du.4.weight", (width, hidden, 1)),
                (p + "4.conv_du.4.bias", vec),
            ]
        table += [
            (f"quality_decoder.{g}.body.{rcabs}.weight", (width, width, 1)),
            (f"quality_decoder.{g}.body.{rcabs}.bias", vec),
        ]
    table += [
        (f"quality_decoder.{groups}.weight", (width, width, 1)),
        (f"quality_decoder.{groups}.bias", vec),
        ("q_predictor.1.weight", (width // 4, width)),
        ("q_predictor.1.bias", (width // 4,)),
        ("q_predictor.2.weight", (1,)),
        ("q_predictor.4.weight", (1, width // 4)),
        ("q_predictor.4.bias", (1,)),
    ]
    generator = torch.Generator().manual_seed(2)
    return {k: torch.randn(shape, generator=generator) * 0.05 for k, shape in table}  # fmt: skip


def paper_block(state: dict, i: int, x: torch.Tensor, heads: int) -> torch.Tensor:
    """One [DA] encoder block computed from its raw tensors (separate q, k, v; pre-norm, LS)."""
    w = lambda name: state[f"transformer.encoder.layers.{i}.{name}"]  # noqa: E731
    width = x.shape[-1]
    h = F.layer_norm(x, (width,), w("attention_norm.weight"), w("attention_norm.bias"), 1e-6)
    q, k, v = (
        F.linear(h, w(f"attn.{n}.weight"), w(f"attn.{n}.bias"))
        .unflatten(-1, (heads, -1))
        .transpose(1, 2)
        for n in ("query", "key", "value")
    )
    attention = torch.softmax(q @ k.transpose(-1, -2) / (width // heads) ** 0.5, dim=-1)
    context = (attention @ v).transpose(1, 2).flatten(2)
    x = x + w("ls1.gamma") * F.linear(context, w("attn.out.weight"), w("attn.out.bias"))
    h = F.layer_norm(x, (width,), w("ffn_norm.weight"), w("ffn_norm.bias"), 1e-6)
    h = F.gelu(F.linear(h, w("ffn.fc1.weight"), w("ffn.fc1.bias")))
    return x + w("ls2.gamma") * F.linear(h, w("ffn.fc2.weight"), w("ffn.fc2.bias"))  # fmt: skip


def test_paper_code_checkpoint_loads(model, tmp_path):
    state = paper_vtamiq_state()
    assert len(state) == 243 and sum(v.numel() for v in state.values()) == 57_322_386
    torch.save({"model_state_dict": state, "epoch": 4, "SROCC": 0.9}, tmp_path / "latest.pth")
    model.load_weights(tmp_path / "latest.pth")
    loaded = model.state_dict()
    assert torch.equal(loaded["reg_token"], state["transformer.embeddings.extra_tokens"])
    excite = state["quality_decoder.2.body.3.body.4.conv_du.4.weight"]  # Conv1d (768, 48, 1)
    assert torch.equal(loaded["diffnet.2.body.3.attention.excite.weight"], excite[..., 0])
    assert torch.equal(loaded["diffnet.4.bias"], state["quality_decoder.4.bias"])
    assert torch.equal(loaded["head.2.weight"], state["q_predictor.2.weight"])
    # q/k/v fusion, norms and layer scales in the right places: the blocks compute the same
    x = torch.randn(2, 13, 768)
    with torch.no_grad():
        for i in (0, 5):
            assert torch.allclose(model.vit.blocks[i](x), paper_block(state, i, x, 12), atol=1e-5)


def test_paper_code_conversion_leaves_other_layouts_alone(model):
    state = {"vit.cls_token": torch.zeros(1), "diffnet.0.body.0.conv.weight": torch.zeros(2, 2, 1)}
    assert model.convert_state_dict(state) == state


def test_incomplete_paper_checkpoint_lists_the_missing_keys(model, tmp_path):
    state = paper_vtamiq_state(depth=1, groups=1, rcabs=1)
    torch.save({"model_state_dict": state}, tmp_path / "small.pth")
    expected = (r"model.net.weights: .*small.pth does not match VTAMIQ \(219 entries expected\): "
                r"missing keys: vit\.blocks\.1\.norm1\.weight")  # fmt: skip
    with pytest.raises(WeightsError, match=expected):
        model.load_weights(tmp_path / "small.pth")


# ---------------------------------------------------------------------------- through the config
TINY_OVERRIDES = ["model=vtamiq", *(f"model.net.{k}={v}" for k, v in TINY.items())]


def test_weights_round_trip_through_the_config(make_cfg, tmp_path):
    import hydra

    torch.manual_seed(3)
    original = VTAMIQ(**TINY).eval()
    torch.save(original.state_dict(), tmp_path / "vtamiq.pth")
    cfg = make_cfg(*TINY_OVERRIDES, f"model.net.weights={tmp_path / 'vtamiq.pth'}")
    loaded = hydra.utils.instantiate(cfg.model).net.eval()
    ref, dist, pos = patches(2, 4, size=16)
    with torch.no_grad():
        assert torch.equal(original(ref, dist, pos).score, loaded(ref, dist, pos).score)


def test_evaluating_a_checkpoint_twice_gives_identical_predictions(
    make_cfg, tmp_path, trained_vtamiq
):
    """The training run's own test of its checkpoint, a test of it through ``ckpt_path`` and
    one through ``model.net.weights`` predict the same numbers (seeded test-time draws)."""
    from hdr_iqa.train import train
    from tests.conftest import TINY_VTAMIQ

    checkpoint = trained_vtamiq.ckpt
    domains = ("sdr", "hdr")
    predictions = [
        [(trained_vtamiq.dir / f"results/predictions_{d}.csv").read_text() for d in domains]
    ]
    for source in (f"ckpt_path={checkpoint}", f"model.net.weights={checkpoint}"):
        train(make_cfg(*TINY_VTAMIQ, "train=false", source))  # as trained_vtamiq was trained
        predictions.append(
            [(tmp_path / f"results/predictions_{d}.csv").read_text() for d in domains]
        )
    assert predictions[0] == predictions[1] == predictions[2]
    rows = predictions[0][1].splitlines()
    assert len(rows) > 2 and len({r.split(",")[-1] for r in rows[1:]}) > 1  # varied predictions
