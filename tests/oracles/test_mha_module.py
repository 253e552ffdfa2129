"""The mha-module reference against PyTorch's own attention: nn.MultiheadAttention with the
reference's weights copied in (its packed in_proj is q | k | v stacked along the output rows,
the same layout as `qkv`), and F.scaled_dot_product_attention on the reference's q, k, v.
Forward values and the gradients of a loss with respect to the input and to every weight."""
import math

import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from tfprep.content.reference_impls.mha_module import MultiHeadAttention  # noqa: E402

CASES = [(2, 7, 16, 4), (1, 5, 12, 1), (3, 6, 16, 8), (2, 1, 8, 2), (1, 9, 24, 3)]  # (B, T, d_model, n_heads)


def make(B, T, d, H, causal, seed):
    """The reference in float64 with non-trivial weights and biases, and an input."""
    torch.manual_seed(seed)
    ref = MultiHeadAttention(d, H, causal=causal).to(torch.float64)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in ref.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * (0.5 if p.ndim == 1 else 1 / math.sqrt(d)))
    x = torch.randn(B, T, d, generator=g, dtype=torch.float64) * 1.5
    return ref, x


def torch_mha(ref, d, H):
    """nn.MultiheadAttention holding the reference's weights (q, k, v rows in the same order)."""
    mha = torch.nn.MultiheadAttention(d, H, bias=True, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(ref.qkv.weight)
        mha.in_proj_bias.copy_(ref.qkv.bias)
        mha.out_proj.weight.copy_(ref.proj.weight)
        mha.out_proj.bias.copy_(ref.proj.bias)
    return mha


def run_mha(mha, x, causal):
    T = x.shape[1]
    # nn.MultiheadAttention's bool attn_mask is True where a query may NOT attend
    mask = torch.ones(T, T, dtype=torch.bool).triu(1) if causal else None
    out, _ = mha(x, x, x, attn_mask=mask, need_weights=False)
    return out


def run_sdpa(ref, x, H, causal):
    B, T, C = x.shape
    q, k, v = F.linear(x, ref.qkv.weight, ref.qkv.bias).split(C, dim=-1)
    q, k, v = (t.reshape(B, T, H, C // H).transpose(1, 2) for t in (q, k, v))
    y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    return F.linear(y.transpose(1, 2).reshape(B, T, C), ref.proj.weight, ref.proj.bias)


def grads(out, leaves, r):
    return torch.autograd.grad((out * r).sum(), leaves)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("B,T,d,H", CASES)
def test_matches_nn_multihead_attention(B, T, d, H, causal):
    ref, x = make(B, T, d, H, causal, seed=B * 10 + T + H)
    mha = torch_mha(ref, d, H)
    r = torch.randn(B, T, d, generator=torch.Generator().manual_seed(99), dtype=torch.float64)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_ref, out_mha = ref(xa), run_mha(mha, xb, causal)
    torch.testing.assert_close(out_ref, out_mha, rtol=1e-10, atol=1e-12)
    g_ref = grads(out_ref, [xa, ref.qkv.weight, ref.qkv.bias, ref.proj.weight, ref.proj.bias], r)
    g_mha = grads(out_mha, [xb, mha.in_proj_weight, mha.in_proj_bias, mha.out_proj.weight, mha.out_proj.bias], r)
    for a, b in zip(g_ref, g_mha):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("B,T,d,H", CASES)
def test_matches_sdpa(B, T, d, H, causal):
    ref, x = make(B, T, d, H, causal, seed=100 + B * 10 + T + H)
    r = torch.randn(B, T, d, generator=torch.Generator().manual_seed(98), dtype=torch.float64)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_ref, out_sdpa = ref(xa), run_sdpa(ref, xb, H, causal)
    torch.testing.assert_close(out_ref, out_sdpa, rtol=1e-10, atol=1e-12)
    params = list(ref.parameters())
    for a, b in zip(grads(out_ref, [xa, *params], r), grads(out_sdpa, [xb, *params], r)):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-11)


def test_causal_differs_and_mask_is_respected():
    """The oracles are not trivially equal: causal and bidirectional outputs differ except at the
    last position, where the causal query sees every key too."""
    ref, x = make(2, 6, 16, 4, False, seed=7)
    causal = MultiHeadAttention(16, 4, causal=True).to(torch.float64)
    causal.load_state_dict(ref.state_dict())
    full, masked = ref(x), causal(x)
    assert (full[:, :-1] - masked[:, :-1]).abs().amax() > 1e-2
    torch.testing.assert_close(full[:, -1], masked[:, -1], rtol=1e-10, atol=1e-12)


def test_float32_close_to_float64():
    ref, x = make(2, 7, 16, 4, True, seed=3)
    ref32 = MultiHeadAttention(16, 4, causal=True)
    ref32.load_state_dict({k: v.float() for k, v in ref.state_dict().items()})
    out32 = ref32(x.float())
    assert out32.dtype == torch.float32
    torch.testing.assert_close(out32.double(), ref(x), rtol=1e-4, atol=1e-5)
