"""The speculative-decoding reference against the papers' worked rule (a scripted generator shows
exactly which acceptance threshold and which residual it uses), against the theorem (the first
token follows the target), and against an independent torch re-derivation of Hugging Face's
vectorised `_speculative_sampling` (torch.rand for the acceptances, torch.multinomial for the last
token), compared by the frequencies of (number accepted, last token)."""
import numpy as np
import pytest

from tfprep.content.reference_impls.speculative_decoding import speculative_accept


class _Scripted:
    """random() returns the next scripted uniform; choice() records its distribution."""

    def __init__(self, uniforms):
        self.uniforms, self.choices = list(uniforms), []

    def random(self):
        return self.uniforms.pop(0)

    def choice(self, n, p):
        self.choices.append(np.asarray(p))
        return int(np.argmax(p))


Q = np.array([[0.6, 0.3, 0.1]])
P = np.array([[0.3, 0.3, 0.4], [0.1, 0.7, 0.2]])


def test_hand_worked_rejection():
    # accept x = 0 with probability 0.3 / 0.6 = 0.5: u = 0.5 rejects; residual max(0, p - q) = (0, 0, .3) -> (0, 0, 1)
    rng = _Scripted([0.5])
    assert speculative_accept([0], Q, P, rng) == [2]
    np.testing.assert_allclose(rng.choices[0], [0.0, 0.0, 1.0], atol=1e-15)


def test_hand_worked_acceptance_and_bonus():
    rng = _Scripted([0.4999])  # just under the threshold 0.5: accepted, then the bonus from P[1]
    assert speculative_accept([0], Q, P, rng) == [0, 1]
    np.testing.assert_allclose(rng.choices[0], P[1])


def test_p_at_least_q_always_accepts():
    rng = _Scripted([0.999999])
    assert speculative_accept([2], Q, P, rng) == [2, 1]  # p(2) = .4 >= q(2) = .1


def _torch_hf_sampling(torch, drafts, q, p, gen):
    """Hugging Face's `_speculative_sampling`, one sequence, re-derived in torch."""
    k = drafts.shape[0]
    idx = torch.arange(k)
    r = torch.rand(k, dtype=torch.float64, generator=gen)
    accepted = r <= p[idx, drafts] / q[idx, drafts]
    n = int((~accepted).cumsum(0).lt(1).sum())
    if n < k:
        dist = (p[n] - q[n]).clamp(min=0)
        dist = dist / dist.sum()
    else:
        dist = p[k]
    last = int(torch.multinomial(dist, 1, generator=gen))
    return n, last


def _joint_frequencies(sample, q, p, n_draws, seed):
    g = np.random.default_rng(seed)
    cdf = np.cumsum(q, axis=1)
    counts = np.zeros(p.shape)
    for _ in range(n_draws):
        drafts = np.array([min(np.searchsorted(cdf[i], g.random(), side="right"), q.shape[1] - 1)
                           for i in range(q.shape[0])])
        n, last = sample(drafts)
        counts[n, last] += 1
    return counts / n_draws


def test_joint_law_matches_hf_in_torch():
    torch = pytest.importorskip("torch")
    g = np.random.default_rng(0)
    q, p = g.dirichlet(np.ones(5), size=3), g.dirichlet(np.ones(5), size=4)
    rng = np.random.default_rng(1)

    def ours(d):
        out = speculative_accept(d, q, p, rng)
        return len(out) - 1, out[-1]

    gen = torch.Generator().manual_seed(2)
    tq, tp = torch.from_numpy(q), torch.from_numpy(p)
    theirs = lambda d: _torch_hf_sampling(torch, torch.from_numpy(d), tq, tp, gen)  # noqa: E731
    a = _joint_frequencies(ours, q, p, 20000, 3)
    b = _joint_frequencies(theirs, q, p, 20000, 4)
    np.testing.assert_allclose(a, b, atol=0.012)


def test_first_token_follows_target():
    g = np.random.default_rng(5)
    q, p = g.dirichlet(np.ones(6), size=4), g.dirichlet(np.ones(6), size=5)
    rng = np.random.default_rng(6)
    firsts = np.zeros(6)
    cdf = np.cumsum(q, axis=1)
    for _ in range(30000):
        d = [min(int(np.searchsorted(cdf[i], g.random(), side="right")), 5) for i in range(4)]
        firsts[speculative_accept(d, q, p, rng)[0]] += 1
    np.testing.assert_allclose(firsts / firsts.sum(), p[0], atol=0.01)


def test_degenerate_inputs():
    rng = np.random.default_rng(7)
    q = np.array([[0.5, 0.5, 0.0, 0.0]] * 2)
    same = np.concatenate([q, [[0.0, 0.0, 0.0, 1.0]]])
    assert speculative_accept([0, 1], q, same, rng) == [0, 1, 3]  # p == q: all accepted, then the bonus
    disjoint = np.array([[0.0, 0.0, 1.0, 0.0]] * 3)
    assert speculative_accept([0, 1], q, disjoint, rng) == [2]  # p(x) = 0: rejected, residual = p
