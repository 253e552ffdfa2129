"""Byte-pair encoding, trained on characters (Sennrich, Haddow and Birch, 2016, "Neural Machine
Translation of Rare Words with Subword Units", sec. 3.2 and Algorithm 1; the merge-by-rank
encoder is the one GPT-2's tokenizer uses).

Training: start from each word split into characters. Repeatedly count every adjacent pair of
symbols inside each word (overlapping pairs count: "aaa" holds (a, a) twice; a word listed k
times counts k times; pairs never span two words), merge the most frequent pair everywhere
(left to right, non-overlapping), and record it:

    (x, y)* = argmax_{(x, y)} count(x, y),   ties -> the smallest (x, y) as a tuple of str

Encoding: split the word into characters and, while any adjacent pair is a learned merge,
merge the pair of lowest rank (learned earliest) everywhere in the word.
"""
from __future__ import annotations

from collections import Counter


def _merge_word(symbols: tuple[str, ...], pair: tuple[str, str]) -> tuple[str, ...]:
    """Replace every occurrence of `pair` in `symbols`, scanning left to right (non-overlapping)."""
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return tuple(out)


def pair_counts(vocab: Counter) -> Counter:
    """Counts of adjacent symbol pairs over a vocabulary {symbols of a word: frequency}."""
    counts: Counter = Counter()
    for symbols, freq in vocab.items():
        for pair in zip(symbols, symbols[1:]):  # within the word only
            counts[pair] += freq
    return counts


def train_bpe(words: list[str], num_merges: int) -> list[tuple[str, str]]:
    """The first `num_merges` merges learned on `words` (fewer when no pair is left)."""
    vocab = Counter(tuple(w) for w in words)  # {symbols: how many times the word occurs}
    merges = []
    for _ in range(num_merges):
        counts = pair_counts(vocab)
        if not counts:
            break  # every word is a single symbol
        # Highest count first; among equal counts, the smallest (left, right) tuple.
        best = min(counts, key=lambda pair: (-counts[pair], pair))
        merges.append(best)
        new_vocab: Counter = Counter()
        for symbols, freq in vocab.items():
            new_vocab[_merge_word(symbols, best)] += freq
        vocab = new_vocab
    return merges


def bpe_encode(word: str, merges: list[tuple[str, str]]) -> list[str]:
    """Split `word` into the symbols the merges produce, applying the earliest-learned first."""
    rank = {tuple(pair): r for r, pair in enumerate(merges)}
    symbols = tuple(word)
    while len(symbols) > 1:
        pairs = [p for p in zip(symbols, symbols[1:]) if p in rank]
        if not pairs:
            break
        symbols = _merge_word(symbols, min(pairs, key=rank.__getitem__))
    return list(symbols)
