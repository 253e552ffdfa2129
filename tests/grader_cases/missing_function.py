import numpy as np


def attention(q, k, v, mask=None):  # wrong name
    return q, q
