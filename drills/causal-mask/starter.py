"""Drill: bottom-right aligned causal attention mask (NumPy).

Implement `causal_mask`. Run `tfprep drill causal-mask` to grade this file.
"""
import numpy as np


def causal_mask(lq, lk=None):
    """Boolean causal mask, True where query i may attend to key j.

    Bottom-right aligned: query i sees key j iff j <= i + (lk - lq), so the last query sees
    every key.

    Args:
        lq: number of queries (int).
        lk: number of keys (int); defaults to lq.

    Returns:
        bool array of shape (lq, lk).
    """
    raise NotImplementedError
