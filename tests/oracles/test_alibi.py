"""Check tfprep.content.reference_impls.alibi against the paper: its 8-head table and its official code.

torch has no ALiBi, so the oracle is `get_slopes` transcribed from the paper's official
repository (github.com/ofirpress/attention_with_linear_biases, fairseq/models/transformer.py),
the code that defines the rule for head counts that are not a power of two.
"""
import math

import numpy as np
import pytest

from tfprep.content.reference_impls.alibi import alibi_bias, alibi_slopes


def official_get_slopes(n):
    def get_slopes_power_of_2(n):
        start = 2 ** (-2 ** -(math.log2(n) - 3))
        ratio = start
        return [start * ratio**i for i in range(n)]

    if math.log2(n).is_integer():
        return get_slopes_power_of_2(n)
    closest_power_of_2 = 2 ** math.floor(math.log2(n))
    return get_slopes_power_of_2(closest_power_of_2) + official_get_slopes(2 * closest_power_of_2)[0::2][
        : n - closest_power_of_2
    ]


def test_eight_heads_paper_table():
    # Press et al. (2022), sec. 3: with 8 heads the slopes are the geometric sequence 1/2^1, 1/2^2, ..., 1/2^8.
    np.testing.assert_allclose(alibi_slopes(8), [2.0**-k for k in range(1, 9)], rtol=1e-12)


def test_sixteen_heads_interleave_eight():
    # Paper, sec. 3: 16 heads interpolate the 8-head slopes by geometric means of consecutive pairs,
    # giving the sequence that starts at 1/2^0.5 with ratio 1/2^0.5.
    s = alibi_slopes(16)
    np.testing.assert_allclose(s[0], 2**-0.5, rtol=1e-12)
    np.testing.assert_allclose(s[1::2], alibi_slopes(8), rtol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64])
def test_slopes_match_official_code(n):
    np.testing.assert_allclose(alibi_slopes(n), official_get_slopes(n), rtol=1e-12)


def test_non_power_of_two_by_hand():
    # 6 heads: slopes(4) = 2^-2, 2^-4, 2^-6, 2^-8; then slopes(8)[0::2][:2] = 2^-1, 2^-3.
    np.testing.assert_allclose(alibi_slopes(6), [2**-2, 2**-4, 2**-6, 2**-8, 2**-1, 2**-3], rtol=1e-12)
    # 12 heads: slopes(8) then slopes(16)[0::2][:4] = 2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5.
    expected = [2.0**-k for k in range(1, 9)] + [2**-0.5, 2**-1.5, 2**-2.5, 2**-3.5]
    np.testing.assert_allclose(alibi_slopes(12), expected, rtol=1e-12)


def test_bias_tiny_example():
    # Paper, fig. 3: query i adds m * [-i, ..., -1, 0] to its scores over keys 0..i.
    b = alibi_bias(2, 3)
    m = alibi_slopes(2)  # 2^-4, 2^-8
    for h in range(2):
        np.testing.assert_allclose(np.tril(b[h]), m[h] * np.array([[0, 0, 0], [-1, 0, 0], [-2, -1, 0]]), rtol=1e-12)
