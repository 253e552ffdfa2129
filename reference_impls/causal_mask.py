"""Causal (autoregressive) attention mask, bottom-right aligned (Vaswani et al., 2017, sec. 3.2.3:
"prevent leftward information flow in the decoder").

    mask[i, j] = j <= i + (S - T)        (True = query i may attend to key j)

With T queries and S >= T keys the queries are the *last* T positions of the sequence (decoding
with a cache, chunked prefill): the last query sees every key. This is the alignment of
FlashAttention-2 and `torch.nn.attention.bias.causal_lower_right`; `is_causal=True` in
`F.scaled_dot_product_attention` is top-left aligned instead, which only agrees when T == S.
"""
from __future__ import annotations

import numpy as np


def causal_mask(lq: int, lk: int | None = None) -> np.ndarray:
    """Bool (T, S) with T = lq, S = lk (default lq); True where query i may attend to key j."""
    lk = lq if lk is None else lk
    # tril's diagonal offset k keeps j - i <= k; shifting it by S - T aligns the last query with
    # the last key. When T > S the first T - S queries see no key at all.
    return np.tril(np.ones((lq, lk), dtype=bool), k=lk - lq)  # (T, S)
