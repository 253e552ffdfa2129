# A correct solution that works in float32 (as GPU kernels do) and moves the reduced axes to
# the end, then loops over the slices one by one.
import numpy as np


def quantize_int8(x, axis=None):
    x = np.asarray(x, dtype=np.float32)
    if axis is None:
        axes = tuple(range(x.ndim))
    else:
        axes = tuple(sorted(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis)))
    rest = tuple(a for a in range(x.ndim) if a not in axes)
    moved = np.transpose(x, rest + axes)
    n_rest = int(np.prod([x.shape[a] for a in rest])) if rest else 1
    flat = moved.reshape(n_rest, -1)
    q_flat = np.zeros(flat.shape, dtype=np.int8)
    s_flat = np.zeros(n_rest, dtype=np.float32)
    for i in range(n_rest):
        m = np.float32(0)
        for v in flat[i]:
            m = max(m, abs(v))
        if m == 0:
            continue
        s = m / np.float32(127)
        s_flat[i] = s
        q_flat[i] = np.clip(np.rint(flat[i] / s), -127, 127).astype(np.int8)
    q = np.transpose(q_flat.reshape(moved.shape), np.argsort(rest + axes))
    scale = s_flat.reshape([x.shape[a] if a in rest else 1 for a in range(x.ndim)])
    return q, scale


def dequantize_int8(q, scale):
    return q.astype(np.float32) * scale
