"""Drill: a BERT-style masked language model (PyTorch).

Implement `BertMLM`. Run `tfprep drill bert-mlm` to grade this file.
Write attention yourself: F.scaled_dot_product_attention, nn.MultiheadAttention and
nn.Transformer* are refused.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn


class BertMLM(nn.Module):
    """An encoder-only Transformer trained by masked language modelling.

    Args:
        vocab_size: V, the number of token ids (0 .. V-1).
        d_model: the model width; divisible by n_heads.
        n_layers: the number of Transformer blocks.
        n_heads: attention heads per block.
        max_len: the longest sequence; positions 0 .. max_len-1 get learned embeddings.
    """

    def __init__(self, vocab_size, d_model, n_layers, n_heads, max_len):
        super().__init__()
        raise NotImplementedError

    def forward(self, input_ids, labels=None):
        """input_ids: (B, T) int64, T <= max_len. labels: None or (B, T) int64 holding the original
        token at each masked position and -100 everywhere else.

        Returns (logits, loss): logits (B, T, V) float32 at every position; loss = the mean
        cross-entropy over the positions whose label is not -100 (a 0-dim tensor), or None
        without labels.
        """
        raise NotImplementedError
