# expect-bug: sign convention flipped (relative_position = key - query: keys after the query take the upper half, or bucket 0 when causal)
import numpy as np


def relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    r = np.asarray(relative_position)
    out = np.zeros_like(r)
    if bidirectional:
        num_buckets //= 2
        out += (r < 0) * num_buckets  # thought of as query - key
        d = np.abs(r)
    else:
        d = np.maximum(r, 0)
    max_exact = num_buckets // 2
    safe = np.maximum(d, max_exact)
    ratio = np.log(safe / max_exact) / np.log(max_distance / max_exact)
    large = max_exact + (ratio * (num_buckets - max_exact)).astype(int)
    large = np.minimum(large, num_buckets - 1)
    return out + np.where(d < max_exact, d, large)
