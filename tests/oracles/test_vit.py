"""The ViT reference against outside oracles: its patchify against the NumPy `vit-patches`
reference and `F.unfold`, its Linear patch embedding against a stride-p `nn.Conv2d` holding the
same weights, its block and whole forward pass against a recomputation with
`F.scaled_dot_product_attention`, and the statement's worked example by hand."""
import numpy as np
import pytest

from tfprep.content.reference_impls.vit_patches import patchify as patchify_np

torch = pytest.importorskip("torch")
F = torch.nn.functional

from tfprep.content.reference_impls.vit import ViT, patchify  # noqa: E402  (needs torch)


@pytest.mark.parametrize("B,C,S,p", [(2, 3, 8, 4), (1, 1, 8, 2), (3, 2, 12, 3), (1, 3, 16, 4), (2, 4, 6, 1)])
def test_patchify_matches_numpy_reference_and_unfold(B, C, S, p):
    x = torch.randn(B, C, S, S, generator=torch.Generator().manual_seed(S + p), dtype=torch.float64)
    got = patchify(x, p)
    assert got.shape == (B, (S // p) ** 2, C * p * p)
    np.testing.assert_array_equal(got.numpy(), patchify_np(x.numpy(), p))
    cols = F.unfold(x, kernel_size=p, stride=p)  # (B, C p^2, N): im2col, (C, p, p) rows, row-major blocks
    np.testing.assert_array_equal(got.numpy(), cols.transpose(1, 2).numpy())


def test_patchify_worked_example():
    """The vit-patches statement's example: 2 channels of 4x4 holding 0..31, patch 2."""
    x = torch.arange(32.0).reshape(1, 2, 4, 4)
    want = [[0, 1, 4, 5, 16, 17, 20, 21], [2, 3, 6, 7, 18, 19, 22, 23],
            [8, 9, 12, 13, 24, 25, 28, 29], [10, 11, 14, 15, 26, 27, 30, 31]]
    assert patchify(x, 2)[0].tolist() == want


@pytest.mark.parametrize("C,S,p,D", [(3, 12, 4, 24), (1, 8, 2, 16), (2, 9, 3, 8)])
def test_linear_patch_embedding_is_a_strided_conv(C, S, p, D):
    torch.manual_seed(0)
    model = ViT(S, p, D, 1, 2, 5, in_channels=C).double()
    x = torch.randn(2, C, S, S, dtype=torch.float64)
    conv = torch.nn.Conv2d(C, D, kernel_size=p, stride=p).double()
    with torch.no_grad():
        conv.weight.copy_(model.patch_embed.weight.reshape(D, C, p, p))  # (D, C p^2) -> (D, C, p, p)
        conv.bias.copy_(model.patch_embed.bias)
        want = conv(x).flatten(2).transpose(1, 2)  # (B, D, g, g) -> (B, N, D)
        got = model.patch_embed(patchify(x, p))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)


def block_by_sdpa(block, x):
    """The pre-LN block recomputed with PyTorch's attention on the block's own weights."""
    B, T, D = x.shape
    H = block.attn.n_heads
    q, k, v = block.attn.qkv(block.ln1(x)).split(D, dim=2)
    q, k, v = (t.view(B, T, H, D // H).transpose(1, 2) for t in (q, k, v))  # (B, H, T, dh)
    att = F.scaled_dot_product_attention(q, k, v, is_causal=False).transpose(1, 2).reshape(B, T, D)
    x = x + block.attn.proj(att)
    return x + block.mlp.proj(F.gelu(block.mlp.fc(block.ln2(x))))


def forward_by_sdpa(model, images):
    """The whole classifier recomputed: Conv2d patch embedding, CLS, positions, SDPA blocks."""
    D, C, p = model.patch_embed.out_features, images.shape[1], model.patch
    w = model.patch_embed.weight.reshape(D, C, p, p)
    tokens = F.conv2d(images, w, model.patch_embed.bias, stride=p).flatten(2).transpose(1, 2)  # (B, N, D)
    x = torch.cat([model.cls_token.expand(len(images), 1, D), tokens], dim=1) + model.pos_emb
    for block in model.blocks:
        x = block_by_sdpa(block, x)
    return F.linear(F.layer_norm(x[:, 0], (D,), model.ln_f.weight, model.ln_f.bias), model.head.weight,
                    model.head.bias)


@pytest.mark.parametrize("T,D,H", [(5, 16, 2), (17, 32, 4), (10, 24, 3)])
def test_block_matches_sdpa(T, D, H):
    torch.manual_seed(1)
    model = ViT(8, 2, D, 1, H, 3).double()
    for p in model.parameters():  # away from GPT-2's init, so that every term matters
        p.data.add_(torch.randn_like(p) * 0.1)
    x = torch.randn(2, T, D, dtype=torch.float64)
    with torch.no_grad():
        np.testing.assert_allclose(model.blocks[0](x).numpy(), block_by_sdpa(model.blocks[0], x).numpy(),
                                   rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("S,p,D,depth,H,K,C", [(12, 4, 24, 2, 3, 5, 3), (8, 2, 16, 1, 2, 4, 1), (8, 4, 16, 0, 2, 3, 2)])
def test_forward_matches_sdpa_recomputation(S, p, D, depth, H, K, C):
    torch.manual_seed(2)
    model = ViT(S, p, D, depth, H, K, in_channels=C).double()
    for prm in model.parameters():
        prm.data.add_(torch.randn_like(prm) * 0.1)
    x = torch.randn(3, C, S, S, dtype=torch.float64)
    with torch.no_grad():
        got = model(x)
        want = forward_by_sdpa(model, x)
    assert got.shape == (3, K)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)


def test_depth_zero_reads_only_the_cls_token():
    """With no blocks the logits are head(LN(cls + pos[0])) for every image, by hand."""
    torch.manual_seed(3)
    model = ViT(8, 2, 16, 0, 2, 4).double()
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    with torch.no_grad():
        z = (model.cls_token + model.pos_emb[:, :1])[0, 0]  # (D,)
        z = (z - z.mean()) / torch.sqrt(z.var(unbiased=False) + 1e-5) * model.ln_f.weight + model.ln_f.bias
        want = model.head.weight @ z + model.head.bias
        got = model(x)
    np.testing.assert_allclose(got.numpy(), want.expand(2, -1).numpy(), rtol=1e-12, atol=1e-12)
