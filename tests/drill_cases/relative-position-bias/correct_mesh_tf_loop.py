# A correct solution following Mesh TensorFlow's formulation (n = -relative_position), with the
# bucket of each distinct position computed once in plain Python and looked up.
import math

import numpy as np


def _one(n, bidirectional, num_buckets, max_distance):
    ret = 0
    if bidirectional:
        num_buckets //= 2
        if n < 0:
            ret += num_buckets
        n = abs(n)
    else:
        n = max(n, 0)
    max_exact = num_buckets // 2
    if n < max_exact:
        return ret + n
    val = max_exact + int(math.log(n / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact))
    return ret + min(val, num_buckets - 1)


def relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    if isinstance(relative_position, int):
        return _one(-relative_position, bidirectional, num_buckets, max_distance)
    r = np.asarray(relative_position)
    values, inverse = np.unique(r, return_inverse=True)
    table = np.array([_one(-int(v), bidirectional, num_buckets, max_distance) for v in values], dtype=np.int64)
    return table[inverse].reshape(r.shape)
