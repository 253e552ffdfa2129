"""Drill: sinusoidal positional encoding (NumPy).

Implement `sinusoidal_encoding`. Run `tfprep drill positional-encoding` to grade this file.
"""
import numpy as np


def sinusoidal_encoding(seq_len, d_model, base=10000.0):
    """The sinusoidal position table of "Attention Is All You Need".

    PE[p, 2i] = sin(p / base^(2i / d_model)), PE[p, 2i + 1] = cos(p / base^(2i / d_model)).

    Args:
        seq_len: number of positions T (rows p = 0 .. T-1).
        d_model: encoding width D; may be odd (then the last column is a sin).
        base: the wavelength base (10000 in the paper).

    Returns:
        float array of shape (seq_len, d_model).
    """
    raise NotImplementedError
