"""T5's relative position buckets (Raffel et al., 2020, "Exploring the Limits of Transfer
Learning with a Unified Text-to-Text Transformer", sec. 2.1; the bucketing of the official
Mesh TensorFlow code, `_relative_position_bucket`).

Each head adds a learned scalar b[bucket(j - i)] to the logit of query i and key j. The bucket
of a relative position r = j - i (memory position minus query position) is:

    bidirectional: the buckets are split in two halves of n = num_buckets // 2;
                   keys after the query (r > 0) use the upper half (offset n), others the
                   lower half; then d = |r|
    causal:        n = num_buckets; every key after the query shares bucket 0: d = max(-r, 0)

    max_exact = n // 2
    d < max_exact:  bucket = d                                              (exact)
    otherwise:      bucket = max_exact + floor(log(d / max_exact) / log(max_distance / max_exact)
                                               * (n - max_exact)),  at most n - 1   (logarithmic)

so distances from max_exact to max_distance are spread logarithmically over the other half,
and every distance at or beyond max_distance shares the last bucket.
"""
from __future__ import annotations

import numpy as np


def relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    """Bucket ids for relative positions (key position - query position).

    `relative_position`: an int or an integer array of any shape; returns int64 bucket ids of
    the same shape (a Python int for an int input), each in [0, num_buckets).
    """
    scalar = np.ndim(relative_position) == 0 and not isinstance(relative_position, np.ndarray)
    r = np.asarray(relative_position, dtype=np.int64)
    bucket = np.zeros_like(r)
    if bidirectional:
        num_buckets //= 2
        bucket += (r > 0) * num_buckets  # keys after the query: the upper half
        d = np.abs(r)
    else:
        d = np.maximum(-r, 0)  # only the past is distinguished; the future is bucket 0
    max_exact = num_buckets // 2
    is_small = d < max_exact
    # log of 0 never reaches the result (d < max_exact there), but keep it out of np.log anyway
    d_large = np.maximum(d, max_exact).astype(np.float64)
    log_ratio = np.log(d_large / max_exact) / np.log(max_distance / max_exact)  # 0 at max_exact, 1 at max_distance
    if_large = max_exact + (log_ratio * (num_buckets - max_exact)).astype(np.int64)  # floor: log_ratio >= 0
    if_large = np.minimum(if_large, num_buckets - 1)
    bucket += np.where(is_small, d, if_large)
    return int(bucket) if scalar else bucket
