"""Hidden suite for the `transformer-block` drill. Never copied into the learner's workspace."""
import numpy as np
import pytest

from tfprep.content.reference_impls.causal_mask import causal_mask
from tfprep.content.reference_impls.feed_forward import gelu
from tfprep.content.reference_impls.layer_norm import layer_norm
from tfprep.content.reference_impls.multi_head_attention import multi_head_attention
from tfprep.content.reference_impls.transformer_block import pre_ln_block as reference
from tfprep.grading import checks as C

FN = "pre_ln_block"
POST_LN = "post-LN order (LayerNorm applied after the residual add)"
RESIDUAL = "a residual connection missing"
CAUSAL = "causal flag ignored"
GELU = "GELU wrong (the exact erf form is required, not the tanh approximation)"


# --- known bugs: the block with one piece changed ------------------------------------------

def _block(x, p, n_heads, causal=True, *, post_ln=False, res_attn=True, res_mlp=True, act=gelu):
    mask = causal_mask(x.shape[-2]) if causal else None
    ln1 = lambda z: layer_norm(z, p["ln1_g"], p["ln1_b"])  # noqa: E731
    ln2 = lambda z: layer_norm(z, p["ln2_g"], p["ln2_b"])  # noqa: E731
    attn = lambda z: multi_head_attention(z, p["w_q"], p["w_k"], p["w_v"], p["w_o"], n_heads, mask=mask)  # noqa: E731
    mlp = lambda z: act(z @ p["w_1"] + p["b_1"]) @ p["w_2"] + p["b_2"]  # noqa: E731
    if post_ln:  # the original Transformer: LN(x + Sublayer(x))
        h = ln1(x + attn(x))
        return ln2(h + mlp(h))
    h = res_attn * x + attn(ln1(x))
    return res_mlp * h + mlp(ln2(h))


def bug_post_ln(x, p, n_heads, causal=True):
    return [_block(x, p, n_heads, causal, post_ln=True)]


def bug_residual(x, p, n_heads, causal=True):
    return [_block(x, p, n_heads, causal, res_attn=False), _block(x, p, n_heads, causal, res_mlp=False),
            _block(x, p, n_heads, causal, res_attn=False, res_mlp=False)]


def bug_causal_ignored(x, p, n_heads, causal=True):
    return [reference(x, p, n_heads, causal=not causal)]


def bug_gelu(x, p, n_heads, causal=True):
    return [_block(x, p, n_heads, causal, act=lambda z: gelu(z, approximate=True)),
            _block(x, p, n_heads, causal, act=lambda z: z / (1 + np.exp(-1.702 * z))),
            _block(x, p, n_heads, causal, act=lambda z: np.maximum(z, 0.0))]


BUGS = {POST_LN: bug_post_ln, RESIDUAL: bug_residual, CAUSAL: bug_causal_ignored, GELU: bug_gelu}




def known_bugs(got, x, p, n_heads, causal, sl=slice(None)):
    """Lazily computed known-bug outputs (restricted to tokens `sl`) for the diagnosis."""
    def value(f):
        return C.nearest(got, [c[:, sl] for c in f(x, p, n_heads, causal)])
    return {label: (lambda f=f: value(f)) for label, f in BUGS.items()}


# --- cases ----------------------------------------------------------------------------------

def make(seed, B, T, D, F, scale=2.0, dtype=np.float64):
    """x with a per-token offset (so LayerNorm visibly changes it) and weights large enough
    that every sublayer, and the GELU's exact shape, show in the output."""
    g = C.rng(seed)
    r = lambda *s, scale=1.0: C.randn(g, *s, scale=scale, dtype=dtype)  # noqa: E731
    x = r(1, 1, D, scale=scale) + r(B, T, D, scale=scale)
    p = {"ln1_g": 1 + r(D, scale=0.2), "ln1_b": r(D, scale=0.2),
         "ln2_g": 1 + r(D, scale=0.2), "ln2_b": r(D, scale=0.2),
         "w_q": r(D, D, scale=2 / np.sqrt(D)), "w_k": r(D, D, scale=2 / np.sqrt(D)),
         "w_v": r(D, D, scale=1 / np.sqrt(D)), "w_o": r(D, D, scale=1 / np.sqrt(D)),
         "w_1": r(D, F, scale=1.5 / np.sqrt(D)), "b_1": r(F, scale=0.5),
         "w_2": r(F, D, scale=2 / np.sqrt(F)), "b_2": r(D, scale=0.2)}
    return x, p


