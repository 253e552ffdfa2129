"""The sinusoidal-encoding reference against hand-worked values (torch has no built-in table)."""
import math

import numpy as np

from tfprep.content.reference_impls.positional_encoding import sinusoidal_encoding


def test_hand_worked_d4():
    # d_model = 4, base 10000: the two pairs have frequencies 1 and 1/100.
    expected = np.array([
        [0.0, 1.0, 0.0, 1.0],
        [0.8414709848, 0.5403023059, 0.0099998333, 0.9999500004],
        [0.9092974268, -0.4161468365, 0.0199986667, 0.9998000067],
    ])
    np.testing.assert_allclose(sinusoidal_encoding(3, 4), expected, rtol=0, atol=1e-10)


def test_odd_width_last_column_is_sin():
    pe = sinusoidal_encoding(3, 5, base=100.0)
    assert pe.shape == (3, 5)
    # column 4 = sin(p / 100^(4/5)); columns 2, 3 = sin, cos(p / 100^(2/5))
    for p in range(3):
        assert math.isclose(pe[p, 4], math.sin(p / 100.0 ** 0.8), abs_tol=1e-12)
        assert math.isclose(pe[p, 2], math.sin(p / 100.0 ** 0.4), abs_tol=1e-12)
        assert math.isclose(pe[p, 3], math.cos(p / 100.0 ** 0.4), abs_tol=1e-12)


def test_offset_is_a_rotation():
    # The paper's motivation: PE[p + k] is a fixed linear function (a rotation per pair) of PE[p].
    pe, k = sinusoidal_encoding(20, 8), 3
    w = 1.0 / 10000.0 ** (np.arange(0, 8, 2) / 8)
    s, c = np.sin(k * w), np.cos(k * w)
    sin_p, cos_p = pe[:-k, 0::2], pe[:-k, 1::2]
    np.testing.assert_allclose(pe[k:, 0::2], sin_p * c + cos_p * s, atol=1e-12)
    np.testing.assert_allclose(pe[k:, 1::2], cos_p * c - sin_p * s, atol=1e-12)
