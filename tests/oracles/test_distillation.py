"""The distillation reference against torch: `F.kl_div` with log targets, "batchmean", times T^2."""
import math

import numpy as np
import pytest

from tfprep.content.reference_impls.distillation import distillation_loss

torch = pytest.importorskip("torch")
F = torch.nn.functional


def torch_distillation(student, teacher, T):
    """The loss as torch code writes it; leading axes flattened so "batchmean" averages over positions."""
    V = student.shape[-1]
    s = torch.from_numpy(student).reshape(-1, V)
    t = torch.from_numpy(teacher).reshape(-1, V)
    kl = F.kl_div(F.log_softmax(s / T, dim=-1), F.log_softmax(t / T, dim=-1), log_target=True,
                  reduction="batchmean")
    return kl.item() * T * T


@pytest.mark.parametrize("shape,T,scale", [
    ((6, 10), 2.0, 3.0), ((5, 7), 4.0, 3.0), ((2, 6, 8), 3.0, 3.0), ((3, 12), 0.5, 3.0), ((1, 11), 2.5, 3.0),
    ((4, 10), 1.0, 1000.0), ((2, 3, 50), 2.0, 1000.0),
])
def test_matches_torch_kl_div(shape, T, scale):
    g = np.random.default_rng(len(shape) * 100 + shape[-1])
    s, t = g.standard_normal(shape) * scale, g.standard_normal(shape) * scale
    expected = torch_distillation(s, t, T)
    assert math.isfinite(expected)
    np.testing.assert_allclose(distillation_loss(s, t, T), expected, rtol=1e-10, atol=1e-12)


def test_single_row_matches_torch():
    g = np.random.default_rng(1)
    s, t = g.standard_normal(9) * 2, g.standard_normal(9) * 2
    np.testing.assert_allclose(distillation_loss(s, t, 3.0), torch_distillation(s, t, 3.0), rtol=1e-10)


def test_confident_teacher_matches_torch():
    g = np.random.default_rng(2)
    t = -np.abs(g.standard_normal((4, 10)) * 600.0)
    t -= t.max(-1, keepdims=True)
    s = g.standard_normal((4, 10)) * 3.0
    np.testing.assert_allclose(distillation_loss(s, t, 1.0), torch_distillation(s, t, 1.0), rtol=1e-10)


def test_worked_example_by_hand():
    # p_t = (0.75, 0.25), p_s = (0.5, 0.5) at T = 3.
    kl = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    assert distillation_loss(np.array([[0.0, 0.0]]), np.array([[3 * math.log(3.0), 0.0]]), 3.0) == pytest.approx(
        9 * kl, rel=1e-12)
    assert 9 * kl == pytest.approx(1.1773, abs=1e-4)
    reversed_kl = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    assert distillation_loss(np.array([[3 * math.log(3.0), 0.0]]), np.array([[0.0, 0.0]]), 3.0) == pytest.approx(
        9 * reversed_kl, rel=1e-12)
    assert 9 * reversed_kl == pytest.approx(1.2946, abs=1e-4)
