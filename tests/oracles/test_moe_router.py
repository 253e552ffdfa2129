"""The moe-router reference against torch (torch.topk, torch.softmax, a torch MoE loop) and
hand-worked numbers: tie order checked by hand (torch.topk promises no order among equal values),
Switch's loss (Fedus et al., 2021, eq. 4-6) on cases worked on paper."""
import numpy as np
import pytest

from tfprep.content.reference_impls.moe_router import load_balancing_loss, moe_forward, top_k_route

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("N,D,E,k", [(16, 8, 4, 2), (9, 6, 8, 3), (12, 5, 6, 1), (7, 4, 5, 5)])
def test_route_matches_torch_topk_softmax(N, D, E, k):
    g = np.random.default_rng(0)
    x, w = g.standard_normal((N, D)), g.standard_normal((D, E))
    logits = torch.from_numpy(x) @ torch.from_numpy(w)
    vals, idx = torch.topk(logits, k, dim=-1, largest=True, sorted=True)
    experts, weights = top_k_route(x, w, k)
    np.testing.assert_array_equal(experts, idx.numpy())
    np.testing.assert_allclose(weights, torch.softmax(vals, dim=-1).numpy(), rtol=1e-12, atol=1e-14)
    # Mixtral's form: softmax over all experts, top-k, renormalised: the same numbers
    p = torch.softmax(logits, dim=-1)
    pk, _ = torch.topk(p, k, dim=-1)
    np.testing.assert_allclose(weights, (pk / pk.sum(-1, keepdim=True)).numpy(), rtol=1e-12, atol=1e-14)


def test_ties_by_hand():
    """Exact ties: the lower index wins, and the order is best first."""
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    w = np.array([[2.0, 1.0, 0.0, 1.0], [0.0, 1.0, 3.0, 1.0]])  # logits [[2,1,0,1],[0,1,3,1],[2,2,3,2]]
    experts, weights = top_k_route(x, w, 2)
    np.testing.assert_array_equal(experts, [[0, 1], [2, 1], [2, 0]])
    a, b = np.exp(1) / (1 + np.exp(1)), np.exp(2) / (1 + np.exp(2))
    np.testing.assert_allclose(weights, [[a, 1 - a], [b, 1 - b], [a, 1 - a]], rtol=1e-14)
    e3, _ = top_k_route(x, w, 4)
    np.testing.assert_array_equal(e3, [[0, 1, 3, 2], [2, 1, 3, 0], [2, 0, 1, 3]])
    # torch.topk picks the same set of values (its order among ties is unspecified)
    vals, _ = torch.topk(torch.from_numpy(x @ w), 2, dim=-1)
    np.testing.assert_array_equal(np.take_along_axis(x @ w, experts, -1), vals.numpy())


def test_loss_hand_worked():
    z = np.array([[2.0, 1.0, 0.0, 1.0], [0.0, 1.0, 3.0, 1.0], [2.0, 2.0, 3.0, 2.0]])
    experts = np.array([[0, 1], [2, 1], [2, 0]])
    P = torch.softmax(torch.from_numpy(z), dim=-1).mean(0).numpy()
    assert load_balancing_loss(z, experts, 4) == pytest.approx(4 * (P[0] + P[1] + P[2]) / 3, rel=1e-14)
    assert load_balancing_loss(z, experts, 4) == pytest.approx(1.1227, abs=5e-5)  # the statement's number
    assert load_balancing_loss(np.zeros((4, 4)), np.array([[0, 1], [2, 3], [1, 0], [3, 2]]), 4) == pytest.approx(1.0)
    r = np.tile([50.0, 0.0, 0.0], (5, 1))
    assert load_balancing_loss(r, np.zeros((5, 1), dtype=int), 3) == pytest.approx(3.0, rel=1e-12)


def test_loss_matches_torch_switch_formula():
    g = np.random.default_rng(1)
    r = g.standard_normal((2, 10, 6)) * 2
    experts = np.argsort(-r, axis=-1, kind="stable")[..., :2]
    rt = torch.from_numpy(r).reshape(-1, 6)
    onehot = torch.nn.functional.one_hot(torch.from_numpy(experts).reshape(-1), 6).double()
    f, P = onehot.mean(0), torch.softmax(rt, dim=-1).mean(0)
    assert load_balancing_loss(r, experts, 6) == pytest.approx(float(6 * (f * P).sum()), rel=1e-13)


def test_forward_matches_torch_moe_loop():
    g = np.random.default_rng(2)
    N, D, E, k = 13, 6, 5, 2
    x, w = g.standard_normal((N, D)), g.standard_normal((D, E))
    As, bs = g.standard_normal((E, D, D)), g.standard_normal((E, D))
    experts = [lambda h, A=A, b=b: np.tanh(h @ A + b) for A, b in zip(As, bs)]
    xt = torch.from_numpy(x)
    vals, idx = torch.topk(xt @ torch.from_numpy(w), k, dim=-1)
    gates = torch.softmax(vals, dim=-1)
    y = torch.zeros(N, D, dtype=torch.float64)
    for t in range(N):
        for j in range(k):
            e = int(idx[t, j])
            y[t] += gates[t, j] * torch.tanh(xt[t] @ torch.from_numpy(As[e]) + torch.from_numpy(bs[e]))
    np.testing.assert_allclose(moe_forward(x, w, experts, k), y.numpy(), rtol=1e-12, atol=1e-13)
