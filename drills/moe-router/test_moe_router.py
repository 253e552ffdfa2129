"""Hidden suite for the `moe-router` drill. Never copied into the learner's workspace.

The experts handed to `moe_forward` are built here: each is tanh(h @ A_e + b_e), a nonlinear
map with a bias, so weighting an expert's input is told apart from weighting its output. Ties
are exact: integer-valued x and w_gate give integer logits, and duplicated gate columns give
two experts the very same logit for every token.
"""
import numpy as np
import pytest

from tfprep.content.reference_impls.moe_router import load_balancing_loss as reference_loss
from tfprep.content.reference_impls.moe_router import moe_forward as reference_forward
from tfprep.content.reference_impls.moe_router import top_k_route as reference_route
from tfprep.grading import checks as C

ROUTE, LOSS, FORWARD = "top_k_route", "load_balancing_loss", "moe_forward"


def softmax(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --- known bugs: routing ---------------------------------------------------------------------

def _route(logits, experts):
    return experts, softmax(np.take_along_axis(logits, experts, axis=-1))


def bug_not_renormalised(x, w_gate, k):
    logits = x @ w_gate
    experts = np.argsort(-logits, axis=-1, kind="stable")[..., :k]
    return experts, np.take_along_axis(softmax(logits), experts, axis=-1)


def bug_ties_high(x, w_gate, k):
    """`argsort(logits)[..., ::-1]` (stable or numpy's default sort), or the default sort of -logits:
    NumPy's default sort is not stable, so equal logits come out in no promised order."""
    logits = x @ w_gate
    return [_route(logits, np.argsort(logits, axis=-1, kind="stable")[..., ::-1][..., :k]),
            _route(logits, np.argsort(logits, axis=-1)[..., ::-1][..., :k]),
            _route(logits, np.argsort(-logits, axis=-1)[..., :k])]


def bug_not_best_first(x, w_gate, k):
    """Two ways: `np.argsort(logits)[..., -k:]` (ascending, worst first) and np.argpartition."""
    logits = x @ w_gate
    ascending = np.argsort(logits, axis=-1, kind="stable")[..., -k:]
    part = np.argpartition(-logits, k - 1, axis=-1)[..., :k] if k < logits.shape[-1] else ascending
    return [_route(logits, ascending), _route(logits, part)]


def bug_raw_logits(x, w_gate, k):
    logits = x @ w_gate
    experts = np.argsort(-logits, axis=-1, kind="stable")[..., :k]
    return experts, np.take_along_axis(logits, experts, axis=-1)


def bug_no_max_subtraction(x, w_gate, k):
    logits = x @ w_gate
    experts = np.argsort(-logits, axis=-1, kind="stable")[..., :k]
    with np.errstate(all="ignore"):
        e = np.exp(np.take_along_axis(logits, experts, axis=-1))
        return experts, e / e.sum(axis=-1, keepdims=True)


NOT_RENORM = "softmax over all experts then not renormalised (the k weights must be a softmax over the chosen logits)"
TIES = ("ties not broken toward the lower expert index (argsort(...)[..., ::-1] puts the higher index first, and "
        "NumPy's default sort is not stable: use kind='stable' on -logits)")
NOT_BEST_FIRST = "top-k not returned best-first (np.argsort(...)[..., -k:] is ascending; argpartition is unordered)"
ROUTE_BUGS = {
    NOT_RENORM: bug_not_renormalised,
    TIES: bug_ties_high,
    NOT_BEST_FIRST: bug_not_best_first,
    "gate weights are the raw logits (no softmax)": bug_raw_logits,
    "no max-subtraction in the gate softmax (overflow)": bug_no_max_subtraction,
}


def route_bugs(x, w_gate, k, index, got):
    def value(f):
        out = f(x, w_gate, k)
        return C.nearest(got, [o[index] for o in out]) if isinstance(out, list) else out[index]
    return {label: (lambda f=f: value(f)) for label, f in ROUTE_BUGS.items()}


# --- known bugs: the load-balancing loss -----------------------------------------------------

def _f_P(router_logits, experts, E):
    slots = np.asarray(experts).reshape(-1)
    return np.bincount(slots, minlength=E) / slots.size, softmax(router_logits.reshape(-1, E)).mean(axis=0)


def loss_no_factor(r, ex, E):
    f, P = _f_P(r, ex, E)
    return np.sum(f * P)


def loss_per_token(r, ex, E):
    f, P = _f_P(r, ex, E)
    return E * np.sum(f * np.asarray(ex).shape[-1] * P)


def loss_p_from_logits(r, ex, E):
    f, _ = _f_P(r, ex, E)
    return E * np.sum(f * r.reshape(-1, E).mean(axis=0))


def loss_p_from_gates(r, ex, E):
    """P_i from the renormalised top-k gate weights, scattered into E slots (0 where not chosen)."""
    rf = r.reshape(-1, E)
    exf = np.asarray(ex).reshape(rf.shape[0], -1)
    g = np.zeros_like(rf)
    np.put_along_axis(g, exf, softmax(np.take_along_axis(rf, exf, axis=-1)), axis=-1)
    f, _ = _f_P(r, ex, E)
    return E * np.sum(f * g.mean(axis=0))


def loss_experts_ignored(r, ex, E):
    k = np.asarray(ex).shape[-1]
    f, P = _f_P(r, np.argsort(-r, axis=-1, kind="stable")[..., :k], E)
    return [E * np.sum(f * P), E * np.sum(_f_P(r, np.argmax(r, axis=-1), E)[0] * P)]


LOSS_BUGS = {
    "load-balancing loss missing the n_experts factor (or a mean over experts in place of the sum)": loss_no_factor,
    "f_i = tokens routed to i / N instead of / (N * k) (f must sum to 1 over the experts)": loss_per_token,
    "P_i from the raw logits instead of the router probabilities softmax(logits)": loss_p_from_logits,
    "P_i from the top-k gate weights instead of the full softmax over all experts": loss_p_from_gates,
    "f_i not counted over all N * k slots of `experts` (from the top-1 choice only, or recomputed from the logits)":
        loss_experts_ignored,
}


def loss_bugs(r, ex, E, got):
    def value(f):
        out = f(r, ex, E)
        return C.nearest(got, out) if isinstance(out, list) else out
    return {label: (lambda f=f: value(f)) for label, f in LOSS_BUGS.items()}


# --- known bugs: the forward pass ------------------------------------------------------------

def _mix(x, experts, idx, gates):
    """sum_j gates[..., j] * experts[idx[..., j]](x), token by token, with the suite's own experts."""
    xf = x.reshape(-1, x.shape[-1])  # (N, D)
    idx, gates = idx.reshape(xf.shape[0], -1), gates.reshape(xf.shape[0], -1)  # (N, k)
    outs = np.stack([f(xf) for f in experts], axis=1)  # (N, E, D)
    y = np.einsum("nk,nkd->nd", gates, np.take_along_axis(outs, idx[..., None], axis=1))
    return y.reshape(x.shape)


def fwd_not_renormalised(x, w, experts, k):
    return _mix(x, experts, *bug_not_renormalised(x, w, k))


def fwd_ties(x, w, experts, k):
    return [_mix(x, experts, *r) for r in bug_ties_high(x, w, k)]


def fwd_top1(x, w, experts, k):
    idx, g = reference_route_plain(x, w, k)
    return [_mix(x, experts, idx[..., :1], np.ones_like(g[..., :1])), _mix(x, experts, idx[..., :1], g[..., :1])]


def fwd_input_weighted(x, w, experts, k):
    idx, g = reference_route_plain(x, w, k)
    D = x.shape[-1]
    xf, idxf, gf = x.reshape(-1, D), idx.reshape(-1, k), g.reshape(-1, k)
    y = np.zeros_like(xf, dtype=np.float64)
    for j in range(k):
        for e, f in enumerate(experts):
            sel = idxf[:, j] == e
            if sel.any():
                y[sel] += f(gf[sel, j, None] * xf[sel])
    return y.reshape(x.shape)


def fwd_unweighted(x, w, experts, k):
    idx, g = reference_route_plain(x, w, k)
    return [_mix(x, experts, idx, np.ones_like(g)), _mix(x, experts, idx, np.full_like(g, 1.0 / k))]


def fwd_dense(x, w, experts, k):
    E = w.shape[1]
    idx = np.broadcast_to(np.arange(E), x.shape[:-1] + (E,))
    return _mix(x, experts, idx, softmax(x @ w))


def reference_route_plain(x, w, k):
    """The right routing, written here (the reference is swapped out while a submission runs,
    and these run outside it anyway; kept separate so the bug emulations read on their own)."""
    logits = x @ w
    return _route(logits, np.argsort(-logits, axis=-1, kind="stable")[..., :k])


FWD_BUGS = {
    NOT_RENORM: fwd_not_renormalised,
    TIES: fwd_ties,
    "only the best expert used (k ignored)": fwd_top1,
    "gate weight applied to the expert's input (expert(g * x)) instead of its output (g * expert(x))":
        fwd_input_weighted,
    "chosen experts' outputs summed (or averaged) without the gate weights": fwd_unweighted,
    "every expert mixed with the full softmax (dense), not only the top-k": fwd_dense,
}


def fwd_bugs(x, w, experts, k, got):
    def value(f):
        out = f(x, w, experts, k)
        return C.nearest(got, out) if isinstance(out, list) else out
    return {label: (lambda f=f: value(f)) for label, f in FWD_BUGS.items()}


# --- cases ----------------------------------------------------------------------------------

def make(seed, lead, D, E, scale=1.0, dtype=np.float64):
    g = C.rng(seed)
    return C.randn(g, *lead, D, scale=scale, dtype=dtype), C.randn(g, D, E, scale=scale, dtype=dtype)


def make_ties(seed, lead, D, E):
    """Integer-valued x and w_gate (exact logits, many ties); columns E-2, E-1 copy columns 0, 1."""
    g = C.rng(seed)
    x = g.integers(-2, 3, size=(*lead, D)).astype(np.float64)
    w = g.integers(-2, 3, size=(D, E)).astype(np.float64)
    w[:, E - 2:] = w[:, :2]
    return x, w


def make_experts(seed, E, D):
    """E experts tanh(h @ A_e + b_e): (n, D) -> (n, D), row by row (a single (D,) token works too),
    and a one-item list counting the rows they process (to tell a sparse forward from a dense one)."""
    g = C.rng(seed)
    rows = [0]

    def expert_fn(A, b):
        def expert(h):
            h = np.asarray(h)
            rows[0] += h.shape[0] if h.ndim > 1 else 1
            return np.tanh(h @ A + b)
        return expert
    return [expert_fn(C.randn(g, D, D, scale=0.8), C.randn(g, D, scale=0.5)) for _ in range(E)], rows


def check_experts(got, expected, x, w, k, case):
    arr = C.as_array(got, "experts")
    bugs = route_bugs(x, w, k, 0, arr)
    if arr.shape != expected.shape:
        C.fail(f"`experts` has shape {arr.shape}, expected {expected.shape} (one row of k = {k} expert indices per "
               f"token) for {case}.", C.matching_bug(arr, bugs, 0, 0))
    C.expect(arr.dtype.kind in "iu", f"`experts` has dtype {arr.dtype}; expected integer expert indices.")
    if not np.array_equal(arr, expected):
        bad = tuple(int(i) for i in np.argwhere(arr != expected)[0][:-1])
        logits = np.round((x @ w)[bad], 4)
        C.fail(f"`experts` differs from the reference for {case}: token {bad} has logits {logits.tolist()}, "
               f"expected experts {expected[bad].tolist()} (the k largest, best first, ties to the lower index), "
               f"got {arr[bad].tolist()}.", C.matching_bug(arr, bugs, 0, 0))


def run_route(sub, x, w, k, rtol=1e-4, atol=1e-5):
    e_ref, w_ref = reference_route(x.astype(np.float64), w.astype(np.float64), k)
    got_e, got_w = C.unpack(sub.fn(ROUTE)(x, w, k), 2, ROUTE)
    case = C.describe(x=x, w_gate=w, k=k)
    check_experts(got_e, e_ref, x, w, k, case)
    C.expect_close(got_w, w_ref, what="weights", case=case, rtol=rtol, atol=atol,
                   bugs=route_bugs(x.astype(np.float64), w.astype(np.float64), k, 1, got_w))
    return got_e, got_w


@pytest.mark.parametrize("seed,lead,D,E,k", [
    (0, (10,), 8, 4, 2),
    (1, (2, 7), 6, 8, 2),
    (2, (13,), 5, 6, 3),
    (3, (3, 5), 8, 8, 1),
    (4, (9,), 4, 5, 5),  # k = E: every expert, best first
])
def test_route_matches_reference(sub, seed, lead, D, E, k):
    """top_k_route: experts (best first) and weights match the reference (float64, batch dims, k = 1..E)"""
    run_route(sub, *make(seed, lead, D, E, scale=1.5), k)


def test_route_float32(sub):
    """top_k_route on float32 inputs"""
    run_route(sub, *make(5, (12,), 8, 6, dtype=np.float32), 2, rtol=2e-3, atol=2e-4)


@pytest.mark.parametrize("seed,k", [(6, 2), (7, 3)])
def test_route_exact_ties(sub, seed, k):
    """Exactly equal logits go to the lower expert index, and the experts come best first"""
    run_route(sub, *make_ties(seed, (16,), 5, 7), k)


def test_route_weights_sum_to_one(sub):
    """The k gate weights of every token are positive and sum to 1 (softmax over the chosen logits)"""
    x, w = make(8, (4, 6), 6, 8, scale=1.5)
    got_e, got_w = C.unpack(sub.fn(ROUTE)(x, w, 2), 2, ROUTE)
    wt = C.as_array(got_w, "weights")
    bug = C.matching_bug(wt, route_bugs(x, w, 2, 1, wt), 1e-4, 1e-5)
    C.expect(wt.shape == (4, 6, 2), f"weights has shape {wt.shape}, expected (4, 6, 2).", bug)
    sums = wt.sum(axis=-1)
    C.expect(np.allclose(sums, 1.0, atol=1e-6) and (wt > 0).all(),
             f"the k = 2 weights of a token sum to {sums.min():.4g}..{sums.max():.4g}, not 1: Mixtral's gate is a "
             "softmax over the k chosen logits (a softmax over all experts must be renormalised over the chosen).",
             bug)
    C.expect(np.all(np.diff(wt, axis=-1) <= 1e-12), "the weights are not in decreasing order: experts (and their "
             "weights) must come best first.", bug)


@pytest.mark.parametrize("offset", [1000.0, -1000.0])
def test_route_hostile_logits(sub, offset):
    """Logits around +-1000 give finite, correct weights (stable softmax)"""
    x, w = make(9, (8,), 4, 6, scale=2.0)
    x[:, 0], w[0] = 1.0, offset  # logits = offset + a spread of a few units
    run_route(sub, x, w, 3)


def test_route_k1_weight_one(sub):
    """With k = 1 the single gate weight is 1 (a softmax over one logit)"""
    run_route(sub, *make(10, (7,), 5, 4, scale=1.5), 1)


# --- the load-balancing loss -----------------------------------------------------------------

def run_loss(sub, r, ex, E, rtol=1e-6, atol=1e-9):
    expected = reference_loss(r, ex, E)
    got = sub.fn(LOSS)(r, ex, E)
    arr = C.as_array(got, "load_balancing_loss")
    C.expect(arr.size == 1, f"`load_balancing_loss` returned an array of shape {arr.shape}; expected one number.")
    C.expect_close(arr.reshape(()), expected, what="load_balancing_loss", case=C.describe(router_logits=r, experts=ex,
                   n_experts=E), rtol=rtol, atol=atol, bugs=loss_bugs(r, ex, E, arr.reshape(())))


@pytest.mark.parametrize("seed,lead,E,k", [(11, (32,), 4, 2), (12, (4, 9), 8, 2), (13, (40,), 6, 1),
                                           (14, (2, 3, 5), 5, 3)])
def test_loss_matches_reference(sub, seed, lead, E, k):
    """load_balancing_loss matches Switch's E * sum_i f_i P_i (experts = the top-k of the logits)"""
    r = C.randn(C.rng(seed), *lead, E, scale=2.0)
    run_loss(sub, r, np.argsort(-r, axis=-1, kind="stable")[..., :k], E)


def test_loss_uses_given_experts(sub):
    """f_i is counted from the `experts` passed in (here a fixed assignment that is not the top-k)"""
    g = C.rng(15)
    r = C.randn(g, 24, 6, scale=2.0)
    ex = np.stack([g.permutation(6)[:2] for _ in range(24)])  # two distinct experts per token
    run_loss(sub, r, ex, 6)


def test_loss_hand_worked(sub):
    """Hand-worked values: balanced routing with uniform probabilities gives 1; total collapse gives E"""
    fn = sub.fn(LOSS)
    ex = np.array([[0, 1], [2, 3], [1, 0], [3, 2]])
    got = float(C.as_array(fn(np.zeros((4, 4)), ex, 4), "load_balancing_loss"))
    C.expect(abs(got - 1.0) < 1e-9, f"4 tokens, 4 experts, uniform router probabilities, every expert in 2 of "
             f"the 8 token-slots: f_i = P_i = 1/4, so the loss is 4 * 4 * (1/4 * 1/4) = 1; got {got:.6g}.",
             C.matching_bug(got, loss_bugs(np.zeros((4, 4)), ex, 4, got), 1e-6, 1e-9))
    r = np.tile([50.0, 0.0, 0.0], (5, 1))  # every token sends (almost) all probability to expert 0
    ex1 = np.zeros((5, 1), dtype=int)
    got = float(C.as_array(fn(r, ex1, 3), "load_balancing_loss"))
    want = reference_loss(r, ex1, 3)  # 3 * (1 * P_0), P_0 = 1 - 2e-22
    C.expect(abs(got - want) < 1e-9, f"every token routed to expert 0 with probability ~1 (k = 1, 3 experts): "
             f"f_0 = P_0 = 1, so the loss is n_experts = 3; got {got:.6g}.",
             C.matching_bug(got, loss_bugs(r, ex1, 3, got), 1e-6, 1e-9))


def test_loss_hostile_logits(sub):
    """Router logits around +-1000 give a finite, correct loss"""
    r = C.randn(C.rng(16), 20, 5, scale=1000.0)
    run_loss(sub, r, np.argsort(-r, axis=-1, kind="stable")[..., :2], 5)


# --- the forward pass ------------------------------------------------------------------------

def run_forward(sub, x, w, k, seed, rtol=1e-4, atol=1e-5):
    E, D = w.shape[1], x.shape[-1]
    experts, counter = make_experts(seed, E, D)
    expected = reference_forward(x.astype(np.float64), w.astype(np.float64), experts, k)
    counter[0] = 0
    got = sub.fn(FORWARD)(x, w, experts, k)
    rows, n_tokens = counter[0], int(np.prod(x.shape[:-1]))
    C.expect_close(got, expected, what="moe_forward(x, w_gate, experts, k)",
                   case=C.describe(x=x, w_gate=w, k=k) + f", {E} experts", rtol=rtol, atol=atol,
                   bugs=fwd_bugs(x.astype(np.float64), w.astype(np.float64), experts, k, got))
    if rows > n_tokens * k and k < E:
        C.note(f"moe_forward ran the experts on {rows} rows for {n_tokens} tokens with k = {k} of {E} experts: "
               f"a sparse MoE runs each expert only on the tokens routed to it ({n_tokens * k} rows), which is what "
               "makes it cheaper than a dense layer of the same size.")
    return got


@pytest.mark.parametrize("seed,lead,D,E,k", [(20, (11,), 6, 4, 2), (21, (2, 5), 8, 6, 2), (22, (9,), 5, 8, 3)])
def test_forward_matches_reference(sub, seed, lead, D, E, k):
    """moe_forward = sum over the k chosen experts of gate weight * expert(x) (float64, batch dims)"""
    x, w = make(seed, lead, D, E, scale=1.5)
    run_forward(sub, x, w, k, seed)


def test_forward_float32(sub):
    """moe_forward on float32 inputs"""
    x, w = make(23, (10,), 6, 5, dtype=np.float32)
    run_forward(sub, x, w, 2, 23, rtol=2e-3, atol=2e-4)


def test_forward_exact_ties(sub):
    """moe_forward with exactly tied logits uses the lower-index experts"""
    x, w = make_ties(24, (14,), 5, 6)
    run_forward(sub, x * 0.5, w, 2, 24)


def test_forward_k1_is_the_chosen_expert(sub):
    """With k = 1 each token's output is exactly its best expert's output (gate weight 1)"""
    x, w = make(25, (8,), 6, 5, scale=1.5)
    run_forward(sub, x, w, 1, 25)


def test_forward_agrees_with_own_routing(sub):
    """moe_forward equals the weighted sum of the chosen experts' outputs, by your own top_k_route"""
    x, w = make(26, (3, 4), 6, 6, scale=1.5)
    idx, gates = C.unpack(sub.fn(ROUTE)(x, w, 2), 2, ROUTE)
    idx, gates = C.as_array(idx, "experts").astype(np.int64), C.as_array(gates, "weights")
    experts, _ = make_experts(26, 6, 6)
    if idx.shape != (3, 4, 2) or gates.shape != (3, 4, 2) or idx.min() < 0 or idx.max() >= 6:
        C.fail(f"top_k_route returned experts {idx.shape} and weights {gates.shape}; expected (3, 4, 2) each, with "
               "indices in 0..5 (checked on its own above).")
    mixed = _mix(x, experts, idx, gates)
    got = sub.fn(FORWARD)(x, w, experts, 2)
    C.expect_close(got, mixed, what="moe_forward(x, w_gate, experts, 2)",
                   case="the sum of weights[j] * experts[experts_idx[j]](x) from your top_k_route", rtol=1e-6,
                   atol=1e-8, bugs=fwd_bugs(x, w, experts, 2, got))
