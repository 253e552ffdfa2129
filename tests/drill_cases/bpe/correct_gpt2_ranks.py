# A correct solution with GPT-2's encoder loop (the bigram of lowest rank, merged with
# list.index jumps) and a trainer that re-splits every word with the merges learned so far.
from collections import Counter


def _apply(word, first, second):
    new_word, i = [], 0
    while i < len(word):
        try:
            j = word.index(first, i)
        except ValueError:
            new_word.extend(word[i:])
            break
        new_word.extend(word[i:j])
        i = j
        if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
            new_word.append(first + second)
            i += 2
        else:
            new_word.append(word[i])
            i += 1
    return tuple(new_word)


def train_bpe(words, num_merges):
    merges = []
    while len(merges) < num_merges:
        vocab = _rebuild(words, merges)  # every word re-split with the merges so far
        counts = Counter()
        for word, freq in vocab.items():
            for a, b in zip(word, word[1:]):
                counts[a, b] += freq
        if not counts:
            break
        top = max(counts.values())
        merges.append(min(p for p, c in counts.items() if c == top))
    return merges


def _rebuild(words, merges):
    vocab = Counter()
    for w in words:
        t = tuple(w)
        for m in merges:
            t = _apply(t, *m)
        vocab[t] += 1
    return vocab


def bpe_encode(word, merges):
    ranks = {tuple(m): i for i, m in enumerate(merges)}
    word = tuple(word)
    while len(word) > 1:
        pairs = set(zip(word, word[1:]))
        bigram = min(pairs, key=lambda p: ranks.get(p, float("inf")))
        if bigram not in ranks:
            break
        word = _apply(word, *bigram)
    return list(word)
