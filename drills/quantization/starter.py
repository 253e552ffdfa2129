"""Drill: symmetric absmax int8 quantization, per tensor or per axis (NumPy).

Implement `quantize_int8` and `dequantize_int8`. Run `tfprep drill quantization` to grade this file.
"""
import numpy as np


def quantize_int8(x, axis=None):
    """Symmetric absmax int8 quantization.

    Args:
        x: float array, any shape.
        axis: None (one scale for the whole tensor), an int or a tuple of ints: the axis or axes
            *reduced over* when taking max|x|, with NumPy's meaning (axis=-1 on a matrix gives
            one scale per row).

    Returns:
        (q, scale):
        - scale = max|x| / 127 over each slice, keeping the reduced dimensions with size 1
          (keepdims), so it broadcasts against q; an all-zero slice gets scale 0.
        - q = round(x / scale) as np.int8, within [-127, 127] (never -128); 0 on an all-zero slice.
    """
    raise NotImplementedError


def dequantize_int8(q, scale):
    """Back to floats.

    Args:
        q: int8 array from `quantize_int8`.
        scale: the matching scale (broadcastable to q).

    Returns:
        Float array of q's shape: q * scale.
    """
    raise NotImplementedError
