# expect-bug: position embeddings missing (every position looks the same)
import torch
import torch.nn.functional as F
from torch import nn


class GPTAttention(nn.Module):
    def __init__(self, hidden_size, num_heads, max_positions):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = hidden_size // num_heads
        self.q_proj = nn.Linear(hidden_size, hidden_size)
        self.k_proj = nn.Linear(hidden_size, hidden_size)
        self.v_proj = nn.Linear(hidden_size, hidden_size)
        self.out_proj = nn.Linear(hidden_size, hidden_size)
        causal = torch.tril(torch.ones(max_positions, max_positions, dtype=torch.bool))
        self.register_buffer("causal_mask", causal, persistent=False)

    def _heads(self, t):
        batch, seq, _ = t.shape
        return t.reshape(batch, seq, self.num_heads, self.head_dim)

    def forward(self, hidden_states):
        seq = hidden_states.shape[1]
        q = self._heads(self.q_proj(hidden_states))
        k = self._heads(self.k_proj(hidden_states))
        v = self._heads(self.v_proj(hidden_states))
        scores = torch.einsum("bqhd,bkhd->bhqk", q, k) / self.head_dim ** 0.5
        mask = self.causal_mask[:seq, :seq]
        scores = torch.where(mask, scores, torch.finfo(scores.dtype).min)
        probs = scores.softmax(dim=-1)
        context = torch.einsum("bhqk,bkhd->bqhd", probs, v).flatten(2)
        return self.out_proj(context)


class GPTMLP(nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.up_proj = nn.Linear(hidden_size, 4 * hidden_size)
        self.down_proj = nn.Linear(4 * hidden_size, hidden_size)

    def forward(self, x):
        return self.down_proj(F.gelu(self.up_proj(x), approximate="tanh"))


class GPTDecoderLayer(nn.Module):
    def __init__(self, hidden_size, num_heads, max_positions):
        super().__init__()
        self.input_layernorm = nn.LayerNorm(hidden_size)
        self.self_attn = GPTAttention(hidden_size, num_heads, max_positions)
        self.post_attention_layernorm = nn.LayerNorm(hidden_size)
        self.mlp = GPTMLP(hidden_size)

    def forward(self, hidden_states):
        residual = hidden_states
        hidden_states = residual + self.self_attn(self.input_layernorm(hidden_states))
        residual = hidden_states
        return residual + self.mlp(self.post_attention_layernorm(hidden_states))


class GPT(nn.Module):
    def __init__(self, vocab_size, d_model, n_layers, n_heads, max_len):
        super().__init__()
        self.max_position_embeddings = max_len
        self.embed_tokens = nn.Embedding(vocab_size, d_model)
        self.layers = nn.ModuleList(GPTDecoderLayer(d_model, n_heads, max_len) for _ in range(n_layers))
        self.final_layer_norm = nn.LayerNorm(d_model)
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False)
        self.lm_head.weight = self.embed_tokens.weight

    def forward(self, idx, targets=None):
        hidden_states = self.embed_tokens(idx)
        for layer in self.layers:
            hidden_states = layer(hidden_states)
        logits = self.lm_head(self.final_layer_norm(hidden_states))
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.flatten(0, 1), targets.flatten())

    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
        was_training = self.training
        self.eval()
        with torch.no_grad():
            for _ in range(max_new_tokens):
                window = idx[:, -self.max_position_embeddings:]
                next_logits = self(window)[0][:, -1, :]
                next_logits = next_logits / temperature
                if top_k is not None:
                    sorted_logits = torch.sort(next_logits, dim=-1, descending=True).values
                    threshold = sorted_logits[:, min(top_k, sorted_logits.shape[-1]) - 1].unsqueeze(-1)
                    next_logits = next_logits.masked_fill(next_logits < threshold, float("-inf"))
                dist = torch.distributions.Categorical(logits=next_logits)
                idx = torch.cat([idx, dist.sample().unsqueeze(-1)], dim=-1)
        self.train(was_training)
        return idx
