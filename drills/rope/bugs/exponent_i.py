# expect-bug: frequency exponent wrong: base^(-i/d) instead of base^(-2i/d)
import numpy as np


def apply_rope(x, positions, base=10000.0, interleaved=True):
    d = x.shape[-1]
    i = np.arange(d // 2)
    theta = 1.0 / base ** (i / d)
    angles = np.asarray(positions)[:, None] * theta[None, :]
    cos, sin = np.cos(angles), np.sin(angles)
    if interleaved:
        a, b = x[..., 0::2], x[..., 1::2]
        out = np.stack([a * cos - b * sin, a * sin + b * cos], axis=-1)
        return out.reshape(x.shape)
    a, b = np.split(x, 2, axis=-1)
    return np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)
