"""The selective-scan reference against two outside formulations:

- the recurrence of Mamba's Algorithm 2 written as plain Python loops over scalars (math.exp, no
  NumPy in the loop), independently of the reference's vectorised step;
- torch's "unrolled" form of the same linear recurrence (the SSM as a masked matrix, as in
  Mamba-2's SSD view): y_t = sum_{s<=t} (C_t . (prod_{r=s+1..t} A_bar_r) B_bar_s) x_s + D x_t,
  with the products formed as exp of differences of cumulative sums of delta * A.
"""
import math

import numpy as np
import pytest

from tfprep.content.reference_impls.selective_scan import selective_scan


def make(seed, batch, L, D, N):
    g = np.random.default_rng(seed)
    x = g.standard_normal((batch, L, D))
    delta = np.logaddexp(0.0, g.standard_normal((batch, L, D)))
    A = -np.exp(0.7 * g.standard_normal((D, N)))
    B, C = g.standard_normal((batch, L, N)), g.standard_normal((batch, L, N))
    return x, delta, A, B, C, g.standard_normal(D)


def python_loops(x, delta, A, B, C, D):
    batch, L, nd = x.shape
    n_state = A.shape[1]
    y = [[[0.0] * nd for _ in range(L)] for _ in range(batch)]
    for b in range(batch):
        for d in range(nd):
            h = [0.0] * n_state
            for t in range(L):
                dt, u = float(delta[b, t, d]), float(x[b, t, d])
                acc = 0.0
                for n in range(n_state):
                    h[n] = math.exp(dt * float(A[d, n])) * h[n] + dt * float(B[b, t, n]) * u
                    acc += float(C[b, t, n]) * h[n]
                y[b][t][d] = acc + float(D[d]) * u
    return np.array(y)


@pytest.mark.parametrize("seed,batch,L,D,N", [(0, 2, 9, 3, 4), (1, 1, 1, 2, 2), (2, 3, 14, 1, 5), (3, 2, 6, 4, 1)])
def test_matches_python_loops(seed, batch, L, D, N):
    args = make(seed, batch, L, D, N)
    np.testing.assert_allclose(selective_scan(*args), python_loops(*args), rtol=1e-12, atol=1e-12)


def test_unbatched_matches_python_loops():
    x, delta, A, B, C, D = make(4, 1, 11, 3, 4)
    np.testing.assert_allclose(selective_scan(x[0], delta[0], A, B[0], C[0], D), python_loops(x, delta, A, B, C, D)[0],
                               rtol=1e-12, atol=1e-12)


def torch_unrolled(x, delta, A, B, C, D):
    torch = pytest.importorskip("torch")
    x, delta, A, B, C, D = (torch.from_numpy(a) for a in (x, delta, A, B, C, D))
    L = x.shape[1]
    log_a = torch.cumsum(delta[..., None] * A, dim=1)  # (B, L, D, N): sum_{r<=t} delta_r A
    decay = torch.exp(log_a[:, :, None] - log_a[:, None, :])  # (B, t, s, D, N): prod_{r=s+1..t} A_bar_r
    causal = torch.tril(torch.ones(L, L, dtype=torch.bool))[None, :, :, None, None]
    decay = torch.where(causal, decay, torch.zeros(()))
    k = torch.einsum("btn,btsdn,bsn,bsd->btsd", C, decay, B, delta)  # kernel from step s to step t
    return (torch.einsum("btsd,bsd->btd", k, x) + D * x).numpy()


@pytest.mark.parametrize("seed,batch,L,D,N", [(5, 2, 10, 3, 4), (6, 1, 1, 2, 3), (7, 3, 17, 2, 6)])
def test_matches_torch_unrolled(seed, batch, L, D, N):
    pytest.importorskip("torch")
    args = make(seed, batch, L, D, N)
    np.testing.assert_allclose(selective_scan(*args), torch_unrolled(*args), rtol=1e-10, atol=1e-11)


def test_worked_example():
    """The statement's example, by hand."""
    x, delta, A = np.array([[1.0], [2.0]]), np.array([[0.5], [1.0]]), np.array([[-1.0]])
    B, C, D = np.array([[1.0], [2.0]]), np.array([[1.0], [0.5]]), np.array([0.5])
    h1 = math.exp(-1.0) * 0.5 + 4.0
    np.testing.assert_allclose(selective_scan(x, delta, A, B, C, D), [[1.0], [0.5 * h1 + 1.0]], rtol=1e-14)
    assert abs(0.5 * h1 + 1.0 - 3.0920) < 1e-4
