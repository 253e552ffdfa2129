# expect-bug: temperature multiplied instead of divided
import math

import torch
import torch.nn.functional as F
from torch import nn


class Head(nn.Module):
    def __init__(self, d_model, dh):
        super().__init__()
        self.q = nn.Linear(d_model, dh, bias=False)
        self.k = nn.Linear(d_model, dh, bias=False)
        self.v = nn.Linear(d_model, dh, bias=False)

    def forward(self, x):
        T = x.shape[1]
        s = self.q(x) @ self.k(x).transpose(1, 2) / math.sqrt(self.q.out_features)
        s = s + torch.triu(torch.full((T, T), -1e9), diagonal=1)
        return s.softmax(-1) @ self.v(x)


class MultiHead(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.heads = nn.ModuleList(Head(d_model, d_model // n_heads) for _ in range(n_heads))
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x):
        return self.out(torch.cat([h(x) for h in self.heads], dim=-1))


class Block(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.sa = MultiHead(d_model, n_heads)
        self.ff = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.ReLU(), nn.Linear(4 * d_model, d_model))

    def forward(self, x):
        x = x + self.sa(self.n1(x))
        return x + self.ff(self.n2(x))


class GPT(nn.Module):
    def __init__(self, vocab_size, d_model, n_layers, n_heads, max_len, dropout=0.0):
        super().__init__()
        self.max_len = max_len
        self.wte = nn.Embedding(vocab_size, d_model)
        self.wpe = nn.Embedding(max_len, d_model)
        self.blocks = nn.ModuleList(Block(d_model, n_heads) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.drop = nn.Dropout(dropout)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(T)))
        for b in self.blocks:
            x = b(x)
        logits = F.linear(self.norm(x), self.wte.weight)
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
        for _ in range(max_new_tokens):
            logits = self(idx[:, -self.max_len:])[0][:, -1, :].double() * temperature
            probs = F.softmax(logits, dim=-1)
            if top_k is not None:
                vals, ids = torch.topk(probs, top_k, dim=-1)
                choice = torch.multinomial(vals / vals.sum(-1, keepdim=True), 1)
                nxt = ids.gather(1, choice)
            else:
                nxt = torch.multinomial(probs, 1)
            idx = torch.cat([idx, nxt], 1)
        return idx
