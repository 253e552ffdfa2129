# expect-bug: cos/sin tables laid out for the other layout (the two members of a pair get different angles)
import numpy as np


def apply_rope(x, positions, base=10000.0, interleaved=True):
    d = x.shape[-1]
    inv_freq = base ** (-np.arange(0, d, 2) / d)
    freqs = positions[:, None] * inv_freq[None, :]  # (T, d/2)
    # one cos/sin table for both layouts: [f0, f1, ..., f0, f1, ...]
    cos = np.cos(np.concatenate([freqs, freqs], axis=-1))
    sin = np.sin(np.concatenate([freqs, freqs], axis=-1))
    if interleaved:
        rot = np.empty_like(x)
        rot[..., 0::2] = -x[..., 1::2]
        rot[..., 1::2] = x[..., 0::2]
    else:
        rot = np.concatenate([-x[..., d // 2:], x[..., : d // 2]], axis=-1)
    return x * cos + rot * sin
