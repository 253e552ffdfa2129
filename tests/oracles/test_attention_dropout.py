"""The attention-dropout reference against torch: at inference against
`F.scaled_dot_product_attention`; in training against SDPA with `dropout_p`, replaying torch's own
mask through the reference (a stand-in Generator whose `random()` reproduces the mask torch drew)."""
import numpy as np
import pytest

from tfprep.content.reference_impls.attention_dropout import attention_with_dropout

torch = pytest.importorskip("torch")
F = torch.nn.functional


class _ReplayMask:
    """Mimics Generator.random(shape): 0.999 where torch kept a weight, 0 where it dropped one, so
    the reference's `random() >= p` reproduces torch's mask exactly."""

    def __init__(self, kept):
        self.kept = kept

    def random(self, shape):
        assert tuple(shape) == self.kept.shape
        return np.where(self.kept, 0.999, 0.0)


def _inputs(seed, batch, t, s, d_k, d_v):
    g = np.random.default_rng(seed)
    return (g.standard_normal((*batch, t, d_k)), g.standard_normal((*batch, s, d_k)),
            g.standard_normal((*batch, s, d_v)))


@pytest.mark.parametrize("training,p", [(False, 0.3), (True, 0.0)])
def test_no_dropout_matches_sdpa(training, p):
    q, k, v = _inputs(0, (2, 3), 5, 7, 8, 4)
    out, w = attention_with_dropout(q, k, v, p, np.random.default_rng(0), training=training)
    expected = F.scaled_dot_product_attention(*(torch.from_numpy(a) for a in (q, k, v))).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-13)


@pytest.mark.parametrize("p,seed", [(0.1, 1), (0.3, 2), (0.6, 3)])
def test_dropout_matches_sdpa_with_the_same_mask(p, seed):
    q, k, v = _inputs(seed, (2,), 6, 9, 8, 5)
    tq, tk, tv = (torch.from_numpy(a) for a in (q, k, v))
    eye = torch.eye(9, dtype=torch.float64).expand(2, 9, 9)
    torch.manual_seed(seed)
    torch_weights = F.scaled_dot_product_attention(tq, tk, eye, dropout_p=p).numpy()  # v = I: out is A~
    torch.manual_seed(seed)
    torch_out = F.scaled_dot_product_attention(tq, tk, tv, dropout_p=p).numpy()  # the same mask again
    kept = torch_weights != 0
    assert 0 < kept.mean() < 1
    out, w = attention_with_dropout(q, k, v, p, _ReplayMask(kept), training=True)
    np.testing.assert_allclose(w, torch_weights, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out, torch_out, rtol=1e-12, atol=1e-13)


def test_kept_scale_and_fraction_match_torch_dropout():
    """On many weights, the reference and torch's F.dropout zero about p of them and scale the
    rest by the same 1 / (1 - p)."""
    p = 0.25
    q, k, v = _inputs(4, (200,), 8, 8, 4, 4)
    _, w = attention_with_dropout(q, k, v, p, np.random.default_rng(5))
    _, w0 = attention_with_dropout(q, k, v, p, None, training=False)
    torch_w = F.dropout(torch.from_numpy(w0), p=p, training=True).numpy()
    for got in (w, torch_w):
        assert abs((got == 0).mean() - p) < 0.01
        np.testing.assert_allclose(got[got != 0], w0[got != 0] / (1 - p), rtol=1e-12)
