"""The GPT reference against outside oracles: its blocks and its whole forward against a functional
re-implementation on F.scaled_dot_product_attention(is_causal=True) with the same weights, its loss
against a hand log-sum-exp and F.cross_entropy, its generate(top_k=1) against a hand greedy loop
(past max_len too), and one sampled token against softmax(logits / T) over the top k."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from tfprep.content.reference_impls.gpt import GPT, Block  # noqa: E402

V, D, L, H, ML = 23, 24, 2, 3, 10


def make(seed=0):
    torch.manual_seed(seed)
    model = GPT(V, D, L, H, ML).double()
    with torch.no_grad():  # weights far from the init, so every term matters
        for p in model.parameters():
            p.copy_(torch.randn_like(p) / math.sqrt(p.shape[-1]) if p.dim() > 1 else 1 + 0.3 * torch.randn_like(p))
    return model


def block_oracle(blk, x):
    """x + attn(ln1(x)), then + mlp(ln2(x)), the attention by torch's own causal SDPA."""
    B, T, C = x.shape
    h = F.layer_norm(x, (C,), blk.ln1.weight, blk.ln1.bias, 1e-5)
    q, k, v = F.linear(h, blk.attn.qkv.weight, blk.attn.qkv.bias).split(C, dim=-1)
    q, k, v = (t.reshape(B, T, H, C // H).permute(0, 2, 1, 3) for t in (q, k, v))
    att = F.scaled_dot_product_attention(q, k, v, is_causal=True).permute(0, 2, 1, 3).reshape(B, T, C)
    x = x + F.linear(att, blk.attn.proj.weight, blk.attn.proj.bias)
    h = F.layer_norm(x, (C,), blk.ln2.weight, blk.ln2.bias, 1e-5)
    return x + F.linear(F.gelu(F.linear(h, blk.mlp.fc.weight, blk.mlp.fc.bias)), blk.mlp.proj.weight, blk.mlp.proj.bias)


def forward_oracle(model, idx):
    T = idx.shape[1]
    x = F.embedding(idx, model.tok_emb.weight) + model.pos_emb.weight[:T]
    for blk in model.blocks:
        x = block_oracle(blk, x)
    x = F.layer_norm(x, (D,), model.ln_f.weight, model.ln_f.bias, 1e-5)
    return x @ model.tok_emb.weight.T


@pytest.mark.parametrize("B,T", [(1, 1), (2, 7), (3, ML)])
def test_block_matches_sdpa(B, T):
    model = make(1)
    x = torch.randn(B, T, D, dtype=torch.float64)
    with torch.no_grad():
        for blk in model.blocks:
            assert isinstance(blk, Block)
            np.testing.assert_allclose(blk(x).numpy(), block_oracle(blk, x).numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("B,T", [(1, 1), (2, 7), (3, ML)])
def test_forward_matches_functional_oracle(B, T):
    model = make(2)
    idx = torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(T))
    with torch.no_grad():
        logits, loss = model(idx)
        want = forward_oracle(model, idx)
    assert loss is None and logits.shape == (B, T, V)
    np.testing.assert_allclose(logits.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)


def test_head_is_the_token_embedding():
    model = GPT(V, D, L, H, ML)
    assert model.head.weight is model.tok_emb.weight
    assert sum(1 for p in model.parameters() if p.shape == (V, D)) == 1
    assert abs(float(model.tok_emb.weight.std()) - 0.02) < 0.003  # GPT-2's init survives the tying


def test_loss_is_mean_cross_entropy():
    model = make(3)
    g = torch.Generator().manual_seed(4)
    idx, targets = torch.randint(0, V, (3, 8), generator=g), torch.randint(0, V, (3, 8), generator=g)
    with torch.no_grad():
        logits, loss = model(idx, targets)
    z = logits.numpy().reshape(-1, V)
    lse = z.max(1) + np.log(np.exp(z - z.max(1, keepdims=True)).sum(1))
    by_hand = float(np.mean(lse - z[np.arange(z.shape[0]), targets.numpy().reshape(-1)]))
    assert float(loss) == pytest.approx(by_hand, rel=1e-12)
    assert float(loss) == pytest.approx(float(F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))), rel=1e-12)
    assert float(loss) > 0.5  # a real loss, not a degenerate one


@pytest.mark.parametrize("P,N", [(3, 5), (ML, 6), (ML + 4, 6)])
def test_greedy_generate_matches_a_hand_loop(P, N):
    model = make(9)
    prompt = torch.randint(0, V, (4, P), generator=torch.Generator().manual_seed(P))
    torch.manual_seed(0)
    out = model.generate(prompt, N, top_k=1)
    seq = prompt.clone()
    with torch.no_grad():
        for _ in range(N):
            nxt = forward_oracle(model, seq[:, -ML:])[:, -1].argmax(-1, keepdim=True)
            seq = torch.cat([seq, nxt], dim=1)
    assert torch.equal(out, seq)
    assert len(set(out[:, P:].flatten().tolist())) > 1  # the loop is not trivially constant


def test_one_sampled_token_follows_softmax_over_top_k():
    model = make(6)
    prompt = torch.randint(0, V, (1, 4), generator=torch.Generator().manual_seed(6))
    T, k, n = 0.7, 6, 20000
    with torch.no_grad():
        z = forward_oracle(model, prompt)[0, -1] / T
    keep = torch.topk(z, k).indices
    want = np.zeros(V)
    want[keep.numpy()] = torch.softmax(z[keep], -1).numpy()
    torch.manual_seed(1)
    out = model.generate(prompt.repeat(n, 1), 1, temperature=T, top_k=k)[:, -1]
    counts = np.bincount(out.numpy(), minlength=V)
    assert counts[want == 0].sum() == 0
    sd = np.sqrt(want * (1 - want) / n)
    assert np.all(np.abs(counts / n - want) <= 5 * sd + 1e-12)
