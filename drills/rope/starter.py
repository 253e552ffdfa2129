"""Drill: rotary position embedding, RoPE (NumPy).

Implement `apply_rope`. Run `tfprep drill rope` to grade this file.
"""
import numpy as np


def apply_rope(x, positions, base=10000.0, interleaved=True):
    """Rotate channel pairs of x by position-dependent angles p * base^(-2i/d).

    Args:
        x: (..., T, d) queries or keys, d even; leading dims are batch/heads.
        positions: int array (T,), the position of each of the T rows (need not be 0..T-1).
        base: the frequency base (10000 in RoFormer).
        interleaved: True  -> pair i is (x[..., 2i], x[..., 2i+1]);
                     False -> pair i is (x[..., i], x[..., i + d/2])  (GPT-NeoX / LLaMA "half-split").

    Returns:
        array of the same shape as x.
    """
    raise NotImplementedError
