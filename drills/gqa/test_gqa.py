"""Hidden suite for the `gqa` drill. Never copied into the learner's workspace."""
import numpy as np
import pytest

from tfprep.content.reference_impls.attention import scaled_dot_product_attention as sdpa
from tfprep.content.reference_impls.gqa import grouped_query_attention as reference
from tfprep.grading import checks as C

FN = "grouped_query_attention"
INTERLEAVED = "interleaved grouping (kv head h % Hkv) instead of consecutive (h // (Hq // Hkv))"
EDGE = "MQA/MHA edge case broken (Hkv = 1 or Hkv = Hq)"


# --- known bugs: what each classic mistake would return on the same inputs -----------------

def bug_interleaved(q, k, v, mask=None):
    G = q.shape[1] // k.shape[1]
    return sdpa(q, np.tile(k, (1, G, 1, 1)), np.tile(v, (1, G, 1, 1)), mask)[0]


def bug_divide_by_hkv(q, k, v, mask=None):
    """kv head h // Hkv: right only when Hq == Hkv**2 (e.g. 4 and 2); in MHA every head
    reads kv head 0, in MQA the index runs out of range."""
    idx = np.arange(q.shape[1]) // k.shape[1]
    return sdpa(q, k[:, idx], v[:, idx], mask)[0]


BUGS = {INTERLEAVED: bug_interleaved, EDGE: bug_divide_by_hkv}


def known_bugs(q, k, v, mask):
    """Lazily computed known-bug outputs for the diagnosis (the edge-case bug only where
    Hkv is 1 or Hq: elsewhere the same code is simply a wrong grouping)."""
    edge = k.shape[1] in (1, q.shape[1])
    return {label: (lambda f=f: f(q, k, v, mask)) for label, f in BUGS.items() if edge or label != EDGE}


# --- cases ----------------------------------------------------------------------------------

def make(seed, B, Hq, Hkv, T, S, d, dv, scale=2.0, dtype=np.float64):
    """Scale 2 makes scores O(4): a wrong kv head or a wrong scale changes the output a lot."""
    g = C.rng(seed)
    return (C.randn(g, B, Hq, T, d, scale=scale, dtype=dtype), C.randn(g, B, Hkv, S, d, scale=scale, dtype=dtype),
            C.randn(g, B, Hkv, S, dv, scale=scale, dtype=dtype))


def run_case(sub, q, k, v, mask=None, rtol=1e-4, atol=1e-5):
    f64 = [a.astype(np.float64) for a in (q, k, v)]
    expected = reference(*f64, mask)
    got = sub.fn(FN)(q, k, v, mask=mask)
    C.expect_close(got, expected, what="out", case=C.describe(q=q, k=k, v=v, mask=mask),
                   rtol=rtol, atol=atol, bugs=known_bugs(*f64, mask))


def run_edge_case(sub, q, k, v, mask=None):
    """An edge case; if it fails for no known reason but a real grouping works, say so."""
    try:
        run_case(sub, q, k, v, mask)
    except C.CheckFailed as exc:
        if exc.bug is None and _general_case_ok(sub):
            C.fail(f"{exc.message}\nThe same code is right for Hq=4, Hkv=2.", EDGE)
        raise


def _general_case_ok(sub):
    try:
        run_case(sub, *make(99, 2, 4, 2, 3, 5, 8, 8))
    except C.CheckFailed:
        return False
    return True


@pytest.mark.parametrize("seed,B,Hq,Hkv,T,S,d,dv", [
    (0, 2, 4, 2, 5, 5, 8, 8),
    (1, 1, 6, 2, 4, 7, 8, 4),
    (2, 2, 8, 2, 3, 6, 16, 16),
    (3, 2, 6, 3, 5, 5, 4, 6),
    (4, 1, 12, 4, 2, 9, 8, 8),
])
def test_matches_reference_float64(sub, seed, B, Hq, Hkv, T, S, d, dv):
    """Output matches the reference for a real grouping 1 < Hkv < Hq (float64)"""
    run_case(sub, *make(seed, B, Hq, Hkv, T, S, d, dv))


def test_matches_reference_float32(sub):
    """Output matches the reference (float32 inputs)"""
    run_case(sub, *make(5, 2, 8, 4, 6, 6, 16, 8, dtype=np.float32), rtol=2e-3, atol=2e-4)


@pytest.mark.parametrize("Hq,causal", [(4, False), (6, True)])
def test_mqa(sub, Hq, causal):
    """Multi-query attention (Hkv = 1): every query head uses the single kv head"""
    mask = np.tril(np.ones((5, 5), dtype=bool)) if causal else None
    run_edge_case(sub, *make(10 + Hq, 2, Hq, 1, 5, 5, 8, 8), mask=mask)


@pytest.mark.parametrize("H,causal", [(3, False), (4, True)])
def test_mha(sub, H, causal):
    """Ordinary multi-head attention (Hkv = Hq): head h uses kv head h"""
    mask = np.tril(np.ones((5, 5), dtype=bool)) if causal else None
    run_edge_case(sub, *make(20 + H, 2, H, H, 5, 5, 8, 4), mask=mask)


def test_causal_mask_broadcasts(sub):
    """A (T, T) causal mask broadcasts over batch and heads"""
    run_case(sub, *make(30, 2, 6, 2, 7, 7, 8, 8), mask=np.tril(np.ones((7, 7), dtype=bool)))


def test_full_mask(sub):
    """A per-query-head (B, Hq, T, S) mask is respected"""
    q, k, v = make(31, 2, 4, 2, 5, 6, 8, 8)
    mask = C.rng(131).random((2, 4, 5, 6)) < 0.5
    mask[..., 0] = True  # every row keeps at least one key
    run_case(sub, q, k, v, mask)


def test_group_shares_kv(sub):
    """Query heads 0 and 1 of one group, given the same queries, give the same output"""
    q, k, v = make(32, 2, 4, 2, 5, 6, 8, 8)
    q[:, 1] = q[:, 0]
    out = C.as_array(sub.fn(FN)(q, k, v), "out")
    C.expect(out.shape == (2, 4, 5, 8), f"out has shape {out.shape}, expected (2, 4, 5, 8).",
             C.matching_bug(out, known_bugs(q, k, v, None), 1e-4, 1e-5))
    C.expect_close(out[:, 1], out[:, 0], what="out of query head 1",
                   case="query heads 0 and 1 (group 0 when Hq=4, Hkv=2) given identical queries",
                   bugs={label: (lambda b=b: b()[:, 1]) for label, b in known_bugs(q, k, v, None).items()})


def test_hostile_magnitudes(sub):
    """Scores around +-1000 give finite, correct results (stable softmax)"""
    q, k, v = make(33, 2, 4, 2, 4, 6, 4, 4, scale=1.0)
    run_case(sub, q * 40.0, k * 40.0, v)
