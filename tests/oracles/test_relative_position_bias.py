"""The T5 bucketing reference against values worked by hand, against Hugging Face's torch
formulation of `_relative_position_bucket` re-derived here, and against a scalar re-derivation
of Mesh TensorFlow's formula."""
import math

import numpy as np
import pytest

from tfprep.content.reference_impls.relative_position_bias import relative_position_bucket

# num_buckets=32, max_distance=128, bidirectional: 16 buckets per direction, 8 exact;
# d >= 8: 8 + floor(log(d/8) / log(16) * 8) = 8 + floor(2 log2(d / 8)): the thresholds are
# 8 * 2^(k/2) = 8, 11.3, 16, 22.6, 32, 45.3, 64, 90.5, 128.
BIDIRECTIONAL_RANGES = [(0, 0, 0), (1, 1, 1), (7, 7, 7), (8, 11, 8), (12, 15, 9), (16, 22, 10), (23, 31, 11),
                        (32, 45, 12), (46, 63, 13), (64, 90, 14), (91, 200, 15)]
# causal: 32 buckets, 16 exact; d >= 16: 16 + floor(16/3 * log2(d / 16)); thresholds
# 16 * 2^(3k/16) = 16, 18.3, 20.7, 23.6, 26.9, 30.6, 34.9, 39.7, 45.3, 51.5, 58.7, 66.8, 76.1,
# 86.7, 98.7, 112.4, 128.
CAUSAL_RANGES = [(0, 15, None), (16, 18, 16), (19, 20, 17), (21, 23, 18), (24, 26, 19), (27, 30, 20), (31, 34, 21),
                 (35, 39, 22), (40, 45, 23), (46, 51, 24), (52, 58, 25), (59, 66, 26), (67, 76, 27), (77, 86, 28),
                 (87, 98, 29), (99, 112, 30), (113, 200, 31)]


def test_hand_worked_defaults_minus_200_to_200():
    r = np.arange(-200, 201)
    bi = relative_position_bucket(r)
    causal = relative_position_bucket(r, bidirectional=False)
    for lo, hi, b in BIDIRECTIONAL_RANGES:
        for d in range(lo, hi + 1):
            assert bi[200 - d] == b, d  # key d before the query
            if d > 0:
                assert bi[200 + d] == b + 16, d  # key d after the query
    for lo, hi, b in CAUSAL_RANGES:
        for d in range(lo, hi + 1):
            assert causal[200 - d] == (d if b is None else b), d
    assert (causal[201:] == 0).all()  # the future shares bucket 0


def _mesh_tf(relative_position, bidirectional, num_buckets, max_distance):
    """Mesh TensorFlow's formula on one int, re-derived: n = -relative_position."""
    ret, n = 0, -relative_position
    if bidirectional:
        num_buckets //= 2
        ret += num_buckets if n < 0 else 0
        n = abs(n)
    else:
        n = max(n, 0)
    max_exact = num_buckets // 2
    if n < max_exact:
        return ret + n
    val = max_exact + int(math.log(n / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact))
    return ret + min(val, num_buckets - 1)


PARAMS = [(True, 32, 128), (False, 32, 128), (True, 64, 256), (False, 16, 64), (True, 10, 50), (False, 8, 20)]


@pytest.mark.parametrize("bidirectional,num_buckets,max_distance", PARAMS)
def test_matches_scalar_formula(bidirectional, num_buckets, max_distance):
    r = np.arange(-1000, 1001)
    expected = [_mesh_tf(int(x), bidirectional, num_buckets, max_distance) for x in r]
    np.testing.assert_array_equal(relative_position_bucket(r, bidirectional, num_buckets, max_distance), expected)
    assert relative_position_bucket(-37, bidirectional, num_buckets, max_distance) == expected[1000 - 37]


@pytest.mark.parametrize("bidirectional,num_buckets,max_distance", PARAMS)
def test_matches_hugging_face_torch_formulation(bidirectional, num_buckets, max_distance):
    torch = pytest.importorskip("torch")
    # Hugging Face T5Attention._relative_position_bucket, float32 logs as in torch
    rel = torch.arange(-1000, 1001)
    buckets = torch.zeros_like(rel)
    nb = num_buckets
    if bidirectional:
        nb //= 2
        buckets += (rel > 0).to(torch.long) * nb
        rel = torch.abs(rel)
    else:
        rel = -torch.min(rel, torch.zeros_like(rel))
    max_exact = nb // 2
    large = max_exact + (torch.log(rel.float() / max_exact) / math.log(max_distance / max_exact)
                         * (nb - max_exact)).to(torch.long)
    large = torch.min(large, torch.full_like(large, nb - 1))
    buckets += torch.where(rel < max_exact, rel, large)
    got = relative_position_bucket(np.arange(-1000, 1001), bidirectional, num_buckets, max_distance)
    np.testing.assert_array_equal(got, buckets.numpy())


def test_shapes_and_types():
    r = np.arange(-50, 70).reshape(2, 3, 20).astype(np.int32)
    out = relative_position_bucket(r)
    assert out.shape == r.shape and out.dtype.kind == "i"
    assert isinstance(relative_position_bucket(5), int) and relative_position_bucket(5) == 21
