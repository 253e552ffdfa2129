"""Drill: FlashAttention's tiled forward pass (NumPy).

Implement `flash_attention`. Run `tfprep drill flash-attention-numpy` to grade this file.
"""
import numpy as np


def flash_attention(q, k, v, block_size=64, causal=False):
    """Exact softmax(q @ k^T / sqrt(d)) @ v, computed one (block_size, block_size) tile at a time.

    Args:
        q: (N, d) queries.
        k: (N, d) keys.
        v: (N, d) values.
        block_size: rows of q and of k per tile; need not divide N.
        causal: if True, query i attends only to keys j <= i.

    Returns:
        out (N, d). No (N, N) array may exist at any point.
    """
    raise NotImplementedError
