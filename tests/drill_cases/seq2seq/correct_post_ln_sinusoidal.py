# A correct solution in the style of the original Transformer: post-LN sublayers
# (LayerNorm(x + sublayer(x))), sinusoidal positions, embeddings scaled by sqrt(d_model),
# embeddings initialised with std d_model ** -0.5 as the paper's (so scaled they have unit size
# and do not drown the positions), separate q/k/v projections, attention written with einsum,
# ReLU feed-forward, a masked_fill of -1e9, no final LayerNorm beyond the sublayers' own.
import math

import torch
from torch import nn


def sinusoids(n_pos, d):
    pos = torch.arange(n_pos, dtype=torch.float32)[:, None]
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, d, 2, dtype=torch.float32) / d)
    table = torch.zeros(n_pos, d)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq[: d // 2])
    return table


class Attention(nn.Module):
    def __init__(self, d, h, causal=False):
        super().__init__()
        self.h, self.causal = h, causal
        self.w_q = nn.Linear(d, d)
        self.w_k = nn.Linear(d, d)
        self.w_v = nn.Linear(d, d)
        self.w_o = nn.Linear(d, d)

    def forward(self, query, source):
        b, t, d = query.shape
        s, h = source.shape[1], self.h
        q = self.w_q(query).reshape(b, t, h, d // h)
        k = self.w_k(source).reshape(b, s, h, d // h)
        v = self.w_v(source).reshape(b, s, h, d // h)
        scores = torch.einsum("bthe,bshe->bhts", q, k) / math.sqrt(d // h)
        if self.causal:
            future = torch.ones(t, s, dtype=torch.bool).triu(1)
            scores = scores.masked_fill(future, -1e9)
        weights = torch.softmax(scores, dim=-1)
        out = torch.einsum("bhts,bshe->bthe", weights, v).reshape(b, t, d)
        return self.w_o(out)


def ffn(d):
    return nn.Sequential(nn.Linear(d, 4 * d), nn.ReLU(), nn.Linear(4 * d, d))


class EncoderLayer(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.attn, self.norm1 = Attention(d, h), nn.LayerNorm(d)
        self.ff, self.norm2 = ffn(d), nn.LayerNorm(d)

    def forward(self, x):
        x = self.norm1(x + self.attn(x, x))
        return self.norm2(x + self.ff(x))


class DecoderLayer(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.self_attn, self.norm1 = Attention(d, h, causal=True), nn.LayerNorm(d)
        self.src_attn, self.norm2 = Attention(d, h), nn.LayerNorm(d)
        self.ff, self.norm3 = ffn(d), nn.LayerNorm(d)

    def forward(self, y, memory):
        y = self.norm1(y + self.self_attn(y, y))
        y = self.norm2(y + self.src_attn(y, memory))
        return self.norm3(y + self.ff(y))


class Seq2Seq(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, d_model, n_heads, n_layers, max_len):
        super().__init__()
        self.d = d_model
        self.src_embed = nn.Embedding(src_vocab, d_model)
        self.tgt_embed = nn.Embedding(tgt_vocab, d_model)
        self.register_buffer("pe", sinusoids(max_len, d_model), persistent=False)
        self.encoder_layers = nn.ModuleList([EncoderLayer(d_model, n_heads) for _ in range(n_layers)])
        self.decoder_layers = nn.ModuleList([DecoderLayer(d_model, n_heads) for _ in range(n_layers)])
        self.generator = nn.Linear(d_model, tgt_vocab)
        for table in (self.src_embed, self.tgt_embed):
            nn.init.normal_(table.weight, std=d_model ** -0.5)

    def embed(self, table, ids):
        return table(ids) * math.sqrt(self.d) + self.pe[: ids.shape[1]]

    def encode(self, src):
        x = self.embed(self.src_embed, src)
        for layer in self.encoder_layers:
            x = layer(x)
        return x

    def decode(self, tgt_in, memory):
        y = self.embed(self.tgt_embed, tgt_in)
        for layer in self.decoder_layers:
            y = layer(y, memory)
        return self.generator(y)

    def forward(self, src, tgt_in):
        return self.decode(tgt_in, self.encode(src))
