from tfprep.grading import models as M  # noqa: I001

import torch
import torch.nn.functional as F

from reference_impls.mha_module import MultiHeadAttention as Reference

M.setup()


def test_matches_sdpa(sub):
    """Output equals attention computed from the same weights"""
    model = M.build(sub, "MultiHeadAttention", 32, 4, causal=True)
    x = torch.randn(2, 7, 32)
    got = M.call(model, x, what="forward", deep=True)
    qkv = model.qkv(x).detach()
    q, k, v = (t.view(2, 7, 4, 8).transpose(1, 2) for t in qkv.split(32, 2))
    want = model.proj(F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(2, 7, 32))
    M.expect_close(got, want, what="forward(x)")


def test_training_runs(sub):
    """A short training loop"""
    model = M.build(sub, "MultiHeadAttention", 32, 4, causal=False)
    x, y = torch.randn(4, 8, 32), torch.randn(4, 8, 32)
    steps, loss = M.train(model, lambda s: (x, y), lambda m, a, b: F.mse_loss(m(a), b), steps=300, lr=3e-3,
                          done=lambda l: l < 0.5)
    assert steps is not None, loss
