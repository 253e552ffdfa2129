# A correct solution in the style of Hugging Face's T5Attention._relative_position_bucket,
# translated to NumPy (float32 logs, as the torch code computes them).
import math

import numpy as np


def relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    relative_position = np.asarray(relative_position)
    relative_buckets = 0
    if bidirectional:
        num_buckets //= 2
        relative_buckets += (relative_position > 0).astype(np.int64) * num_buckets
        relative_position = np.abs(relative_position)
    else:
        relative_position = -np.minimum(relative_position, np.zeros_like(relative_position))
    max_exact = num_buckets // 2
    is_small = relative_position < max_exact
    with np.errstate(divide="ignore", invalid="ignore"):
        if_large = max_exact + (
            np.log(relative_position.astype(np.float32) / max_exact)
            / math.log(max_distance / max_exact)
            * (num_buckets - max_exact)
        ).astype(np.int64)
    if_large = np.minimum(if_large, np.full_like(if_large, num_buckets - 1))
    return relative_buckets + np.where(is_small, relative_position, if_large)
