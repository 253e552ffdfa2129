"""Hidden suite for the `selective-scan` drill. Never copied into the learner's workspace."""
import numpy as np
import pytest

from tfprep.content.reference_impls.selective_scan import selective_scan as reference
from tfprep.grading import checks as C

FN = "selective_scan"


# --- known bugs: the recurrence with one classic mistake switched on --------------------------

def _softplus(z):
    return np.logaddexp(0.0, z)


def _scan(x, delta, A, B, C_, D, *, a_bar="zoh", b_bar="euler", carry=True, reset_per_sequence=True,
          read_before_update=False, skip=True, softplus=False, swap_bc=False):
    """The plain recurrence, one sequence and one time step at a time, with switches for the bugs."""
    if x.ndim == 2:
        return _scan(x[None], delta[None], A, B[None], C_[None], D, a_bar=a_bar, b_bar=b_bar, carry=carry,
                     reset_per_sequence=reset_per_sequence, read_before_update=read_before_update, skip=skip,
                     softplus=softplus, swap_bc=swap_bc)[0]
    if swap_bc:
        B, C_ = C_, B
    if softplus:
        delta = _softplus(delta)
    y = np.empty(x.shape)
    h = np.zeros(A.shape)  # (D, N)
    with np.errstate(all="ignore"):
        for b in range(x.shape[0]):
            if reset_per_sequence:
                h = np.zeros(A.shape)
            for t in range(x.shape[1]):
                dt = delta[b, t][:, None]  # (D, 1)
                A_bar = {"zoh": np.exp(dt * A), "euler": 1.0 + dt * A, "no_delta": np.exp(A),
                         "negated": np.exp(-dt * A)}[a_bar]
                B_bar = {"euler": dt * B[b, t][None, :], "zoh": (np.exp(dt * A) - 1.0) / A * B[b, t][None, :],
                         "no_delta": np.broadcast_to(B[b, t][None, :], A.shape)}[b_bar]
                h_new = A_bar * h + B_bar * x[b, t][:, None] if carry else B_bar * x[b, t][:, None]
                y[b, t] = (h if read_before_update else h_new) @ C_[b, t]
                h = h_new
    return y + D * x if skip else y


def _variant(**flags):
    return lambda x, delta, A, B, C_, D: _scan(x, delta, A, B, C_, D, **flags)


def bug_expanded_state(x, delta, A, B, C_, D):
    """Right values, through the (B, L, D, N) arrays of Mamba's selective_scan_ref."""
    return _scan(x, delta, A, B, C_, D)


EXPANDED = "expanded (B, L, D, N) array materialised (keep only the running (B, D, N) state)"
BUGS = {
    "discretisation wrong: A_bar = 1 + delta*A (Euler) instead of exp(delta*A) (zero-order hold)":
        _variant(a_bar="euler"),
    "discretisation wrong: A_bar = exp(A), delta missing": _variant(a_bar="no_delta"),
    "discretisation wrong: A_bar = exp(-delta*A), sign flipped (A is already negative)": _variant(a_bar="negated"),
    "discretisation wrong: zero-order hold used for B too (the statement asks for B_bar = delta*B)":
        _variant(b_bar="zoh"),
    "discretisation wrong: B_bar = B, delta missing from the input term": _variant(b_bar="no_delta"),
    "softplus applied to delta (delta is to be used as given)": _variant(softplus=True),
    "state not carried (h_t = B_bar x_t, the A_bar h_{t-1} term is lost)": _variant(carry=False),
    "state carried over from one sequence of the batch to the next (h must start at 0 for each)":
        _variant(reset_per_sequence=False),
    "y_t read from the previous state h_{t-1} (use h_t, after the update)": _variant(read_before_update=True),
    "skip term D * x missing": _variant(skip=False),
    "B and C swapped (B writes into the state, C reads it out)": _variant(swap_bc=True),
}


def known_bugs(*args):
    """Lazily computed outputs of the bugs that change values, for the diagnosis."""
    return {label: (lambda f=f: f(*args)) for label, f in BUGS.items()}


def make(seed, batch, L, D, N, dtype=np.float64, delta_scale=1.0):
    """Mamba-like inputs: A = -exp(.) < 0, delta = softplus(.) > 0 (already positive, used as given)."""
    g = C.rng(seed)
    lead = (batch,) if batch else ()
    x = C.randn(g, *lead, L, D, scale=1.5)
    delta = delta_scale * _softplus(C.randn(g, *lead, L, D))
    A = -np.exp(C.randn(g, D, N, scale=0.7))
    B = C.randn(g, *lead, L, N)
    C_ = C.randn(g, *lead, L, N)
    D_ = C.randn(g, D)
    return tuple(a.astype(dtype) for a in (x, delta, A, B, C_, D_))


def describe(x, delta, A, B, C_, D):
    return C.describe(x=x, delta=delta, A=A, B=B, C=C_, D=D)


def run_case(sub, args, rtol=1e-4, atol=1e-5):
    args64 = tuple(a.astype(np.float64) for a in args)
    expected = reference(*args64)
    y = sub.fn(FN)(*args)
    C.expect_close(y, expected, what="y", case=describe(*args), rtol=rtol, atol=atol, bugs=known_bugs(*args64),
                   nan_causes="exp(delta*A) overflowing (A is negative, delta positive: the exponent must be "
                              "<= 0), or output that was never written")
    return C.as_array(y, "y")


