# expect-bug: half-split layout used where interleaved=True asks for pairs (x[2i], x[2i+1])
import numpy as np


def rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def apply_rope(x, positions, base=10000.0, interleaved=True):
    # Hugging Face style; works for both layouts... or so it seems
    d = x.shape[-1]
    inv_freq = 1.0 / (base ** (np.arange(0, d, 2) / d))
    freqs = np.outer(positions, inv_freq)  # (T, d/2)
    emb = np.concatenate([freqs, freqs], axis=-1)  # (T, d)
    return x * np.cos(emb) + rotate_half(x) * np.sin(emb)
