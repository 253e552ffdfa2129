# A correct solution in the style of Meta's LLaMA code, ported to NumPy: the frequencies and the
# angles are float32 (as `precompute_freqs_cis` makes them), the unit phasors come from a polar
# form, and each pair is rotated by one complex multiplication on a complex view of x.
import numpy as np


def precompute_freqs_cis(dim, positions, theta=10000.0):
    freqs = 1.0 / (theta ** (np.arange(0, dim, 2)[: (dim // 2)].astype(np.float32) / dim))
    t = np.asarray(positions).astype(np.float32)
    freqs = np.outer(t, freqs).astype(np.float32)  # (T, dim/2) angles, float32
    magnitude = np.ones_like(freqs)
    return magnitude * np.cos(freqs) + 1j * (magnitude * np.sin(freqs))  # polar(1, angle): complex64


def as_complex(x):
    """(..., d) real -> (..., d/2) complex, pairs (x[2i], x[2i+1]), like torch.view_as_complex."""
    x = np.ascontiguousarray(x, dtype=np.float64 if x.dtype == np.float64 else np.float32)
    return x.view(np.complex128 if x.dtype == np.float64 else np.complex64)


def as_real(z):
    """(..., d/2) complex -> (..., d) real, like torch.view_as_real(...).flatten(-2)."""
    z = np.ascontiguousarray(z)
    return z.view(np.float64 if z.dtype == np.complex128 else np.float32)


def apply_rope(x, positions, base=10000.0, interleaved=True):
    x = np.asarray(x)
    d = x.shape[-1]
    freqs_cis = precompute_freqs_cis(d, positions, theta=base)  # (T, d/2), broadcasts over (..., T, d/2)
    if interleaved:
        x_ = as_complex(x)
        return as_real(x_ * freqs_cis).astype(x.dtype)  # .type_as(x)
    # half-split layout: pair i is (x[i], x[i + d/2]); same complex product on the two halves
    x_ = x[..., : d // 2] + 1j * x[..., d // 2:]
    out = x_ * freqs_cis
    return np.concatenate([out.real, out.imag], axis=-1).astype(x.dtype)
