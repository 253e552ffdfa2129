"""The BERT-MLM reference against outside oracles: its encoder block against a functional
re-implementation on F.scaled_dot_product_attention (not causal) and against nn.MultiheadAttention
with the same weights, its whole forward against a functional oracle (tied decoder included), and
its loss against F.cross_entropy(ignore_index=-100) and a hand masked mean of -log softmax."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from tfprep.content.reference_impls.bert_mlm import BertMLM  # noqa: E402
from tfprep.content.reference_impls.gpt import Block  # noqa: E402

V, D, L, H, ML = 19, 24, 2, 3, 11


def make(seed=0):
    torch.manual_seed(seed)
    model = BertMLM(V, D, L, H, ML).double()
    with torch.no_grad():  # weights far from the init, so every term matters
        for p in model.parameters():
            p.copy_(torch.randn_like(p) / math.sqrt(p.shape[-1]) if p.dim() > 1 else 1 + 0.3 * torch.randn_like(p))
    return model


def ln(x, mod):
    return F.layer_norm(x, (x.shape[-1],), mod.weight, mod.bias, mod.eps)


def block_oracle(blk, x):
    """x + attn(ln1(x)), then + mlp(ln2(x)), the attention by torch's SDPA without a mask."""
    B, T, C = x.shape
    q, k, v = F.linear(ln(x, blk.ln1), blk.attn.qkv.weight, blk.attn.qkv.bias).split(C, dim=-1)
    q, k, v = (t.reshape(B, T, H, C // H).permute(0, 2, 1, 3) for t in (q, k, v))
    att = F.scaled_dot_product_attention(q, k, v, is_causal=False).permute(0, 2, 1, 3).reshape(B, T, C)
    x = x + F.linear(att, blk.attn.proj.weight, blk.attn.proj.bias)
    h = ln(x, blk.ln2)
    return x + F.linear(F.gelu(F.linear(h, blk.mlp.fc.weight, blk.mlp.fc.bias)), blk.mlp.proj.weight, blk.mlp.proj.bias)


def forward_oracle(model, ids):
    T = ids.shape[1]
    x = F.embedding(ids, model.tok_emb.weight) + model.pos_emb.weight[:T]
    for blk in model.blocks:
        x = block_oracle(blk, x)
    hd = model.head
    h = ln(F.gelu(F.linear(ln(x, model.ln_f), hd.dense.weight, hd.dense.bias)), hd.ln)
    return h @ model.tok_emb.weight.T + hd.decoder.bias  # the decoder's weight is the token embedding


@pytest.mark.parametrize("B,T", [(1, 1), (2, 6), (3, ML)])
def test_block_matches_sdpa(B, T):
    model = make(1)
    x = torch.randn(B, T, D, dtype=torch.float64, generator=torch.Generator().manual_seed(T))
    with torch.no_grad():
        for blk in model.blocks:
            assert isinstance(blk, Block) and not blk.attn.causal
            np.testing.assert_allclose(blk(x).numpy(), block_oracle(blk, x).numpy(), rtol=1e-10, atol=1e-12)


def test_attention_matches_torch_multihead_attention():
    """The block's attention against nn.MultiheadAttention given the same fused in-projection."""
    model = make(2)
    attn = model.blocks[0].attn
    mha = torch.nn.MultiheadAttention(D, H, bias=True, batch_first=True).double()
    with torch.no_grad():
        mha.in_proj_weight.copy_(attn.qkv.weight)  # rows q | k | v, as qkv's output columns
        mha.in_proj_bias.copy_(attn.qkv.bias)
        mha.out_proj.weight.copy_(attn.proj.weight)
        mha.out_proj.bias.copy_(attn.proj.bias)
        x = torch.randn(2, 9, D, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
        want, _ = mha(x, x, x, need_weights=False)
        np.testing.assert_allclose(attn(x).numpy(), want.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("B,T", [(1, 1), (2, 7), (3, ML)])
def test_forward_matches_functional_oracle(B, T):
    model = make(4)
    ids = torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(10 + T))
    with torch.no_grad():
        logits, loss = model(ids)
        want = forward_oracle(model, ids)
    assert loss is None and logits.shape == (B, T, V)
    np.testing.assert_allclose(logits.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)


def test_decoder_tied_and_float32_by_default():
    model = BertMLM(V, D, L, H, ML)
    assert model.head.decoder.weight is model.tok_emb.weight
    assert sum(1 for p in model.parameters() if p.shape == (V, D)) == 1
    logits, _ = model(torch.zeros(2, 5, dtype=torch.long))
    assert logits.dtype == torch.float32 and logits.shape == (2, 5, V)


def test_bidirectional():
    """The first position's logits move when only the last token changes (no causal mask)."""
    model = make(5)
    ids = torch.randint(0, V, (1, 8), generator=torch.Generator().manual_seed(6))
    other = ids.clone()
    other[0, -1] = (other[0, -1] + 1) % V
    with torch.no_grad():
        a, b = model(ids)[0], model(other)[0]
    assert float((a[0, 0] - b[0, 0]).abs().max()) > 1e-3


def hand_masked_mean(logits, labels):
    """Sum of -log softmax(logits)[label] over the labelled positions, divided by their count."""
    lg, y = logits.numpy().reshape(-1, logits.shape[-1]), labels.numpy().reshape(-1)
    keep = np.flatnonzero(y != -100)
    m = lg[keep].max(axis=1, keepdims=True)
    logp = lg[keep] - m - np.log(np.exp(lg[keep] - m).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(keep)), y[keep]].sum() / len(keep)


@pytest.mark.parametrize("n_labelled", [1, 5, 27])
def test_loss_is_cross_entropy_over_labelled_positions(n_labelled):
    model = make(7)
    g = torch.Generator().manual_seed(n_labelled)
    ids = torch.randint(0, V, (3, 9), generator=g)
    labels = torch.full_like(ids, -100)
    where = torch.randperm(ids.numel(), generator=g)[:n_labelled]
    labels.view(-1)[where] = torch.randint(0, V, (n_labelled,), generator=g)
    logits, loss = model(ids, labels)
    assert loss.dim() == 0
    want = F.cross_entropy(logits.view(-1, V), labels.view(-1), ignore_index=-100)
    np.testing.assert_allclose(loss.item(), want.item(), rtol=1e-12)
    np.testing.assert_allclose(loss.item(), hand_masked_mean(logits.detach(), labels), rtol=1e-10)
    # d loss / d logits: (softmax - onehot(label)) / n at labelled positions, exactly 0 elsewhere
    (grad,) = torch.autograd.grad(loss, logits)
    keep = labels != -100
    assert torch.count_nonzero(grad[~keep]) == 0
    onehot = F.one_hot(labels[keep], V).double()
    np.testing.assert_allclose(grad[keep].numpy(), ((logits[keep].softmax(-1) - onehot) / n_labelled).detach().numpy(),
                               rtol=1e-10, atol=1e-14)
