"""Outside oracles shared by several oracle tests (torch on the CPU); import after importorskip."""
import numpy as np
import torch

F = torch.nn.functional


def torch_mha(x, w_q, w_k, w_v, w_o, n_heads, mask=None, context=None):
    """torch's MHA on the same weights: it computes x @ W^T in (T, B, D) layout and its bool
    attn_mask marks positions that may NOT attend, the opposite of ours."""
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    c = x if context is None else context
    query, kv = t(x).transpose(0, 1), t(c).transpose(0, 1)  # (T, B, D), (S, B, D)
    attn_mask = None
    if mask is not None:
        B, T, S = x.shape[0], x.shape[1], c.shape[1]
        full = np.broadcast_to(mask, (B, n_heads, T, S)).reshape(B * n_heads, T, S)
        attn_mask = t(~full)
    out, _ = F.multi_head_attention_forward(
        query, kv, kv, x.shape[-1], n_heads,
        in_proj_weight=t(np.concatenate([w_q.T, w_k.T, w_v.T])), in_proj_bias=None,
        bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0,
        out_proj_weight=t(w_o.T), out_proj_bias=None, training=False,
        need_weights=False, attn_mask=attn_mask)
    return out.transpose(0, 1).numpy()  # (B, T, D)
