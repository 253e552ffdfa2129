# expect-bug: log buckets off: log(d) instead of log(d / max_exact)
import numpy as np


def relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    r = np.asarray(relative_position)
    offset = 0
    n = num_buckets
    if bidirectional:
        n = num_buckets // 2
        offset = np.where(r > 0, n, 0)
        d = np.abs(r)
    else:
        d = np.where(r < 0, -r, 0)
    max_exact = n // 2
    scale = (n - max_exact) / np.log(max_distance / max_exact)
    large = np.minimum(max_exact + (np.log(np.maximum(d, 1)) * scale).astype(np.int64), n - 1)
    return offset + np.where(d < max_exact, d, large)
