# expect-bug: rotation direction flipped (rotated by -p*theta)
import numpy as np


def apply_rope(x, positions, base=10000.0, interleaved=True):
    d = x.shape[-1]
    theta = base ** (-np.arange(0, d, 2) / d)
    ang = positions[:, None] * theta
    c, s = np.cos(ang), np.sin(ang)
    if interleaved:
        x1, x2 = x[..., ::2], x[..., 1::2]
    else:
        x1, x2 = x[..., : d // 2], x[..., d // 2:]
    y1 = x1 * c + x2 * s
    y2 = -x1 * s + x2 * c
    out = np.empty(y1.shape[:-1] + (d,))
    if interleaved:
        out[..., ::2], out[..., 1::2] = y1, y2
    else:
        out[..., : d // 2], out[..., d // 2:] = y1, y2
    return out
