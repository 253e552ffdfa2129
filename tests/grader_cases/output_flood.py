import sys


def scaled_dot_product_attention(q, k, v, mask=None):
    chunk = "x" * (1 << 20)
    for _ in range(200):  # 200 MB
        sys.stdout.write(chunk)
    return q, q
