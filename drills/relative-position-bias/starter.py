"""Drill: T5's relative position buckets (NumPy).

Implement `relative_position_bucket`. Run `tfprep drill relative-position-bias` to grade this file.
"""
import numpy as np


def relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    """T5's bucket id for each relative position.

    Args:
        relative_position: key (memory) position - query position; a Python int or an integer
            array of any shape.
        bidirectional: True (encoder): num_buckets // 2 buckets per direction, keys after the
            query in the upper half. False (decoder): all buckets for the past, every key after
            the query in bucket 0.
        num_buckets: total number of buckets.
        max_distance: distances from here on share the last bucket.

    Returns:
        Integer bucket ids in [0, num_buckets), the shape of relative_position (an int or 0-d
        array for an int). Half of each direction's buckets are exact distances; the other
        half are logarithmic up to max_distance, floored and clipped.
    """
    raise NotImplementedError
