"""Reference for the `seq2seq` drill: an encoder-decoder Transformer (Vaswani et al., 2017) in the
style of nanoGPT, with pre-LN blocks.

The encoder is a stack of bidirectional self-attention blocks over the source (the tier's
`Block` with causal=False) and a final LayerNorm; its output, `memory` (B, S, d_model), is
computed once per source. Each decoder block has three branches, each on a LayerNorm of the
residual stream: causal self-attention over the target prefix, cross-attention (queries from
the decoder, keys and values from `memory`), and the MLP. Positions are learned, one table per
stream. The caller does the teacher forcing: `tgt_in` is the start token followed by the target
shifted right, and logits[:, t] scores target[:, t]; the model never shifts again.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from tfprep.content.reference_impls.gpt import MLP, Block, init_weights
from tfprep.content.reference_impls.mha_module import MultiHeadAttention


class CrossAttention(nn.Module):
    """Multi-head attention whose queries come from `x` (the decoder) and whose keys and values
    come from `memory` (the encoder output). No mask: every target position sees the whole source."""

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        self.n_heads = n_heads
        self.q = nn.Linear(d_model, d_model)
        self.kv = nn.Linear(d_model, 2 * d_model)  # output columns k | v, head h at h*dh:(h+1)*dh
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        S = memory.size(1)
        H, dh = self.n_heads, C // self.n_heads
        q = self.q(x).view(B, T, H, dh).transpose(1, 2)  # (B, H, T, dh)
        k, v = self.kv(memory).split(C, dim=2)  # each (B, S, C)
        k = k.view(B, S, H, dh).transpose(1, 2)  # (B, H, S, dh)
        v = v.view(B, S, H, dh).transpose(1, 2)  # (B, H, S, dh)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(dh)  # (B, H, T, S)
        att = att.softmax(dim=-1)
        y = att @ v  # (B, H, T, dh)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # (B, T, C): the heads side by side
        return self.proj(y)


class DecoderBlock(nn.Module):
    """Pre-LN decoder block: causal self-attention, cross-attention to memory, MLP."""

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.self_attn = MultiHeadAttention(d_model, n_heads, causal=True)
        self.ln2 = nn.LayerNorm(d_model)
        self.cross_attn = CrossAttention(d_model, n_heads)
        self.ln3 = nn.LayerNorm(d_model)
        self.mlp = MLP(d_model)

    def forward(self, x: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        x = x + self.self_attn(self.ln1(x))
        x = x + self.cross_attn(self.ln2(x), memory)  # memory is already normalised by the encoder
        return x + self.mlp(self.ln3(x))


class Seq2Seq(nn.Module):
    def __init__(self, src_vocab: int, tgt_vocab: int, d_model: int, n_heads: int, n_layers: int, max_len: int):
        super().__init__()
        self.max_len = max_len
        self.src_emb = nn.Embedding(src_vocab, d_model)
        self.src_pos = nn.Embedding(max_len, d_model)
        self.encoder = nn.ModuleList([Block(d_model, n_heads, causal=False) for _ in range(n_layers)])
        self.ln_enc = nn.LayerNorm(d_model)
        self.tgt_emb = nn.Embedding(tgt_vocab, d_model)
        self.tgt_pos = nn.Embedding(max_len, d_model)
        self.decoder = nn.ModuleList([DecoderBlock(d_model, n_heads) for _ in range(n_layers)])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, tgt_vocab, bias=False)
        self.apply(init_weights)

    def _check_len(self, n: int, what: str) -> None:
        if n > self.max_len:
            raise ValueError(f"{what} has {n} tokens, more than max_len={self.max_len}")

    def encode(self, src: torch.Tensor) -> torch.Tensor:
        """src (B, S) -> memory (B, S, d_model)."""
        S = src.size(1)
        self._check_len(S, "src")
        x = self.src_emb(src) + self.src_pos(torch.arange(S, device=src.device))  # (B, S, d_model)
        for block in self.encoder:
            x = block(x)
        return self.ln_enc(x)

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        """tgt_in (B, T), memory (B, S, d_model) -> logits (B, T, tgt_vocab); tgt_in is used as given."""
        T = tgt_in.size(1)
        self._check_len(T, "tgt_in")
        x = self.tgt_emb(tgt_in) + self.tgt_pos(torch.arange(T, device=tgt_in.device))  # (B, T, d_model)
        for block in self.decoder:
            x = block(x, memory)
        return self.head(self.ln_f(x))  # (B, T, tgt_vocab)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        return self.decode(tgt_in, self.encode(src))
