# expect-bug: overlapping pairs not all counted (every adjacent position counts: 'aaa' holds (a, a) twice)
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
        counts = Counter()
        for word, freq in vocab.items():
            for pair in set(zip(word, word[1:])):  # each pair once per word
                counts[pair] += freq
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        vocab = Counter({_merge(w, best): f for w, f in vocab.items()})
    return merges


def bpe_encode(word, merges):
    ranks = {tuple(m): r for r, m in enumerate(merges)}
    symbols = tuple(word)
    while True:
        cands = [p for p in zip(symbols, symbols[1:]) if p in ranks]
        if not cands:
            return list(symbols)
        symbols = _merge(symbols, min(cands, key=ranks.get))
