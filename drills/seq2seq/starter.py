"""Drill: an encoder-decoder Transformer (PyTorch).

Implement `Seq2Seq`. Run `tfprep drill seq2seq` to grade this file.
"""
import math  # noqa: F401

import torch  # noqa: F401
import torch.nn.functional as F  # noqa: F401
from torch import nn


class Seq2Seq(nn.Module):
    """Encoder (bidirectional self-attention + MLP) and decoder (causal self-attention,
    cross-attention to the encoder output, MLP), then a Linear head to tgt_vocab logits.

    Args:
        src_vocab, tgt_vocab: vocabulary sizes of the source and the target.
        d_model: model width; n_heads divides it.
        n_heads: attention heads (every attention of the model).
        n_layers: encoder blocks, and as many decoder blocks.
        max_len: the longest src or tgt_in the model accepts (S, T <= max_len).
    """

    def __init__(self, src_vocab, tgt_vocab, d_model, n_heads, n_layers, max_len):
        super().__init__()
        raise NotImplementedError

    def encode(self, src):
        """src (B, S) int64 -> memory (B, S, d_model): the encoder output; no mask."""
        raise NotImplementedError

    def decode(self, tgt_in, memory):
        """tgt_in (B, T) int64, memory (B, S, d_model) -> logits (B, T, tgt_vocab) float32.

        tgt_in is already the start token followed by the target shifted right: use it as
        given. Position t may see tgt_in[:, :t+1] and the whole of memory.
        """
        raise NotImplementedError

    def forward(self, src, tgt_in):
        """logits (B, T, tgt_vocab) = decode(tgt_in, encode(src)); S and T may differ."""
        raise NotImplementedError
