# A correct solution in the style of Hugging Face's Mixtral block: softmax over all experts,
# top-k, renormalise; the loss from one-hot masks; the forward loops over experts with a mask.
import numpy as np


def _softmax(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def top_k_route(x, w_gate, k):
    probs = _softmax(x @ w_gate)
    experts = np.argsort(-probs, axis=-1, kind="stable")[..., :k]
    w = np.take_along_axis(probs, experts, axis=-1)
    return experts, w / w.sum(axis=-1, keepdims=True)


def load_balancing_loss(router_logits, experts, n_experts):
    probs = _softmax(router_logits).reshape(-1, n_experts)       # (N, E)
    k = experts.shape[-1]
    mask = np.eye(n_experts)[experts.reshape(-1, k)]              # (N, k, E)
    tokens_per_expert = mask.mean(axis=(0, 1))                    # fraction of the N*k slots
    return float(n_experts * np.sum(tokens_per_expert * probs.mean(axis=0)))


def moe_forward(x, w_gate, experts, k):
    shape = x.shape
    h = x.reshape(-1, shape[-1])
    idx, w = top_k_route(h, w_gate, k)
    out = np.zeros(h.shape, dtype=np.float64)
    for e, expert in enumerate(experts):
        rows, cols = np.where(idx == e)
        if len(rows) == 0:
            continue
        out[rows] += expert(h[rows]) * w[rows, cols][:, None]
    return out.reshape(shape).astype(np.result_type(x, np.float32))
