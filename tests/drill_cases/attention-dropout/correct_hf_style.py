# A correct solution in the style of Hugging Face's eager attention: compute the softmax in
# float32 (as they upcast it), cast back, then `nn.functional.dropout`'s recipe:
# mask = uniform >= p, weights * mask / (1 - p), and return the dropped weights.
import numpy as np


def _dropout(x, p, rng, training):
    if not training or p == 0.0:
        return x
    mask = rng.uniform(0.0, 1.0, size=x.shape) >= p
    return x * mask / (1.0 - p)


def attention_with_dropout(q, k, v, p, rng, training=True):
    attn = np.matmul(q, np.swapaxes(k, -2, -1)) * (q.shape[-1] ** -0.5)
    attn = attn.astype(np.float32)
    attn = np.exp(attn - attn.max(axis=-1, keepdims=True))
    attn = (attn / attn.sum(axis=-1, keepdims=True)).astype(q.dtype)
    attn = _dropout(attn, p, rng, training)
    return np.matmul(attn, v), attn
