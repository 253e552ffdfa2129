# expect-bug: log buckets off: not clipped to the last bucket at and beyond max_distance
import numpy as np


def relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    r = np.asarray(relative_position)
    out = np.zeros_like(r)
    if bidirectional:
        num_buckets //= 2
        out += (r > 0) * num_buckets
        d = np.abs(r)
    else:
        d = np.maximum(-r, 0)
    max_exact = num_buckets // 2
    safe = np.maximum(d, max_exact)
    large = max_exact + np.floor(np.log(safe / max_exact) / np.log(max_distance / max_exact)
                                 * (num_buckets - max_exact)).astype(np.int64)
    return out + np.where(d < max_exact, d, large)
