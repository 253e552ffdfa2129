"""Reference for the `bert-mlm` drill: a small BERT-style encoder trained by masked language
modelling (Devlin et al., 2019, "BERT: Pre-training of Deep Bidirectional Transformers for
Language Understanding", sections 3.1 and A.1).

    x      = tok_emb(input_ids) + pos_emb(0..T-1)             (B, T, d_model)
    x      = Block(x) n_layers times, attention NOT causal    every token sees every token
    logits = decoder(LN(gelu(dense(ln_f(x))))) + bias          (B, T, V), decoder tied to tok_emb
    loss   = mean over positions with labels != -100 of -log softmax(logits)[label]

Differences from the paper's model, on purpose: pre-LN blocks (the tier's shared `Block`, as in
nanoGPT) with a final LayerNorm instead of post-LN blocks after an embedding LayerNorm (both
train; pre-LN is the more forgiving), no token-type (segment) embeddings and no next-sentence
head, since the drill is MLM alone. The head is BERT's: a dense transform + GELU + LayerNorm,
then a decoder whose weight is the token embedding (tied, as BERT and Hugging Face do) with a
bias of its own per vocabulary entry.

Dimension legend: see reference_impls/README.md (B batch, T tokens, V vocabulary size).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tfprep.content.reference_impls.gpt import Block, init_weights

IGNORE_INDEX = -100  # F.cross_entropy's default ignore_index: the label of every unmasked position


class MLMHead(nn.Module):
    """BERT's prediction head: transform (dense -> GELU -> LayerNorm), then decode to the vocabulary."""

    def __init__(self, d_model: int, vocab_size: int):
        super().__init__()
        self.dense = nn.Linear(d_model, d_model)
        self.ln = nn.LayerNorm(d_model)
        self.decoder = nn.Linear(d_model, vocab_size)  # weight replaced by the token embedding's

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.ln(F.gelu(self.dense(x))))  # (B, T, V)


class BertMLM(nn.Module):
    def __init__(self, vocab_size: int, d_model: int, n_layers: int, n_heads: int, max_len: int):
        super().__init__()
        self.max_len = max_len
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(max_len, d_model)
        self.blocks = nn.ModuleList([Block(d_model, n_heads, causal=False) for _ in range(n_layers)])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = MLMHead(d_model, vocab_size)
        self.apply(init_weights)
        self.head.decoder.weight = self.tok_emb.weight  # weight tying: one (V, d_model) matrix

    def forward(self, input_ids: torch.Tensor, labels: torch.Tensor | None = None):
        B, T = input_ids.shape
        if T > self.max_len:
            raise ValueError(f"sequence of {T} tokens is longer than max_len={self.max_len}")
        pos = torch.arange(T, device=input_ids.device)  # (T,)
        x = self.tok_emb(input_ids) + self.pos_emb(pos)  # (B, T, d_model)
        for block in self.blocks:
            x = block(x)  # (B, T, d_model): bidirectional self-attention, no mask
        logits = self.head(self.ln_f(x))  # (B, T, V): a prediction at every position
        loss = None
        if labels is not None:
            # Only the masked positions carry a label; the others hold -100 and are left out of
            # both the sum and the count, so the loss is a mean over the masked positions.
            loss = F.cross_entropy(logits.view(B * T, -1), labels.reshape(B * T), ignore_index=IGNORE_INDEX)
        return logits, loss
