# A correct solution in the style of Sennrich et al.'s reference script: each word kept as a
# space-separated string, pairs merged with a regular expression bounded by whitespace.
import re
from collections import defaultdict


def _stats(vocab):
    pairs = defaultdict(int)
    for word, freq in vocab.items():
        symbols = word.split()
        for i in range(len(symbols) - 1):
            pairs[symbols[i], symbols[i + 1]] += freq
    return pairs


def _merge(pair, vocab):
    bigram = re.escape(" ".join(pair))
    pattern = re.compile(r"(?<!\S)" + bigram + r"(?!\S)")
    return {pattern.sub("".join(pair), word): freq for word, freq in vocab.items()}


def train_bpe(words, num_merges):
    vocab = defaultdict(int)
    for w in words:
        vocab[" ".join(w)] += 1
    merges = []
    for _ in range(num_merges):
        pairs = _stats(vocab)
        if not pairs:
            break
        best = sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        vocab = _merge(best, vocab)
        merges.append(best)
    return merges


def bpe_encode(word, merges):
    # Replaying the merges in the order learned gives the same result as the rank loop when,
    # as here, every merge's parts come from earlier merges.
    text = " ".join(word)
    for pair in merges:
        bigram = re.escape(" ".join(pair))
        text = re.sub(r"(?<!\S)" + bigram + r"(?!\S)", "".join(pair), text)
    return text.split()
