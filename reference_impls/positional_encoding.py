"""Sinusoidal positional encoding (Vaswani et al., 2017, "Attention Is All You Need", sec. 3.5).

    PE[pos, 2i]     = sin(pos / base^(2i / d_model))
    PE[pos, 2i + 1] = cos(pos / base^(2i / d_model))

Sine and cosine of the same frequency sit side by side, so PE[pos + k] is a rotation of PE[pos]
pair by pair: the dot product PE[p] . PE[q] depends only on p - q. With an odd d_model the last
column is the sine of a frequency whose cosine has no room.
"""
from __future__ import annotations

import numpy as np


def sinusoidal_encoding(seq_len: int, d_model: int, base: float = 10000.0) -> np.ndarray:
    """(seq_len, d_model) float64 table; row p encodes position p."""
    pos = np.arange(seq_len, dtype=np.float64)[:, None]  # (T, 1)
    two_i = np.arange(0, d_model, 2, dtype=np.float64)  # (ceil(D/2),): the even column indices 2i
    # Wavelengths grow geometrically from 2*pi to base*2*pi across the pairs.
    angle = pos / base ** (two_i / d_model)  # (T, ceil(D/2))
    pe = np.empty((seq_len, d_model))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle[:, : d_model // 2])  # odd D: the last sine has no cosine partner
    return pe
