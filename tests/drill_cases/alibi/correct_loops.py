# A correct solution written differently from the reference: exponents, loops and a
# future half clamped to zero (only j <= i is graded).
import numpy as np


def alibi_slopes(n_heads):
    closest = 1
    while closest * 2 <= n_heads:
        closest *= 2
    slopes = [2.0 ** (-8.0 * (h + 1) / closest) for h in range(closest)]
    # odd exponents of the 2n' sequence: 2^(-8 (2k+1) / (2n')) = 2^(-4 (2k+1) / n')
    slopes += [2.0 ** (-4.0 * (2 * k + 1) / closest) for k in range(n_heads - closest)]
    return np.array(slopes)


def alibi_bias(n_heads, seq_len):
    slopes = alibi_slopes(n_heads)
    bias = np.zeros((n_heads, seq_len, seq_len))
    for h in range(n_heads):
        for i in range(seq_len):
            for j in range(i + 1):
                bias[h, i, j] = -slopes[h] * (i - j)
    return bias
