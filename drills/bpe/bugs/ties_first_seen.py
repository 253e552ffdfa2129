# expect-bug: ties broken differently (equal counts go to the smallest (left, right) tuple)
from collections import Counter


def _merge(symbols, pair):
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return tuple(out)


def train_bpe(words, num_merges):
    vocab = Counter(tuple(w) for w in words)
    merges = []
    for _ in range(num_merges):
        counts = {}
        for word, freq in vocab.items():
            for pair in zip(word, word[1:]):
                counts[pair] = counts.get(pair, 0) + freq
        if not counts:
            break
        best = max(counts, key=counts.get)  # the first pair seen wins a tie
        merges.append(best)
        vocab = Counter({_merge(w, best): f for w, f in vocab.items()})
    return merges


def bpe_encode(word, merges):
    symbols = tuple(word)
    for pair in merges:
        symbols = _merge(symbols, tuple(pair))
    return list(symbols)
