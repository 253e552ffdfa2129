# A correct solution with plain Python loops per token: a hand-written top-k (largest first,
# first index wins a tie) and experts called one token at a time; float32 gate like GPU kernels.
import math

import numpy as np


def _top_k(row, k):
    order = sorted(range(len(row)), key=lambda e: (-float(row[e]), e))
    return order[:k]


def top_k_route(x, w_gate, k):
    logits = np.asarray(x @ w_gate)
    flat = logits.reshape(-1, logits.shape[-1])
    idx = np.zeros((flat.shape[0], k), dtype=np.int64)
    wts = np.zeros((flat.shape[0], k), dtype=np.float32)
    for t, row in enumerate(flat):
        chosen = _top_k(row, k)
        m = max(float(row[e]) for e in chosen)
        ex = [math.exp(float(row[e]) - m) for e in chosen]
        s = sum(ex)
        idx[t] = chosen
        wts[t] = [v / s for v in ex]
    return idx.reshape(*logits.shape[:-1], k), wts.reshape(*logits.shape[:-1], k)


def load_balancing_loss(router_logits, experts, n_experts):
    r = np.asarray(router_logits, dtype=np.float64).reshape(-1, n_experts)
    counts = [0] * n_experts
    slots = 0
    for e in np.asarray(experts).ravel():
        counts[int(e)] += 1
        slots += 1
    P = [0.0] * n_experts
    for row in r:
        m = row.max()
        ex = np.exp(row - m)
        ex /= ex.sum()
        for i in range(n_experts):
            P[i] += ex[i] / len(r)
    return n_experts * sum(counts[i] / slots * P[i] for i in range(n_experts))


def moe_forward(x, w_gate, experts, k):
    idx, wts = top_k_route(x, w_gate, k)
    xf = x.reshape(-1, x.shape[-1])
    idx, wts = idx.reshape(-1, k), wts.reshape(-1, k)
    y = np.zeros(xf.shape, dtype=np.float64)
    for t in range(xf.shape[0]):
        for j in range(k):
            y[t] += float(wts[t, j]) * experts[idx[t, j]](xf[t])
    return y.reshape(x.shape)
