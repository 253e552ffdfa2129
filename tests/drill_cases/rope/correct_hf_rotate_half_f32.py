# A correct solution in the style of Hugging Face's LlamaRotaryEmbedding, ported to NumPy:
# `inv_freq` and the angles are float32, cos/sin are built once for the full width as
# cat(freqs, freqs), then cast to x's dtype; x * cos + rotate_half(x) * sin.
import numpy as np


def rotate_half(x):
    """Rotates half the hidden dims of the input."""
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return np.concatenate((-x2, x1), axis=-1)


def rotate_every_two(x):
    """The interleaved counterpart (GPT-J style): (x[2i], x[2i+1]) -> (-x[2i+1], x[2i])."""
    x1 = x[..., ::2]
    x2 = x[..., 1::2]
    return np.stack((-x2, x1), axis=-1).reshape(x.shape)


class RotaryEmbedding:
    def __init__(self, dim, base=10000.0):
        self.dim = dim
        self.base = base
        self.inv_freq = 1.0 / (self.base ** (np.arange(0, self.dim, 2, dtype=np.int64).astype(np.float32) / self.dim))

    def __call__(self, x, position_ids, interleaved=False):
        inv_freq_expanded = self.inv_freq[:, None].astype(np.float32)  # (dim/2, 1)
        position_ids_expanded = np.asarray(position_ids)[None, :].astype(np.float32)  # (1, T)
        freqs = (inv_freq_expanded @ position_ids_expanded).T  # (T, dim/2), float32
        if interleaved:
            emb = np.repeat(freqs, 2, axis=-1)
        else:
            emb = np.concatenate((freqs, freqs), axis=-1)
        cos = np.cos(emb)
        sin = np.sin(emb)
        return cos.astype(x.dtype), sin.astype(x.dtype)


def apply_rotary_pos_emb(q, cos, sin, rotate=rotate_half):
    return (q * cos) + (rotate(q) * sin)


def apply_rope(x, positions, base=10000.0, interleaved=True):
    x = np.asarray(x)
    rotary = RotaryEmbedding(x.shape[-1], base=base)
    cos, sin = rotary(x, positions, interleaved=interleaved)
    return apply_rotary_pos_emb(x, cos, sin, rotate_every_two if interleaved else rotate_half)
