"""Hidden suite for the `kv-cache` drill. Never copied into the learner's workspace."""
import numpy as np
import pytest

from tfprep.content.reference_impls.attention import scaled_dot_product_attention as sdpa
from tfprep.content.reference_impls.causal_mask import causal_mask
from tfprep.content.reference_impls.kv_cache import attend_step as reference
from tfprep.content.reference_impls.multi_head_attention import merge_heads, split_heads
from tfprep.content.reference_impls.multi_head_attention import multi_head_attention as full_mha
from tfprep.grading import checks as C

FN = "attend_step"
NOT_APPENDED = "cache not appended (the returned cache must hold every token so far)"
FUTURE = "positions attend to the future (no causal mask inside a multi-token chunk)"
WRONG_AXIS = "cache grown on the wrong axis (time is axis 2 of (B, H, t, dh))"
TOP_LEFT = "causal mask aligned top-left (new tokens must see the whole cache)"
NO_SCALE = "missing 1/sqrt(dh) scaling of the scores"


# --- known bugs: each is a whole (wrong) attend_step; several code paths may share a label --

def _step(x_t, cache, w_q, w_k, w_v, w_o, H, *, use_cache=True, keep="all", mask="bottom-right",
          scaled=True):
    q, k, v = (split_heads(x_t @ w, H) for w in (w_q, w_k, w_v))  # (B, H, n, dh)
    if not scaled:  # sdpa divides by sqrt(dh): undo it on q
        q = q * np.sqrt(q.shape[-1])
    k_new, v_new = k, v
    if cache is not None and use_cache:
        k, v = np.concatenate([cache["k"], k], axis=2), np.concatenate([cache["v"], v], axis=2)
    n, S = q.shape[2], k.shape[2]
    m = {"bottom-right": causal_mask(n, S), "none": None, "top-left": np.tril(np.ones((n, S), bool))}[mask]
    out = merge_heads(sdpa(q, k, v, m)[0]) @ w_o
    if keep == "new":  # only this call's keys/values returned
        return out, {"k": k_new, "v": v_new}
    if keep == "first" and cache is not None:  # the cache given is returned unchanged
        return out, cache
    return out, {"k": k, "v": v}


def _time_major(x_t, cache, *w):
    """Cache kept as (B, t, H, dh): the time axis is 1 instead of 2 (attention itself right)."""
    inner = None if cache is None else {n: a.transpose(0, 2, 1, 3) for n, a in cache.items()}
    out, c = reference(x_t, inner, *w)
    return out, {n: a.transpose(0, 2, 1, 3) for n, a in c.items()}


BUGS = {
    NOT_APPENDED: [lambda *a: _step(*a, keep="new"), lambda *a: _step(*a, keep="first"),
                   lambda *a: _step(*a, use_cache=False, keep="new")],
    FUTURE: [lambda *a: _step(*a, mask="none")],
    WRONG_AXIS: [_time_major],
    TOP_LEFT: [lambda *a: _step(*a, mask="top-left")],
    NO_SCALE: [lambda *a: _step(*a, scaled=False)],
}


def _roll(step, chunks, ws, H, cache=None):
    """Feed the chunks in order through `step`; returns [(out, cache)] after each."""
    trace = []
    for x in chunks:
        out, cache = step(x, cache, *ws, H)
        trace.append((out, cache))
    return trace




def known_bugs(got, chunks, ws, H, pick, cache=None):
    """Lazily: what each bug returns after the last of `chunks`; pick(out, cache) selects
    the value compared (the output, or a cache entry)."""
    def value(variants):
        return C.nearest(got, [pick(*_roll(f, chunks, ws, H, cache)[-1]) for f in variants])
    return {label: (lambda fs=fs: value(fs)) for label, fs in BUGS.items()}


# --- calling the learner --------------------------------------------------------------------

def step(sub, x_t, cache, ws, H):
    """One learner call; a concatenation error on a well-formed cache names the wrong axis."""
    try:
        out, new_cache = C.unpack(sub.fn(FN)(x_t, cache, *ws, H), 2, FN)
    except C.CheckFailed as exc:
        if exc.bug is None and cache is not None and _concatenates_on_wrong_axis(sub):
            C.fail(exc.message, WRONG_AXIS)
        raise
    C.expect(isinstance(new_cache, dict) and "k" in new_cache and "v" in new_cache,
             f"the returned cache is a {type(new_cache).__name__}; expected a dict with keys 'k' and 'v'.")
    return out, new_cache


def _concatenates_on_wrong_axis(sub):
    """Hand the learner a (B, H, t, dh) = (2, 3, 5, 4) cache, all sizes distinct: appending
    (2, 3, 1, 4) on any axis but 2 makes numpy complain about the concatenation axis."""
    x, ws = make(999, 2, 6, 12)
    _, cache = reference(x[:, :5], None, *ws, 3)
    try:
        sub.fn(FN)(x[:, 5:], cache, *ws, 3)
    except C.CheckFailed as exc:
        return "concatenation axis" in exc.message
    return False


def make(seed, B, T, D, scale=2.0, dtype=np.float64):
    """A sequence and weights; scale 2 makes scores O(4), so a wrong key set shows."""
    g = C.rng(seed)
    x = C.randn(g, B, T, D, scale=scale, dtype=dtype)
    return x, [C.randn(g, D, D, scale=1 / np.sqrt(D), dtype=dtype) for _ in range(4)]


