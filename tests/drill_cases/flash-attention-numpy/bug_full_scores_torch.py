# expect-bug: refused: computes with torch instead of NumPy
import numpy as np
import torch


def flash_attention(q, k, v, block_size=64, causal=False):
    # Exact, but the (N, N) scores live in a torch tensor, and the drill is NumPy code
    qt, kt, vt = (torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)) for a in (q, k, v))
    s = qt @ kt.T / np.sqrt(q.shape[1])
    if causal:
        s = s.masked_fill(torch.ones_like(s, dtype=torch.bool).triu(1), float("-inf"))
    return torch.softmax(s, dim=-1).matmul(vt).numpy()
