"""Drill: a small GPT (PyTorch).

Implement `GPT`. Run `tfprep drill gpt` to grade this file (on the CPU, a few seconds).

Write the attention yourself: F.scaled_dot_product_attention, nn.MultiheadAttention and
nn.Transformer* are refused. Small helper modules (attention, MLP, block) are welcome.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn


class GPT(nn.Module):
    """A decoder-only Transformer language model.

    idx (B, T) -> token embedding + learned position embedding -> n_layers pre-LN blocks
    (x = x + attn(ln1(x)); x = x + mlp(ln2(x)), causal attention) -> final LayerNorm
    -> output head whose weight IS the token embedding's (vocab_size, d_model) matrix.
    """

    def __init__(self, vocab_size, d_model, n_layers, n_heads, max_len):
        super().__init__()
        raise NotImplementedError

    def forward(self, idx, targets=None):
        """idx: (B, T) int64 token ids, T <= max_len. targets: None or (B, T) int64, already
        shifted by the caller (targets[:, t] is the token that follows idx[:, t]).

        Returns (logits, loss): logits (B, T, vocab_size) for every position; loss the mean
        F.cross_entropy over all B*T positions (a scalar tensor), or None without targets.
        """
        raise NotImplementedError

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
        """Append max_new_tokens sampled tokens to idx (B, T) one at a time and return the
        whole (B, T + max_new_tokens) int64 tensor, the prompt unchanged in front.

        Each step: the model sees only the last max_len tokens; the last position's logits are
        divided by temperature; with top_k, all but the top_k largest are set to -inf; then a
        token is drawn from the softmax (torch.multinomial).
        """
        raise NotImplementedError
