"""The BPE reference against merges and encodings worked by hand on toy corpora."""
from tfprep.content.reference_impls.bpe import bpe_encode, train_bpe


def test_sennrich_toy_corpus():
    # Sennrich et al. (2016), sec. 3.2, without the end-of-word marker. Counts at the start:
    # (e,s) 9, (s,t) 9, (w,e) 8, (l,o) 7, (o,w) 7, (n,e) 6, (e,w) 6, ... ; ties -> smallest tuple.
    words = ["low"] * 5 + ["lower"] * 2 + ["newest"] * 6 + ["widest"] * 3
    assert train_bpe(words, 100) == [
        ("e", "s"), ("es", "t"), ("l", "o"), ("lo", "w"), ("e", "w"), ("ew", "est"), ("n", "ewest"),
        ("d", "est"), ("i", "dest"), ("w", "idest"), ("e", "r"), ("low", "er")]
    assert train_bpe(words, 3) == [("e", "s"), ("es", "t"), ("l", "o")]


def test_overlaps_counted_and_merged_left_to_right():
    # 'aaaa': (a,a) at 3 positions ties (a,b) 3 -> (a,a) wins on the tuple; 'aaaa' -> aa aa.
    assert train_bpe(["aaaa", "ab", "ab", "ab"], 9) == [("a", "a"), ("a", "b"), ("aa", "aa")]
    # 'aaa' -> aa a (left to right), so (aa, a) is the next pair.
    assert train_bpe(["aaa"], 9) == [("a", "a"), ("aa", "a")]


def test_pairs_stay_inside_words_and_training_stops():
    assert train_bpe(["ab", "ba", "ab", "ba"], 10) == [("a", "b"), ("b", "a")]
    assert train_bpe(["a", "b"], 4) == []
    assert train_bpe([], 4) == []


def test_tuple_tie_break():
    # (b,z) 5; then (a,b), (a,bz), (b,a) at 2 -> (a,b); then (a,bz) vs (ab,a) at 2: 'a' < 'ab'.
    words = ["abz", "abz", "aba", "aba", "bz", "bz", "bz"]
    assert train_bpe(words, 4) == [("b", "z"), ("a", "b"), ("a", "bz"), ("ab", "a")]


def test_encode_by_rank():
    sennrich = train_bpe(["low"] * 5 + ["lower"] * 2 + ["newest"] * 6 + ["widest"] * 3, 100)
    assert bpe_encode("lowest", sennrich) == ["low", "est"]
    assert bpe_encode("newer", sennrich) == ["n", "ew", "er"]
    assert bpe_encode("wider", sennrich) == ["w", "i", "d", "er"]
    assert bpe_encode("abcd", [("a", "b"), ("c", "d"), ("b", "c"), ("a", "bc")]) == ["ab", "cd"]
    assert bpe_encode("abc", [("b", "c"), ("a", "b"), ("a", "bc")]) == ["abc"]
    assert bpe_encode("aaaaa", [("a", "a"), ("aa", "a")]) == ["aa", "aaa"]
    assert bpe_encode("", sennrich) == []
    assert bpe_encode("xyz", []) == ["x", "y", "z"]
