"""Original-BERT layout, post-LN, with Hugging Face's module names: embeddings (word + position,
then LayerNorm), encoder.layer[i] (attention.self.query/key/value, attention.output, intermediate,
output), and cls.predictions (transform + LayerNorm, then a decoder tied to the word embeddings)."""
import math

import torch
import torch.nn.functional as F
from torch import nn


class Embeddings(nn.Module):
    def __init__(self, vocab_size, hidden, max_len):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, hidden)
        self.position_embeddings = nn.Embedding(max_len, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, input_ids):
        positions = torch.arange(input_ids.size(1), device=input_ids.device).unsqueeze(0)
        return self.LayerNorm(self.word_embeddings(input_ids) + self.position_embeddings(positions))


class SelfAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.num_attention_heads = heads
        self.attention_head_size = hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)

    def split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.num_attention_heads, self.attention_head_size).permute(0, 2, 1, 3)

    def forward(self, hidden_states):
        q = self.split(self.query(hidden_states))
        k = self.split(self.key(hidden_states))
        v = self.split(self.value(hidden_states))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.attention_head_size)
        probs = F.softmax(scores, dim=-1)
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        b, t = context.shape[:2]
        return context.view(b, t, -1)


class SelfOutput(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.dense = nn.Linear(hidden, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, hidden_states, input_tensor):
        return self.LayerNorm(self.dense(hidden_states) + input_tensor)


class Attention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.self = SelfAttention(hidden, heads)
        self.output = SelfOutput(hidden)

    def forward(self, hidden_states):
        return self.output(self.self(hidden_states), hidden_states)


class Intermediate(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.dense = nn.Linear(hidden, 4 * hidden)

    def forward(self, hidden_states):
        return F.gelu(self.dense(hidden_states))


class Output(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.dense = nn.Linear(4 * hidden, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, hidden_states, input_tensor):
        return self.LayerNorm(self.dense(hidden_states) + input_tensor)


class Layer(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.attention = Attention(hidden, heads)
        self.intermediate = Intermediate(hidden)
        self.output = Output(hidden)

    def forward(self, hidden_states):
        attention_output = self.attention(hidden_states)
        return self.output(self.intermediate(attention_output), attention_output)


class Encoder(nn.Module):
    def __init__(self, hidden, layers, heads):
        super().__init__()
        self.layer = nn.ModuleList([Layer(hidden, heads) for _ in range(layers)])

    def forward(self, hidden_states):
        for layer in self.layer:
            hidden_states = layer(hidden_states)
        return hidden_states


class PredictionHeadTransform(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.dense = nn.Linear(hidden, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, hidden_states):
        return self.LayerNorm(F.gelu(self.dense(hidden_states)))


class LMPredictionHead(nn.Module):
    def __init__(self, hidden, vocab_size):
        super().__init__()
        self.transform = PredictionHeadTransform(hidden)
        self.decoder = nn.Linear(hidden, vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(vocab_size))

    def forward(self, hidden_states):
        return self.decoder(self.transform(hidden_states)) + self.bias


class OnlyMLMHead(nn.Module):
    def __init__(self, hidden, vocab_size):
        super().__init__()
        self.predictions = LMPredictionHead(hidden, vocab_size)

    def forward(self, sequence_output):
        return self.predictions(sequence_output)


class BertMLM(nn.Module):
    def __init__(self, vocab_size, d_model, n_layers, n_heads, max_len):
        super().__init__()
        self.vocab_size = vocab_size
        self.embeddings = Embeddings(vocab_size, d_model, max_len)
        self.encoder = Encoder(d_model, n_layers, n_heads)
        self.cls = OnlyMLMHead(d_model, vocab_size)
        self.apply(self._init_weights)
        self.cls.predictions.decoder.weight = self.embeddings.word_embeddings.weight

    @staticmethod
    def _init_weights(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            module.weight.data.normal_(mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            module.bias.data.zero_()
        if isinstance(module, nn.LayerNorm):
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()

    def forward(self, input_ids, labels=None):
        sequence_output = self.encoder(self.embeddings(input_ids))
        prediction_scores = self.cls(sequence_output)
        masked_lm_loss = None
        if labels is not None:
            masked_lm_loss = F.cross_entropy(prediction_scores.view(-1, self.vocab_size), labels.view(-1),
                                             ignore_index=-100)
        return prediction_scores, masked_lm_loss
