"""The quantization reference against torch: the same symmetric absmax math written with torch
ops (amax, torch.round, clamp), torch's own quantized tensors (quantize_per_channel /
quantize_per_tensor with zero point 0) given our scales, and the statement's example by hand."""
import numpy as np
import pytest

from tfprep.content.reference_impls.quantization import dequantize_int8, quantize_int8

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:torch.quantize_per_tensor:UserWarning")  # deprecated, still the kernel


def off_ties(x, axis):
    """Move x / scale clear of half-integers: torch multiplies by 1/scale, we divide."""
    s = np.max(np.abs(x), axis=axis, keepdims=True) / 127
    r = np.abs(x / np.where(s == 0, 1, s))
    return np.where(np.abs(r - np.floor(r) - 0.5) < 1e-3, x * 0.99, x)


def torch_symmetric(x, dim):
    t = torch.from_numpy(x)
    amax = t.abs().amax() if dim is None else t.abs().amax(dim=dim, keepdim=True)
    scale = amax / 127
    q = torch.clamp(torch.round(t / torch.where(scale == 0, torch.ones_like(scale), scale)), -127, 127)
    return q.to(torch.int8).numpy(), scale.numpy(), (q * scale).numpy()


@pytest.mark.parametrize("shape,axis", [((4, 6), -1), ((5, 7), 0), ((3, 4, 5), 1), ((2, 3, 8), (0, 2)),
                                        ((9,), None), ((3, 4), None)])
def test_matches_torch_ops(shape, axis):
    x = off_ties(np.random.default_rng(0).standard_normal(shape) * 3.0, axis)
    q, scale = quantize_int8(x, axis=axis)
    q_t, s_t, x_hat_t = torch_symmetric(x, axis)
    np.testing.assert_array_equal(q, q_t)
    np.testing.assert_allclose(scale, np.broadcast_to(s_t, scale.shape), rtol=1e-15, atol=0)
    np.testing.assert_allclose(dequantize_int8(q, scale), x_hat_t, rtol=1e-15, atol=0)


def test_all_zero_rows_match_torch_ops():
    x = off_ties(np.random.default_rng(1).standard_normal((4, 5)), -1)
    x[2] = 0.0
    q, scale = quantize_int8(x, axis=-1)
    q_t, s_t, _ = torch_symmetric(x, -1)
    np.testing.assert_array_equal(q, q_t)
    np.testing.assert_array_equal(scale, s_t)
    assert scale[2, 0] == 0 and not q[2].any()


def test_matches_torch_quantize_per_channel():
    """torch's qint8 kernel with zero point 0 and our per-row scales gives our q (torch names the
    axis it keeps, 0, where ours names the axis reduced, -1)."""
    x = off_ties(np.random.default_rng(2).standard_normal((6, 10)).astype(np.float32), -1)
    q, scale = quantize_int8(x, axis=-1)
    qt = torch.quantize_per_channel(torch.from_numpy(x), torch.from_numpy(scale[:, 0].astype(np.float64)),
                                    torch.zeros(6, dtype=torch.int64), 0, torch.qint8)
    np.testing.assert_array_equal(q, qt.int_repr().numpy())
    np.testing.assert_allclose(dequantize_int8(q, scale), qt.dequantize().numpy(), rtol=1e-6, atol=0)


def test_matches_torch_quantize_per_tensor():
    x = off_ties(np.random.default_rng(3).standard_normal((3, 7)).astype(np.float32), None)
    q, scale = quantize_int8(x)
    qt = torch.quantize_per_tensor(torch.from_numpy(x), float(scale.item()), 0, torch.qint8)
    np.testing.assert_array_equal(q, qt.int_repr().numpy())
    assert q.min() >= -127  # torch's qint8 range is [-128, 127]; the symmetric scale never reaches -128


def test_worked_example():
    x = np.array([[0.3, -2.54, 1.0], [0.1, 0.04, -0.02], [0.0, 0.0, 0.0]])
    q, scale = quantize_int8(x, axis=-1)
    np.testing.assert_array_equal(q, [[15, -127, 50], [127, 51, -25], [0, 0, 0]])
    np.testing.assert_allclose(scale[:, 0], [0.02, 0.1 / 127, 0.0], rtol=1e-14)
    q_all, s_all = quantize_int8(x)
    np.testing.assert_array_equal(q_all[1], [5, 2, -1])
    assert s_all.shape == (1, 1) and abs(s_all.item() - 0.02) < 1e-15
    assert q.dtype == np.int8