def run_sequence(sub, x, ws, H, sizes, rtol=1e-4, atol=1e-5):
    """Feed x in chunks of the given sizes; every chunk's output must equal the matching rows
    of full causal attention over the whole sequence, and the final cache the reference's."""
    x64, ws64 = x.astype(np.float64), [w.astype(np.float64) for w in ws]
    T = x.shape[1]
    full = full_mha(x64, *ws64, H, mask=causal_mask(T))  # (B, T, D): the ground truth
    bounds = np.cumsum([0, *sizes])
    assert bounds[-1] == T
    chunks = [x[:, a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    chunks64 = [c.astype(np.float64) for c in chunks]
    cache = None
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        out, cache = step(sub, chunks[i], cache, ws, H)
        tokens = f"token {a}" if b - a == 1 else f"tokens {a}..{b - 1}"
        case = (f"call {i + 1} ({tokens} of {T}, "
                f"{'no cache' if i == 0 else f'cache of {a} tokens'}), x {tuple(x.shape)} {x.dtype}, n_heads={H}")
        C.expect_close(out, full[:, a:b], what="out_t", case=case, rtol=rtol, atol=atol,
                       bugs=known_bugs(out, chunks64[:i + 1], ws64, H, lambda o, c: o))
    check_cache(cache, reference_cache(chunks64, ws64, H), chunks64, ws64, H, rtol, atol)


def reference_cache(chunks, ws, H):
    return _roll(reference, chunks, ws, H)[-1][1]


def check_cache(cache, ref, chunks, ws, H, rtol=1e-4, atol=1e-5):
    T = sum(c.shape[1] for c in chunks)
    for name in ("k", "v"):
        C.expect_close(cache[name], ref[name], what=f'cache["{name}"]',
                       case=f"the cache after {len(chunks)} call(s) covering {T} tokens (layout (B, H, t, dh))",
                       rtol=rtol, atol=atol,
                       bugs=known_bugs(cache[name], chunks, ws, H, lambda o, c, name=name: c[name]))


# --- tests ----------------------------------------------------------------------------------

def test_first_step(sub):
    """The first call (cache None) attends to the token itself and starts the cache"""
    x, ws = make(0, 2, 1, 12)
    out, cache = step(sub, x, None, ws, 3)
    ref_out, ref_cache = reference(x, None, *ws, 3)
    C.expect_close(out, ref_out, what="out_t", case="a single token and no cache")
    check_cache(cache, ref_cache, [x], ws, 3)


@pytest.mark.parametrize("seed,B,T,D,H", [
    (1, 2, 7, 12, 3),
    (2, 1, 5, 8, 2),
    (3, 3, 6, 16, 4),
])
def test_decode_equals_full_attention(sub, seed, B, T, D, H):
    """Decoding one token at a time equals full causal attention, step by step"""
    x, ws = make(seed, B, T, D)
    run_sequence(sub, x, ws, H, [1] * T)


def test_decode_float32(sub):
    """Decoding in float32 equals full causal attention"""
    x, ws = make(4, 2, 6, 12, dtype=np.float32)
    run_sequence(sub, x, ws, 3, [1] * 6, rtol=2e-3, atol=2e-4)


def test_prefill_then_decode(sub):
    """A 5-token prompt chunk, then 3 single tokens, equal full causal attention"""
    x, ws = make(5, 2, 8, 12)
    run_sequence(sub, x, ws, 3, [5, 1, 1, 1])


def test_chunk_after_cache(sub):
    """A chunk of 3 tokens after a cached prefix: each sees the cache and earlier new tokens"""
    x, ws = make(6, 2, 9, 8)
    run_sequence(sub, x, ws, 2, [4, 3, 1, 1])


def test_appends_to_given_cache(sub):
    """A cache of shape (B, H, t, dh) built by the grader is extended on its time axis"""
    x, ws = make(7, 2, 6, 12)
    _, cache = reference(x[:, :5], None, *ws, 3)  # (2, 3, 5, 4): every axis a different size
    out, new_cache = step(sub, x[:, 5:], cache, ws, 3)
    full = full_mha(x, *ws, 3, mask=causal_mask(6))
    C.expect_close(out, full[:, 5:], what="out_t", case="token 5 after a given 5-token cache",
                   bugs=known_bugs(out, [x[:, 5:]], ws, 3, lambda o, c: o, cache=cache))
    ref_cache = reference(x[:, 5:], cache, *ws, 3)[1]
    for name in ("k", "v"):
        C.expect_close(new_cache[name], ref_cache[name], what=f'cache["{name}"]',
                       case="the cache after appending 1 token to a given (2, 3, 5, 4) cache",
                       bugs=known_bugs(new_cache[name], [x[:, 5:]], ws, 3,
                                       lambda o, c, name=name: c[name], cache=cache))


def test_chunk_is_causal(sub):
    """Inside a prompt chunk, changing a later token never changes an earlier output"""
    x, ws = make(8, 2, 6, 12)
    out = C.as_array(step(sub, x, None, ws, 3)[0], "out_t")
    x2 = x.copy()
    x2[:, 4:] += 5.0
    out2 = step(sub, x2, None, ws, 3)[0]
    C.expect_close(C.as_array(out2, "out_t")[:, :4], out[:, :4], what="outputs of tokens 0..3",
                   case="tokens 4, 5 of a 6-token chunk changed (an earlier token may not see them)",
                   bugs={label: (lambda b=b: b()[:, :4])
                         for label, b in known_bugs(out2, [x2], ws, 3, lambda o, c: o).items()})
