"""The LoRA reference against a torch recomputation in PEFT's layout (nn.Linear weights
lora_A (r, d_in), lora_B (d_out, r), base(x) + lora_B(lora_A(x)) * alpha / r), and its properties."""
import numpy as np
import pytest

from tfprep.content.reference_impls.lora import lora_forward, lora_merge

torch = pytest.importorskip("torch")
F = torch.nn.functional


def make(seed, batch, d_in, d_out, r):
    g = np.random.default_rng(seed)
    return (g.standard_normal((*batch, d_in)), g.standard_normal((d_in, d_out)),
            g.standard_normal((d_in, r)), g.standard_normal((r, d_out)))


@pytest.mark.parametrize("batch,d_in,d_out,r,alpha", [
    ((5,), 8, 6, 3, 16), ((2, 4), 10, 10, 4, 6), ((), 7, 9, 2, 5.0), ((3, 2, 5), 6, 12, 5, 32),
])
def test_matches_torch(batch, d_in, d_out, r, alpha):
    x, w, a, b = make(0, batch, d_in, d_out, r)
    t = torch.from_numpy
    base_weight, lora_A, lora_B = t(w.T.copy()), t(a.T.copy()), t(b.T.copy())  # nn.Linear's (out, in)
    scaling = alpha / r
    expected = F.linear(t(x), base_weight) + F.linear(F.linear(t(x), lora_A), lora_B) * scaling
    np.testing.assert_allclose(lora_forward(x, w, a, b, alpha, r), expected.numpy(), rtol=1e-12, atol=1e-12)
    merged_weight = base_weight + (lora_B @ lora_A) * scaling  # PEFT's merge: W += B A * scaling
    np.testing.assert_allclose(lora_merge(w, a, b, alpha, r), merged_weight.numpy().T, rtol=1e-12, atol=1e-12)


def test_zero_b_is_base():
    x, w, a, b = make(1, (4,), 9, 7, 3)
    b = np.zeros_like(b)
    np.testing.assert_array_equal(lora_forward(x, w, a, b, 16, 3), x @ w)
    np.testing.assert_array_equal(lora_merge(w, a, b, 16, 3), w)


def test_merged_equals_unmerged_and_rank():
    x, w, a, b = make(2, (2, 5), 12, 10, 2)
    merged = lora_merge(w, a, b, 8, 2)
    np.testing.assert_allclose(x @ merged, lora_forward(x, w, a, b, 8, 2), rtol=1e-12, atol=1e-12)
    assert np.linalg.matrix_rank(merged - w) == 2


def test_hand_worked_example():
    """The statement's example: out = [1, 8], merged = [[1, 6], [0, 1]]."""
    w, a, b, x = np.eye(2), np.array([[1.0], [0.0]]), np.array([[0.0, 3.0]]), np.array([1.0, 2.0])
    np.testing.assert_array_equal(lora_forward(x, w, a, b, 2, 1), [1.0, 8.0])
    np.testing.assert_array_equal(lora_merge(w, a, b, 2, 1), [[1.0, 6.0], [0.0, 1.0]])
