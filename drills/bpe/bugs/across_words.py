# expect-bug: counting pairs across word boundaries (pairs are counted inside each word only)
def _merge(symbols, pair):
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def train_bpe(words, num_merges):
    symbols = list("".join(words))  # the corpus as one stream of characters
    merges = []
    for _ in range(num_merges):
        counts = {}
        for pair in zip(symbols, symbols[1:]):
            counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        symbols = _merge(symbols, best)
    return merges


def bpe_encode(word, merges):
    symbols = list(word)
    for pair in merges:
        symbols = _merge(symbols, tuple(pair))
    return symbols
