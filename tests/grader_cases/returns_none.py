def scaled_dot_product_attention(q, k, v, mask=None):
    q @ k.swapaxes(-1, -2)
