# A correct solution in the style of interview-drill answers written in PyTorch and ported to
# NumPy: `pos * freqs` with float32 positions and frequencies (torch's default dtype), then the
# rotation written out on the even/odd channels and re-interleaved with stack + flatten.
import numpy as np


def apply_rope(x, positions, base=10000.0, interleaved=True):
    D = x.shape[-1]
    pos = np.asarray(positions).astype(np.float32)[:, None]  # (T, 1)
    dim = np.arange(0, D, 2).astype(np.float32)  # (D/2,)
    freqs = 1.0 / (base ** (dim / D))
    angles = pos * freqs  # (T, D/2), float32
    cos = np.cos(angles)
    sin = np.sin(angles)
    if interleaved:
        x1 = x[..., 0::2]
        x2 = x[..., 1::2]
        rotated = np.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)
        return rotated.reshape(*rotated.shape[:-2], D)
    x1 = x[..., : D // 2]
    x2 = x[..., D // 2:]
    return np.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)
