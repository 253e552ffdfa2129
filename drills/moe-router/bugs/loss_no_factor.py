# expect-bug: load-balancing loss missing the n_experts factor (or a mean over experts in place of the sum)
import numpy as np


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def top_k_route(x, w_gate, k):
    logits = x @ w_gate
    experts = np.argsort(-logits, axis=-1, kind="stable")[..., :k]
    return experts, _softmax(np.take_along_axis(logits, experts, axis=-1))


def load_balancing_loss(router_logits, experts, n_experts):
    probs = _softmax(router_logits).reshape(-1, n_experts)
    f = np.bincount(experts.ravel(), minlength=n_experts) / experts.size
    return float(np.sum(f * probs.mean(0)))   # forgot the n_experts factor


def moe_forward(x, w_gate, experts, k):
    idx, w = top_k_route(x, w_gate, k)
    xf, idx, w = x.reshape(-1, x.shape[-1]), idx.reshape(-1, k), w.reshape(-1, k)
    y = np.zeros_like(xf)
    for e, f in enumerate(experts):
        tok, slot = np.nonzero(idx == e)
        if tok.size:
            y[tok] += w[tok, slot, None] * f(xf[tok])
    return y.reshape(x.shape)
