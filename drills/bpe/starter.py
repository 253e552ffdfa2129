"""Drill: byte-pair encoding, training and encoding (plain Python / NumPy).

Implement `train_bpe` and `bpe_encode`. Run `tfprep drill bpe` to grade this file.
"""


def train_bpe(words, num_merges):
    """Learn BPE merges on characters.

    Args:
        words: list of str; each word starts split into characters, and a word listed k times
            counts k times.
        num_merges: how many merges to learn at most.

    Returns:
        list of (left, right) tuples of str, in the order learned. Pairs are counted at every
        adjacent position inside each word (overlaps included, never across words); the most
        frequent pair is merged everywhere (left to right); ties go to the smallest
        (left, right) tuple; training stops early when no pair is left.
    """
    raise NotImplementedError


def bpe_encode(word, merges):
    """Split `word` into symbols with learned merges.

    Args:
        word: str.
        merges: list of (left, right) tuples, in the order learned.

    Returns:
        list of str that spell `word`: starting from its characters, the learned merge of
        lowest rank (earliest learned) among the adjacent pairs is applied everywhere, again
        and again, until no adjacent pair is a learned merge.
    """
    raise NotImplementedError
