# expect-bug: cos and sin swapped (position 0 is not the identity)
import numpy as np


def _rotate_half(x):
    x1, x2 = np.split(x, 2, axis=-1)
    return np.concatenate((-x2, x1), axis=-1)


def _rotate_every_two(x):
    x1, x2 = x[..., ::2], x[..., 1::2]
    return np.stack((-x2, x1), axis=-1).reshape(x.shape)


def apply_rope(x, positions, base=10000.0, interleaved=True):
    d = x.shape[-1]
    inv_freq = 1.0 / base ** (np.arange(0, d, 2, dtype=np.float64) / d)
    freqs = np.einsum("t,f->tf", positions.astype(np.float64), inv_freq)
    if interleaved:
        emb, rot = np.repeat(freqs, 2, axis=-1), _rotate_every_two(x)
    else:
        emb, rot = np.concatenate((freqs, freqs), axis=-1), _rotate_half(x)
    return x * np.sin(emb) + rot * np.cos(emb)
