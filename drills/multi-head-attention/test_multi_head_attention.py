"""Hidden suite for the `multi-head-attention` drill. Never copied into the learner's workspace."""
import numpy as np
import pytest

from tfprep.content.reference_impls.attention import scaled_dot_product_attention as sdpa
from tfprep.content.reference_impls.multi_head_attention import merge_heads, split_heads
from tfprep.content.reference_impls.multi_head_attention import multi_head_attention as reference
from tfprep.grading import checks as C

FN = "multi_head_attention"


# --- known bugs: what each classic mistake would return on the same inputs -----------------

def _split_no_transpose(x, n_heads):
    B, T, D = x.shape
    return x.reshape(B, n_heads, T, D // n_heads)  # tokens and heads mixed


def _mha(x, w_q, w_k, w_v, w_o, n_heads, mask=None, context=None, *, split=split_heads,
         merge=merge_heads, scale_width=None, use_w_o=True, use_context=True):
    """The reference with one knob turned: each bug below is one knob."""
    c = x if context is None or not use_context else context
    q, k, v = split(x @ w_q, n_heads), split(c @ w_k, n_heads), split(c @ w_v, n_heads)
    if scale_width is not None:  # sdpa divides by sqrt(dh); rescale q to divide by sqrt(width)
        q = q * np.sqrt(q.shape[-1] / scale_width)
    out = merge(sdpa(q, k, v, mask)[0])
    return out @ w_o if use_w_o else out


def bug_no_transpose(*a, **kw):
    """Split by reshape only; merged back either by reshape or by a proper transpose."""
    B, T = a[0].shape[:2]
    return [_mha(*a, **kw, split=_split_no_transpose, merge=lambda h: h.reshape(B, T, -1)),
            _mha(*a, **kw, split=_split_no_transpose)]


def bug_merge_no_transpose(*a, **kw):
    """Split right, merged back by reshaping (B, H, T, dh) straight to (B, T, d_model)."""
    B, T = a[0].shape[:2]
    return [_mha(*a, **kw, merge=lambda h: h.reshape(B, T, -1))]


def bug_sqrt_d_model(*a, **kw):
    return [_mha(*a, **kw, scale_width=a[0].shape[-1])]


def bug_no_w_o(*a, **kw):
    return [_mha(*a, **kw, use_w_o=False)]


def bug_head_order(*a, **kw):
    """Heads concatenated last-to-first, or laid out as (dh, H) instead of (H, dh)."""
    B, T = a[0].shape[:2]
    return [_mha(*a, **kw, merge=lambda h: merge_heads(h[:, ::-1])),
            _mha(*a, **kw, merge=lambda h: h.transpose(0, 2, 3, 1).reshape(B, T, -1))]


def bug_context_ignored(*a, **kw):
    return [_mha(*a, **kw, use_context=False)]


BUGS = {
    "reshape (B,T,H,dh)->(B,H,T,dh) without a transpose (tokens and heads mixed)": bug_no_transpose,
    "heads merged by reshape (B,H,T,dh)->(B,T,d_model) without transposing back": bug_merge_no_transpose,
    "scores scaled by sqrt(d_model) instead of sqrt(dh)": bug_sqrt_d_model,
    "output projection w_o forgotten": bug_no_w_o,
    "heads concatenated in the wrong order": bug_head_order,
    "context ignored (keys/values taken from x in cross-attention)": bug_context_ignored,
}




def known_bugs(got, args, kwargs):
    """Lazily computed known-bug outputs for the diagnosis."""
    return {label: (lambda f=f: C.nearest(got, f(*args, **kwargs))) for label, f in BUGS.items()}


# --- cases ----------------------------------------------------------------------------------

def make(seed, B, T, D, scale=2.0, dtype=np.float64, S=None):
    """x and weights; scale 2 makes scores O(4) so a wrong scale changes the weights a lot."""
    g = C.rng(seed)
    x = C.randn(g, B, T, D, scale=scale, dtype=dtype)
    ws = [C.randn(g, D, D, scale=1 / np.sqrt(D), dtype=dtype) for _ in range(4)]
    context = None if S is None else C.randn(g, B, S, D, scale=scale, dtype=dtype)
    return x, ws, context


def call(sub, x, ws, n_heads, mask=None, context=None):
    return sub.fn(FN)(x, *ws, n_heads, mask=mask, context=context)


def run_case(sub, x, ws, n_heads, mask=None, context=None, rtol=1e-4, atol=1e-5):
    f64 = lambda a: None if a is None else a.astype(np.float64)  # noqa: E731
    args = (f64(x), *[f64(w) for w in ws], n_heads)
    kwargs = {"mask": mask, "context": f64(context)}
    expected = reference(*args, **kwargs)
    got = call(sub, x, ws, n_heads, mask, context)
    case = C.describe(x=x, n_heads=n_heads, mask=mask, context=context)
    C.expect_close(got, expected, what="out", case=case, rtol=rtol, atol=atol,
                   bugs=known_bugs(got, args, kwargs))
    return got


@pytest.mark.parametrize("seed,B,T,D,H", [
    (0, 1, 5, 8, 2),
    (1, 2, 7, 12, 3),
    (2, 3, 4, 16, 4),
    (3, 2, 6, 12, 1),
    (4, 2, 3, 6, 6),
])
def test_matches_reference_float64(sub, seed, B, T, D, H):
    """Self-attention output matches the reference (float64)"""
    x, ws, _ = make(seed, B, T, D)
    run_case(sub, x, ws, H)


def test_matches_reference_float32(sub):
    """Self-attention output matches the reference (float32 inputs)"""
    x, ws, _ = make(5, 2, 6, 16, dtype=np.float32)
    run_case(sub, x, ws, 4, rtol=2e-3, atol=2e-4)


def test_causal_mask_broadcasts(sub):
    """A (T, T) causal mask broadcasts over batch and heads"""
    x, ws, _ = make(6, 2, 7, 12)
    run_case(sub, x, ws, 3, mask=np.tril(np.ones((7, 7), dtype=bool)))


def test_full_and_padding_masks(sub):
    """A (B, H, T, S) mask and a (B, 1, 1, S) key-padding mask are respected"""
    x, ws, _ = make(7, 2, 5, 8)
    g = C.rng(107)
    mask = g.random((2, 2, 5, 5)) < 0.5
    mask[..., 0] = True  # every row keeps at least one key
    run_case(sub, x, ws, 2, mask=mask)
    padding = np.ones((2, 1, 1, 5), dtype=bool)
    padding[0, ..., 3:] = False
    run_case(sub, x, ws, 2, mask=padding)


@pytest.mark.parametrize("seed,B,T,S,D,H,masked", [
    (8, 2, 4, 9, 12, 3, False),
    (9, 1, 6, 3, 8, 2, False),
    (10, 2, 5, 7, 16, 4, True),
])
def test_cross_attention(sub, seed, B, T, S, D, H, masked):
    """Cross-attention: keys and values come from `context` of another length S"""
    x, ws, context = make(seed, B, T, D, S=S)
    mask = None
    if masked:
        mask = C.rng(seed + 100).random((T, S)) < 0.6
        mask[:, 0] = True
    run_case(sub, x, ws, H, mask=mask, context=context)


def test_context_is_used(sub):
    """Changing `context` changes the cross-attention output"""
    x, ws, context = make(11, 2, 4, 8, S=6)
    fn_out = C.as_array(call(sub, x, ws, 2, context=context), "out")
    other = context + C.randn(C.rng(111), *context.shape, scale=2.0)
    out_other = C.as_array(call(sub, x, ws, 2, context=other), "out")
    C.expect(np.abs(out_other - fn_out).max() > 1e-3,
             "replacing `context` by other values did not change the output: keys and values "
             "must be projections of `context` when it is given.",
             bug="context ignored (keys/values taken from x in cross-attention)")


def test_permutation_equivariance(sub):
    """Without a mask, permuting the tokens of x permutes the output the same way"""
    x, ws, _ = make(12, 2, 6, 12)
    perm = C.rng(112).permutation(6)
    out = C.as_array(call(sub, x, ws, 3), "out")
    xp = x[:, perm]
    out_perm = call(sub, xp, ws, 3)
    C.expect_close(out_perm, out[:, perm], what="out for permuted tokens",
                   case="the same tokens in another order (self-attention is permutation-equivariant)",
                   bugs=known_bugs(out_perm, (xp, *ws, 3), {}))


def test_causality(sub):
    """With a causal mask, changing a later token never changes an earlier output"""
    x, ws, _ = make(13, 2, 6, 8)
    mask = np.tril(np.ones((6, 6), dtype=bool))
    out = C.as_array(call(sub, x, ws, 2, mask=mask), "out")
    x2 = x.copy()
    x2[:, 4:] += 5.0
    out2 = C.as_array(call(sub, x2, ws, 2, mask=mask), "out")
    C.expect_close(out2[:, :4], out[:, :4], what="outputs of tokens 0..3",
                   case="tokens 4, 5 changed under a causal mask (an earlier token may not see them)",
                   bugs={label: (lambda b=b: b()[:, :4])
                         for label, b in known_bugs(out2, (x2, *ws, 2), {"mask": mask}).items()})


def test_large_activations(sub):
    """Scores of order 1000 give finite, correct results (stable softmax)"""
    x, ws, _ = make(14, 2, 5, 8, scale=25.0)
    run_case(sub, x, ws, 2)
