"""Check the sampling reference against hand-worked examples and against an independent torch
formulation of Hugging Face's TemperatureLogitsWarper / TopKLogitsWarper / TopPLogitsWarper
(top-p there removes, from the least probable end, tokens whose cumulative mass is <= 1 - p)."""
import numpy as np
import pytest

from tfprep.content.reference_impls.sampling import sample_token, sampling_distribution


def test_hand_worked_top_p_keeps_crossing_token():
    # (.4, .3, .2, .1), top_p = 0.6: .4 < .6 so token 1 is needed; it crosses to .7 and is kept.
    p = sampling_distribution(np.log([0.4, 0.3, 0.2, 0.1]), top_p=0.6)
    np.testing.assert_allclose(p, [4 / 7, 3 / 7, 0, 0], atol=1e-12)


def test_hand_worked_top_k_then_top_p():
    # top-3 renormalised: (.4, .3, .2)/.9 = (.444, .333, .222); top_p = 0.5 keeps two of them.
    p = sampling_distribution(np.log([0.3, 0.4, 0.1, 0.2]), top_k=3, top_p=0.5)
    np.testing.assert_allclose(p, [3 / 7, 4 / 7, 0, 0], atol=1e-12)


def test_hand_worked_temperature():
    # logits (0, ln 4) at T = 2 -> weights (1, 2) -> (1/3, 2/3); T = 0 -> one-hot argmax.
    np.testing.assert_allclose(sampling_distribution([0.0, np.log(4.0)], temperature=2.0), [1 / 3, 2 / 3])
    np.testing.assert_array_equal(sampling_distribution([0.1, 3.0, -2.0], temperature=0), [0, 1, 0])
    assert sample_token(np.array([0.1, 3.0, -2.0]), np.random.default_rng(0), temperature=0) == 1


def _hf_distribution(torch, logits, temperature, top_k, top_p):
    scores = torch.tensor(logits, dtype=torch.float64) / temperature
    if top_k is not None:
        kth = torch.topk(scores, min(top_k, scores.numel())).values[-1]
        scores = scores.masked_fill(scores < kth, -float("inf"))
    if top_p is not None:
        sorted_logits, sorted_idx = torch.sort(scores, descending=False)
        cum = sorted_logits.softmax(-1).cumsum(-1)
        remove = cum <= (1 - top_p)
        remove[-1] = False  # min_tokens_to_keep = 1
        scores = scores.masked_fill(remove.scatter(0, sorted_idx, remove), -float("inf"))
    return scores.softmax(-1).numpy()


@pytest.mark.parametrize("seed", range(20))
def test_against_hf_warpers_in_torch(seed):
    torch = pytest.importorskip("torch")
    g = np.random.default_rng(seed)
    logits = g.standard_normal(int(g.integers(5, 40))) * 2.0
    temperature = float(g.choice([0.5, 1.0, 1.7]))
    top_k = [None, 1, 3, 10][seed % 4]
    top_p = [None, 0.3, 0.75, 0.95, 1.0][seed % 5]
    expected = _hf_distribution(torch, logits, temperature, top_k, top_p)
    got = sampling_distribution(logits, temperature, top_k, top_p)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_hostile_logits_finite():
    p = sampling_distribution([1000.0, 999.0, -1000.0], top_p=0.9)
    assert np.isfinite(p).all() and abs(p.sum() - 1) < 1e-12


def test_sample_token_frequencies():
    logits = np.log([0.5, 0.3, 0.15, 0.05])
    rng = np.random.default_rng(0)
    counts = np.bincount([sample_token(logits, rng, top_k=3) for _ in range(20000)], minlength=4)
    np.testing.assert_allclose(counts / 20000, [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0], atol=0.015)
