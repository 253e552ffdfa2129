# expect-bug: softmax over all experts then not renormalised (the k weights must be a softmax over the chosen logits)
import numpy as np


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def top_k_route(x, w_gate, k):
    probs = _softmax(x @ w_gate)
    experts = np.argsort(-probs, axis=-1, kind="stable")[..., :k]
    return experts, np.take_along_axis(probs, experts, axis=-1)   # Switch-style gate, k > 1


def load_balancing_loss(router_logits, experts, n_experts):
    probs = _softmax(router_logits).reshape(-1, n_experts)
    f = np.bincount(experts.ravel(), minlength=n_experts) / experts.size
    return float(n_experts * np.dot(f, probs.mean(0)))


def moe_forward(x, w_gate, experts, k):
    idx, w = top_k_route(x, w_gate, k)
    xf, idx, w = x.reshape(-1, x.shape[-1]), idx.reshape(-1, k), w.reshape(-1, k)
    y = np.zeros_like(xf)
    for t in range(xf.shape[0]):
        for j in range(k):
            y[t] += w[t, j] * experts[idx[t, j]](xf[t:t + 1])[0]
    return y.reshape(x.shape)
