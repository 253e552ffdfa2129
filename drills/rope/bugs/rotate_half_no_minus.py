# expect-bug: the 90-degree turn of the pair is missing its minus sign (not a rotation)
import numpy as np


def apply_rope(x, positions, base=10000.0, interleaved=True):
    d = x.shape[-1]
    freqs = np.outer(positions, base ** (-np.arange(0, d, 2) / d))  # (T, d/2)
    if interleaved:
        emb = np.repeat(freqs, 2, axis=-1)
        swapped = x.reshape(x.shape[:-1] + (d // 2, 2))[..., ::-1].reshape(x.shape)
    else:
        emb = np.concatenate([freqs, freqs], axis=-1)
        swapped = np.concatenate([x[..., d // 2:], x[..., : d // 2]], axis=-1)
    return x * np.cos(emb) + swapped * np.sin(emb)
