# expect-bug: interleaved layout used where interleaved=False asks for pairs (x[i], x[i + d/2])
import numpy as np


def apply_rope(x, positions, base=10000.0, interleaved=True):
    T, d = x.shape[-2:]
    theta = base ** (-(np.arange(d // 2) * 2.0) / d)
    angles = positions.reshape(T, 1) * theta
    pairs = x.reshape(*x.shape[:-1], d // 2, 2)
    a, b = pairs[..., 0], pairs[..., 1]
    rotated = np.stack([a * np.cos(angles) - b * np.sin(angles),
                        a * np.sin(angles) + b * np.cos(angles)], axis=-1)
    return rotated.reshape(x.shape)
