# expect-bug: greedy longest match instead of rank order (merges are replayed, earliest learned first)
from collections import Counter


def train_bpe(words, num_merges):
    vocab = Counter(tuple(w) for w in words)
    merges = []
    for _ in range(num_merges):
        counts = Counter()
        for word, freq in vocab.items():
            for pair in zip(word, word[1:]):
                counts[pair] += freq
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        new = Counter()
        for word, freq in vocab.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            new[tuple(out)] += freq
        vocab = new
    return merges


def bpe_encode(word, merges):
    # the vocabulary of every token the merges can build, matched longest-first from the left
    vocab = set(word) | {a + b for a, b in merges}
    tokens, i = [], 0
    while i < len(word):
        for j in range(len(word), i, -1):
            if word[i:j] in vocab or j == i + 1:
                tokens.append(word[i:j])
                i = j
                break
    return tokens
