# A correct solution with exact rational arithmetic (fractions) and the quadratic solved by hand.
from fractions import Fraction


def count_params(d_model, n_layers, vocab, d_ff=None):
    d = Fraction(d_model)
    ff = 4 * d if d_ff is None else Fraction(d_ff)
    total = n_layers * (4 * d * d + 2 * d * ff) + vocab * d
    assert total.denominator == 1
    return int(total)


def train_flops(n_params, n_tokens):
    # Fraction(np.int64(...)) would keep the int64 (and overflow): go through float first.
    return float(6 * Fraction(float(n_params)) * Fraction(float(n_tokens)))


def chinchilla_optimal(compute_flops):
    # C = 6 * N * (20 * N) = 120 * N**2
    n = (compute_flops / 120) ** 0.5
    return n, 20 * n
