# A correct solution in nanoGPT's style, written independently of the reference: pre-LN blocks, a
# fused c_attn for self-attention, learned positions, nn.Linear's default initialisation.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class SelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, causal):
        super().__init__()
        self.n_head, self.causal = n_head, causal
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        if self.causal:
            mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
            att = att.masked_fill(~mask, float("-inf"))
        y = F.softmax(att, dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class CrossAttention(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.n_head = n_head
        self.c_q = nn.Linear(n_embd, n_embd)
        self.c_kv = nn.Linear(n_embd, 2 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)

    def forward(self, x, enc):
        B, T, C = x.size()
        S = enc.size(1)
        hs = C // self.n_head
        q = self.c_q(x).view(B, T, self.n_head, hs).transpose(1, 2)
        k, v = self.c_kv(enc).split(C, dim=2)
        k = k.view(B, S, self.n_head, hs).transpose(1, 2)
        v = v.view(B, S, self.n_head, hs).transpose(1, 2)
        att = F.softmax((q @ k.transpose(-2, -1)) / math.sqrt(hs), dim=-1)
        return self.c_proj((att @ v).transpose(1, 2).contiguous().view(B, T, C))


class FeedForward(nn.Module):
    def __init__(self, n_embd):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.c_proj = nn.Linear(4 * n_embd, n_embd)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))


class EncoderLayer(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = SelfAttention(n_embd, n_head, causal=False)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = FeedForward(n_embd)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class DecoderLayer(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = SelfAttention(n_embd, n_head, causal=True)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.xattn = CrossAttention(n_embd, n_head)
        self.ln_3 = nn.LayerNorm(n_embd)
        self.mlp = FeedForward(n_embd)

    def forward(self, x, enc):
        x = x + self.attn(self.ln_1(x))
        x = x + self.xattn(self.ln_2(x), enc)
        return x + self.mlp(self.ln_3(x))


class Seq2Seq(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, d_model, n_heads, n_layers, max_len):
        super().__init__()
        self.enc_wte = nn.Embedding(src_vocab, d_model)
        self.enc_wpe = nn.Embedding(max_len, d_model)
        self.enc_h = nn.ModuleList(EncoderLayer(d_model, n_heads) for _ in range(n_layers))
        self.enc_ln_f = nn.LayerNorm(d_model)
        self.dec_wte = nn.Embedding(tgt_vocab, d_model)
        self.dec_wpe = nn.Embedding(max_len, d_model)
        self.dec_h = nn.ModuleList(DecoderLayer(d_model, n_heads) for _ in range(n_layers))
        self.dec_ln_f = nn.LayerNorm(d_model)
        self.lm_head = nn.Linear(d_model, tgt_vocab, bias=False)

    def encode(self, src):
        pos = torch.arange(src.size(1))
        x = self.enc_wte(src) + self.enc_wpe(pos)
        for layer in self.enc_h:
            x = layer(x)
        return self.enc_ln_f(x)

    def decode(self, tgt_in, memory):
        pos = torch.arange(tgt_in.size(1))
        x = self.dec_wte(tgt_in) + self.dec_wpe(pos)
        for layer in self.dec_h:
            x = layer(x, memory)
        return self.lm_head(self.dec_ln_f(x))

    def forward(self, src, tgt_in):
        return self.decode(tgt_in, self.encode(src))
