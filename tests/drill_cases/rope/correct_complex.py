# A correct solution written differently from the reference: pairs as complex numbers, rotated by
# multiplying with e^{i p theta} (the way Meta's LLaMA code does it).
import numpy as np


def apply_rope(x, positions, base=10000.0, interleaved=True):
    x = np.asarray(x, dtype=np.float64)
    d = x.shape[-1]
    theta = np.exp(-np.log(base) * np.arange(0, d, 2) / d)
    phasor = np.exp(1j * np.multiply.outer(np.asarray(positions, dtype=np.float64), theta))  # (T, d/2)
    if interleaved:
        z = x[..., 0::2] + 1j * x[..., 1::2]
    else:
        z = x[..., : d // 2] + 1j * x[..., d // 2:]
    z = z * phasor
    out = np.empty_like(x)
    if interleaved:
        out[..., 0::2], out[..., 1::2] = z.real, z.imag
    else:
        out[..., : d // 2], out[..., d // 2:] = z.real, z.imag
    return out
