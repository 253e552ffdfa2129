# expect-bug: refused: uses tfprep's own reference implementations or content
from tfprep.content.reference_impls.attention import scaled_dot_product_attention as _theirs


def scaled_dot_product_attention(q, k, v, mask=None):
    return _theirs(q, k, v, mask)