def f64(x, p):
    return x.astype(np.float64), {k: v.astype(np.float64) for k, v in p.items()}


def run_case(sub, x, p, n_heads, causal, rtol=1e-4, atol=1e-5):
    x64, p64 = f64(x, p)
    got = sub.fn(FN)(x, p, n_heads, causal=causal)
    C.expect_close(got, reference(x64, p64, n_heads, causal=causal), what="out",
                   case=C.describe(x=x, n_heads=n_heads, d_ff=p["w_1"].shape[1], causal=causal),
                   rtol=rtol, atol=atol, bugs=known_bugs(got, x64, p64, n_heads, causal))


@pytest.mark.parametrize("seed,B,T,D,H,F,causal", [
    (0, 2, 5, 16, 4, 64, True),
    (1, 1, 7, 12, 3, 48, True),
    (2, 3, 4, 8, 2, 32, False),
    (3, 2, 6, 16, 1, 32, True),
    (4, 2, 3, 12, 6, 24, False),
])
def test_matches_reference_float64(sub, seed, B, T, D, H, F, causal):
    """Output matches the reference (float64)"""
    run_case(sub, *make(seed, B, T, D, F), H, causal)


def test_matches_reference_float32(sub):
    """Output matches the reference (float32 inputs)"""
    run_case(sub, *make(5, 2, 6, 16, 64, dtype=np.float32), 4, True, rtol=2e-3, atol=2e-4)


def test_identity_when_sublayers_are_zero(sub):
    """With w_o, w_2 and b_2 zero both sublayers add nothing: the block returns x"""
    x, p = make(6, 2, 5, 12, 48)
    for name in ("w_o", "w_2", "b_2"):
        p[name] = np.zeros_like(p[name])
    got = sub.fn(FN)(x, p, 3, causal=True)
    C.expect_close(got, x, what="out", case="zero w_o, w_2, b_2 (pre-LN keeps the residual stream as is)",
                   bugs=known_bugs(got, x, p, 3, True))


def test_token_shift_passes_through(sub):
    """Adding a constant to all features of a token adds it to that token's output"""
    x, p = make(7, 2, 5, 12, 48)
    c = np.array([3.0, -2.0, 0.5, 7.0, -4.0])[None, :, None]  # one constant per token
    fn = sub.fn(FN)
    out = C.as_array(fn(x, p, 3, causal=True), "out")
    out_shifted = fn(x + c, p, 3, causal=True)
    # LayerNorm removes a per-token constant, so in pre-LN only the residual stream carries it.
    C.expect_close(C.as_array(out_shifted, "out") - c, out, what="out(x + c) - c",
                   case="x shifted by a constant per token (LN ignores it; the residual stream keeps it)",
                   bugs={label: (lambda b=b: b() - c)
                         for label, b in known_bugs(out_shifted, x + c, p, 3, True).items()})


def test_causal_block_ignores_future(sub):
    """With causal=True, changing later tokens never changes earlier outputs"""
    x, p = make(8, 2, 6, 12, 48)
    fn = sub.fn(FN)
    out = C.as_array(fn(x, p, 3, causal=True), "out")
    x2 = x.copy()
    x2[:, 4:] += C.randn(C.rng(108), 2, 2, 12, scale=3.0)
    out2 = C.as_array(fn(x2, p, 3, causal=True), "out")
    C.expect_close(out2[:, :4], out[:, :4], what="outputs of tokens 0..3",
                   case="tokens 4, 5 changed with causal=True (an earlier token may not see them)",
                   bugs=known_bugs(out2[:, :4], x2, p, 3, True, sl=slice(0, 4)))


def test_non_causal_block_sees_future(sub):
    """With causal=False, the first token's output depends on the last token"""
    x, p = make(9, 2, 6, 12, 48)
    fn = sub.fn(FN)
    out = C.as_array(fn(x, p, 3, causal=False), "out")
    x2 = x.copy()
    x2[:, -1] += C.randn(C.rng(109), 2, 12, scale=3.0)
    out2 = C.as_array(fn(x2, p, 3, causal=False), "out")
    C.expect(np.abs(out2[:, 0] - out[:, 0]).max() > 1e-3,
             "with causal=False, changing the last token did not change the first token's output: "
             "a causal mask was applied anyway.", CAUSAL)