# (batch, L, D, N): L = 1, D = N = 1, N > D and N < D, batch 1.
@pytest.mark.parametrize("seed,batch,L,D,N", [(0, 2, 7, 3, 4), (1, 1, 12, 5, 2), (2, 3, 5, 4, 8), (3, 2, 1, 3, 3),
                                              (4, 2, 9, 1, 1)])
def test_matches_reference(sub, seed, batch, L, D, N):
    """y matches the reference recurrence (float64, batched)"""
    run_case(sub, make(seed, batch, L, D, N))


@pytest.mark.parametrize("seed,L,D,N", [(5, 10, 4, 3), (6, 1, 2, 5)])
def test_unbatched(sub, seed, L, D, N):
    """Unbatched inputs: x, delta (L, D), B, C (L, N) give y (L, D)"""
    run_case(sub, make(seed, 0, L, D, N))


def test_float32(sub):
    """y matches the reference on float32 inputs"""
    run_case(sub, make(7, 2, 16, 4, 6, dtype=np.float32), rtol=2e-3, atol=2e-4)


def test_large_steps(sub):
    """Large delta: exp(delta*A) underflows to 0 (the state forgets) without NaN or inf"""
    run_case(sub, make(8, 2, 8, 3, 4, delta_scale=400.0))


def test_future_inputs_ignored(sub):
    """Causal: changing x, delta, B, C after step t leaves y[:, :t+1] unchanged"""
    x, delta, A, B, C_, D = make(9, 2, 12, 3, 4)
    fn = sub.fn(FN)
    y = C.as_array(fn(x, delta, A, B, C_, D), "y")
    C.expect(y.shape == x.shape, f"`y` has shape {y.shape}, expected {x.shape} (the shape of x).")
    t = 5
    x2, delta2, B2, C2 = x.copy(), delta.copy(), B.copy(), C_.copy()
    x2[:, t + 1:] += 3.0
    delta2[:, t + 1:] *= 2.0
    B2[:, t + 1:] -= 1.0
    C2[:, t + 1:] += 1.0
    y2 = C.as_array(fn(x2, delta2, A, B2, C2, D), "y")
    C.expect(np.allclose(y2[:, :t + 1], y[:, :t + 1], rtol=1e-6, atol=1e-8, equal_nan=True),
             f"y[:, 0..{t}] changed when only the inputs after step {t} changed: y_t may depend on steps 0..t only.",
             C.matching_bug(y, known_bugs(x, delta, A, B, C_, D), 1e-4, 1e-5))


def test_sequences_independent(sub):
    """Each sequence of the batch is scanned on its own: y[b] equals the unbatched scan of sequence b"""
    x, delta, A, B, C_, D = make(10, 3, 6, 3, 4)
    fn = sub.fn(FN)
    y = C.as_array(fn(x, delta, A, B, C_, D), "y")
    C.expect(y.shape == x.shape, f"`y` has shape {y.shape}, expected {x.shape} (the shape of x).")
    bug = C.matching_bug(y, known_bugs(x, delta, A, B, C_, D), 1e-4, 1e-5)
    for b in range(3):
        alone = C.as_array(fn(x[b], delta[b], A, B[b], C_[b], D), f"y of sequence {b} alone")
        C.expect(alone.shape == x[b].shape, f"unbatched: `y` has shape {alone.shape}, expected {x[b].shape}.")
        C.expect(np.allclose(y[b], alone, rtol=1e-6, atol=1e-8),
                 f"y[{b}] of the batched call differs from the scan of sequence {b} alone "
                 f"(max abs difference {np.abs(y[b] - alone).max():.3g}): every sequence starts from h = 0 and "
                 "never sees the others.", bug)


def test_no_expanded_state(sub):
    """B = 2, L = 4096, D = 32, N = 32: exact, and no (B, L, D, N) array (64 MB) is held"""
    batch, L, D, N = 2, 4096, 32, 32
    args = make(11, batch, L, D, N)
    expected = reference(*args)
    fn = sub.fn(FN)
    with C.peak_memory() as mem:
        y = fn(*args)  # the guarded call copies the inputs inside the block
    expanded = batch * L * D * N * 8
    bld, bln = batch * L * D * 8, batch * L * N * 8
    # inputs (copied) + output + a generous allowance of (B, L, D)-sized temporaries (chunked scans
    # with small chunks fit); even a float32 (B, L, D, N) array does not.
    budget = 2 * bld + 2 * bln + bld + 10 * max(bld, bln)
    # Named only when the peak could hold a (B, L, D, N) array (float32 or wider); a chunked scan
    # with large chunks goes over the budget without materialising one.
    C.expect(mem["peak"] <= budget,
             f"peak memory during the call was {C.fmt_bytes(mem['peak'])} for B={batch}, L={L}, D={D}, N={N} "
             f"(resident memory grew by {C.fmt_bytes(mem['rss'])}, measured as {mem['how']}; tracemalloc saw "
             f"{C.fmt_bytes(mem['traced'])}); the budget is {C.fmt_bytes(budget)} (one (B, L, D, N) float64 array "
             f"is {C.fmt_bytes(expanded)}). Loop over the sequence and keep only the (B, D, N) state h; compute "
             "A_bar and B_bar for one step at a time (or for a few steps: a short chunk).",
             EXPANDED if mem["peak"] >= expanded // 2 else None)
    C.expect_close(y, expected, what="y", case=describe(*args))
