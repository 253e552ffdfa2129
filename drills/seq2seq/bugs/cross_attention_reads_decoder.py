# expect-bug: cross-attention keys/values taken from the decoder instead of the encoder output (the model ignores src)
# A plausible learner solution (pre-LN, learned positions) with one classic mistake: the cross-
# attention gets the decoder stream as keys/values instead of memory
import math

import torch
from torch import nn


class Attention(nn.Module):
    """Multi-head attention; keys and values come from `kv` (self-attention: kv is x)."""

    def __init__(self, d_model, n_heads, causal=False):
        super().__init__()
        self.h, self.causal = n_heads, causal
        self.q = nn.Linear(d_model, d_model)
        self.kv = nn.Linear(d_model, 2 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x, kv):
        B, T, C = x.shape
        S, dh = kv.shape[1], C // self.h
        q = self.q(x).view(B, T, self.h, dh).transpose(1, 2)
        k, v = self.kv(kv).chunk(2, dim=-1)
        k = k.view(B, S, self.h, dh).transpose(1, 2)
        v = v.view(B, S, self.h, dh).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        if self.causal:
            scores = scores.masked_fill(torch.ones(T, S, dtype=torch.bool).tril().logical_not(), float("-inf"))
        y = scores.softmax(-1) @ v
        return self.out(y.transpose(1, 2).reshape(B, T, C))


class MLP(nn.Sequential):
    def __init__(self, d_model):
        super().__init__(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))


class EncoderBlock(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = Attention(d_model, n_heads, causal=False)
        self.mlp = MLP(d_model)

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h)
        return x + self.mlp(self.norm2(x))


class DecoderBlock(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(d_model) for _ in range(3))
        self.self_attn = Attention(d_model, n_heads, causal=True)
        self.cross_attn = Attention(d_model, n_heads, causal=False)
        self.mlp = MLP(d_model)

    def forward(self, x, memory):
        h = self.norm1(x)
        x = x + self.self_attn(h, h)
        h = self.norm2(x)
        x = x + self.cross_attn(h, h)
        return x + self.mlp(self.norm3(x))


class Seq2Seq(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, d_model, n_heads, n_layers, max_len):
        super().__init__()
        self.src_tok = nn.Embedding(src_vocab, d_model)
        self.tgt_tok = nn.Embedding(tgt_vocab, d_model)
        self.src_pos = nn.Embedding(max_len, d_model)
        self.tgt_pos = nn.Embedding(max_len, d_model)
        self.encoder = nn.ModuleList(EncoderBlock(d_model, n_heads) for _ in range(n_layers))
        self.decoder = nn.ModuleList(DecoderBlock(d_model, n_heads) for _ in range(n_layers))
        self.enc_norm, self.dec_norm = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, tgt_vocab)

    def encode(self, src):
        x = self.src_tok(src) + self.src_pos(torch.arange(src.shape[1]))
        for block in self.encoder:
            x = block(x)
        return self.enc_norm(x)

    def decode(self, tgt_in, memory):
        x = self.tgt_tok(tgt_in) + self.tgt_pos(torch.arange(tgt_in.shape[1]))
        for block in self.decoder:
            x = block(x, memory)
        return self.head(self.dec_norm(x))

    def forward(self, src, tgt_in):
        return self.decode(tgt_in, self.encode(src))
