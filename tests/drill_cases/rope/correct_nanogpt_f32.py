# A correct solution in the style of small GPT training scripts (nanoGPT forks, llama2.c's
# model.py): cos/sin tables precomputed in float32 for positions 0..max_len-1 and cached, looked
# up by position, then x1 * cos - x2 * sin / x1 * sin + x2 * cos on the two members of each pair.
import numpy as np

_cache = {}


def _rotary_tables(head_dim, max_len, base):
    key = (head_dim, base)
    if key not in _cache or _cache[key][0].shape[0] < max_len:
        n = max(max_len, 1024)  # like a block_size; regrown if a longer sequence arrives
        channel_range = np.arange(0, head_dim, 2, dtype=np.float32)
        inv_freq = 1.0 / (base ** (channel_range / head_dim))
        t = np.arange(n, dtype=np.float32)
        freqs = np.outer(t, inv_freq)  # (n, head_dim/2)
        _cache[key] = (np.cos(freqs), np.sin(freqs))
    return _cache[key]


def apply_rope(x, positions, base=10000.0, interleaved=True):
    d = x.shape[-1]
    positions = np.asarray(positions)
    cos, sin = _rotary_tables(d, int(positions.max()) + 1, base)
    cos, sin = cos[positions], sin[positions]  # (T, d/2)
    if interleaved:
        x1, x2 = x[..., 0::2], x[..., 1::2]
    else:
        x1, x2 = x[..., : d // 2], x[..., d // 2:]
    y1 = x1 * cos - x2 * sin
    y2 = x1 * sin + x2 * cos
    if interleaved:
        return np.stack([y1, y2], axis=-1).reshape(x.shape)
    return np.concatenate([y1, y2], axis=-1)
