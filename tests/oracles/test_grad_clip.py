"""The gradient-clipping reference against `torch.nn.utils.clip_grad_norm_` (clipped grads and total norm)."""
import numpy as np
import pytest

from tfprep.content.reference_impls.grad_clip import clip_grad_norm

torch = pytest.importorskip("torch")


def torch_clip(grads, max_norm):
    params = []
    for g in grads:
        p = torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.from_numpy(g).dtype))
        p.grad = torch.from_numpy(g.copy())
        params.append(p)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, foreach=False)
    return [p.grad.numpy() for p in params], float(total)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes,scale,max_norm", [
    ([(4, 3), (5,), (2, 3, 2)], 1.0, 1.0),   # clipped
    ([(7,), (3, 3)], 0.1, 5.0),              # below the threshold: untouched
    ([(6, 4), (1,)], 1.0, 1),                # an int max_norm
    ([(3, 3), (4,)], 1e-6, 1e-6),            # tiny: the 1e-6 in the denominator matters
    ([(2, 2)], 0.0, 1.0),                    # all zeros
])
def test_matches_torch(shapes, scale, max_norm, dtype):
    g = np.random.default_rng(0)
    grads = [(g.standard_normal(s) * scale).astype(dtype) for s in shapes]
    exp_clipped, exp_total = torch_clip(grads, max_norm)
    clipped, total = clip_grad_norm([x.copy() for x in grads], max_norm)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    assert abs(total - exp_total) <= rtol * max(exp_total, 1e-30)
    assert len(clipped) == len(exp_clipped)
    for c, e in zip(clipped, exp_clipped):
        assert c.shape == e.shape
        np.testing.assert_allclose(c, e, rtol=rtol, atol=0)


def test_tiny_norm_coefficient():
    """Hand-worked: total norm 4e-6, max_norm 1e-6 -> coefficient 1e-6 / 5e-6 = 0.2 (torch's rule)."""
    grads = [np.array([4e-6, 0.0])]
    clipped, total = clip_grad_norm(grads, 1e-6)
    assert total == pytest.approx(4e-6, rel=1e-12)
    np.testing.assert_allclose(clipped[0], [0.8e-6, 0.0], rtol=1e-12, atol=0)
    np.testing.assert_allclose(torch_clip(grads, 1e-6)[0][0], clipped[0], rtol=1e-12, atol=0)
