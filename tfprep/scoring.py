"""Scoring a typed answer against a question's key points, term by term rather than word by word.

A key point is covered when the answer says what the point requires, in one place:

* `all` (required terms): every term occurs in one sentence, all of them inside a window of
  `window` content words (default 12). A term is a phrase (`square root`) or alternatives
  separated by `|` (`sqrt | square root | root of d`); a phrase's words must be consecutive
  (stop words aside) and in order, so "dot product" is not matched by "product of the dot".
* `any` (accepted phrasings): the point is also covered when one of these phrasings occurs,
  its words in order within one sentence, with at most as many other content words in between
  as the phrasing has.
* neither (a plain key point): at least half of the point's own content words (two at least),
  in the point's order, every number among them included, inside one window of one sentence.

Words are compared on a light stem (`scales`, `scaled`, `scaling` are one word); a word ending
in `*` matches any word that starts with it (`parallel*`). Numbers match only the same value
(`15%` is not `16%`; `10k`, `10,000` and `ten thousand` are one value). A negation (`no`, `not`,
`never`, `without`, `n't`) applies to the next three content words of its clause, and a word
matches only with the same polarity: `no causal mask` needs the mask to be denied, and
`causal mask` is not matched by "there is no causal mask". A keyword salad, the right words
in no order, breaks the phrases, the windows and the polarities, so it scores low.

Pure functions of text, no terminal: the quiz and bank validation both use them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_WINDOW = 12  # content words that a point's required terms must fit in
NEG_SCOPE = 3  # content words after a negation that it denies

STOP = frozenset("""a an the and or of to in on for with by is are be as at it its this that from into than then so
over per via vs each which what when why how does do did done can could will would should shall may might must
more most less very just also we you they i he she them their our your there here was were been being has
have had if about like s us me my itself these those who whose whom where up out get gets got basically
actually really well percent cent thing things way et al eg ie etc cf""".split())
NEGATIONS = frozenset({"no", "not", "never", "without", "cannot", "neither", "nor", "none"})
CLAUSE_WORDS = frozenset({"but", "while", "whereas", "although", "though", "however", "so", "because", "since",
                          "unless", "yet", "whereby"})

_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                     "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split(), 0)
         if w != "_"}
_SCALES = {"hundred": 100, "thousand": 10 ** 3, "million": 10 ** 6, "billion": 10 ** 9, "trillion": 10 ** 12}
_SUFFIX = {"k": 10 ** 3, "m": 10 ** 6, "b": 10 ** 9, "t": 10 ** 12}
_NUMBER_WORDS = set(_UNITS) | set(_TENS) | set(_SCALES)

_TOKEN = re.compile(r"""
    (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\w|\.\d)       # 50,257
      | \d*\.\d+(?:e[-+]?\d+)?[kmbt]?(?![\w*])           # 0.9  1.5b  2.5e-5
      | \d+(?:e[-+]?\d+)?[kmbt]?(?![\w*]))               # 512  10k  1e-4
    | (?P<word>[a-z0-9_]*[a-z_][a-z0-9_]*\*?)            # d_k  fp16  parallel*
    | (?P<end>[.!?](?=\s|$)|\n[ \t]*\n)                  # a sentence ends
    | (?P<clause>[,;:—–]|\s-\s)                          # a clause ends
    """, re.X)
_SUPERSCRIPT = str.maketrans({"²": " 2 ", "³": " 3 ", "⁻": " ", "¹": " 1 ", "’": "'", "‘": "'", "×": " ", "·": " ",
                              "−": " ", "≈": " ", "∝": " "})
_CONTRACTIONS = [(re.compile(r"\b(et al|e\.g|i\.e|vs|etc|cf|approx|fig|eq)\."), r"\1"),
                 (re.compile(r"\bcan'?t\b"), "can not"), (re.compile(r"\bwon'?t\b"), "will not"),
                 (re.compile(r"\bcannot\b"), "can not"), (re.compile(r"n't\b"), " not")]


def _decimal(text: str):
    from decimal import Decimal, InvalidOperation  # only scoring pays for it

    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _number_key(value) -> str:
    """One spelling per value: 10k, 10,000, 1e4 and ten thousand are all `1E+4`."""
    return "#" + str(value.normalize())


_SUFFIXES = tuple((suffix, "") for suffix in "izations isations ization isation izing ising ized ised izes ises ize "
                                             "ise".split()) + tuple((suffix, "at") for suffix in "ations ation ating "
                                                                    "ated ates ate".split()) + (
    ("ically", "ic"), ("ies", "y"), ("ied", "y"), ("nesses", ""), ("ness", ""), ("ings", ""), ("ing", ""),
    ("ism", ""), ("ity", ""), ("ed", ""), ("ly", ""), ("s", ""))


def stem(word: str) -> str:
    """A light suffix stripper: plurals, -ed, -ing, -ly, -ise/-ize, -ation; enough to match
    `scales`/`scaling`/`scaled`, `normalise`/`normalization`, `saturates`/`saturation`."""
    w = word
    if len(w) <= 3 or not w.isalpha():
        return w  # d_k, fp16, short words
    for suffix, repl in _SUFFIXES:
        if not w.endswith(suffix):
            continue
        base = w[:-len(suffix)]
        if len(base) < (4 if suffix == "ly" else 3) or not any(c in "aeiouy" for c in base):
            continue
        if (suffix == "ed" and base.endswith("e")) or (suffix == "s" and base[-1] in "saiu"):
            continue  # speed, loss, bias, analysis, focus
        w = base + repl
        if suffix in ("ed", "ing") and w[-1] == w[-2] and w[-1] not in "lsz":
            w = w[:-1]  # embedded -> embed, running -> run
        break
    return w[:-1] if len(w) > 3 and w.endswith("e") else w


@dataclass(frozen=True)
class Token:
    key: str  # the stem, or `#value` for a number
    word: str  # the word as written (lowercase), for `prefix*` matches
    sentence: int
    negated: bool


def tokens(text: str) -> list[Token]:
    """The content words of `text`, each with its sentence and whether a negation denies it."""
    text = text.lower().translate(_SUPERSCRIPT)
    for pattern, repl in _CONTRACTIONS:
        text = pattern.sub(repl, text)
    out: list[Token] = []
    sentence, scope = 0, 0
    pending: list[str] = []  # number words being read (`twenty five`, `ten thousand`)
    after_numeral = False  # the previous token was a numeral (`175` in `175 billion`)

    def add(key: str, word: str) -> None:
        nonlocal scope
        out.append(Token(key, word, sentence, scope > 0))
        scope = max(0, scope - 1)

    def flush() -> None:
        if pending:
            add(_number_key(_decimal(str(_words_value(pending)))), " ".join(pending))
            pending.clear()

    for m in _TOKEN.finditer(text):
        kind, value = m.lastgroup, m.group()
        if kind == "word" and value in _SCALES and after_numeral:  # 175 billion, 1.4 trillion
            last = out.pop()
            out.append(Token(_number_key(_decimal(last.key[1:]) * _SCALES[value]), last.word, last.sentence,
                             last.negated))
            after_numeral = False
            continue
        after_numeral = kind == "num"
        if kind == "word" and (value in _NUMBER_WORDS or (value == "and" and pending)):
            if value != "and":
                if pending and not _combines(pending[-1], value):
                    flush()  # `fifty fifty`, `ten ten`: two numbers
                pending.append(value)
            continue
        flush()
        if kind == "end":
            sentence, scope = sentence + 1, 0
        elif kind == "clause":
            scope = 0
        elif kind == "num":
            add(_number_key(_numeral(value)), value)
        elif value in NEGATIONS:
            scope = NEG_SCOPE
        elif value in CLAUSE_WORDS:
            scope = 0
        elif value.rstrip("*") not in STOP:
            add(stem(value.rstrip("*")), value)
    flush()
    return out


def _numeral(text: str):
    """The value of a written number: 50,257 -> 50257, 10k -> 10000, 2e-5."""
    text = text.replace(",", "")
    scale = _SUFFIX.get(text[-1], 1)
    if scale != 1:
        text = text[:-1]
    return _decimal(text) * scale


def _combines(last: str, word: str) -> bool:
    """Whether number word `word` continues the number ending in `last` (`twenty` `five`,
    `five` `hundred`, `hundred` `twenty`), rather than starting another."""
    if word in _SCALES:
        return True
    if last in _SCALES:
        return True
    return last in _TENS and word in _UNITS and 0 < _UNITS[word] < 10


def _words_value(words: list[str]) -> int:
    """`twenty five` -> 25, `ten thousand` -> 10000, `a hundred` (the `a` dropped) -> 100."""
    total, current = 0, 0
    for w in words:
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        else:
            total += max(current, 1) * _SCALES[w]
            current = 0
    return total + current


# --- patterns -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Word:
    key: str
    prefix: bool  # written with a trailing `*`
    negated: bool

    def matches(self, t: Token) -> bool:
        if t.negated != self.negated:
            return False
        if self.prefix:
            return t.word.startswith(self.key) and not t.key.startswith("#")
        return t.key == self.key


def phrase(text: str) -> tuple[Word, ...]:
    """A phrase's content words, as patterns (`parallel*` keeps its prefix)."""
    out = []
    for t in tokens(text):
        if t.word.endswith("*") and not t.key.startswith("#"):
            out.append(Word(t.word[:-1], True, t.negated))
        else:
            out.append(Word(t.key, False, t.negated))
    return tuple(out)


def alternatives(term: str) -> list[tuple[Word, ...]]:
    """`sqrt | square root` -> the phrases of each alternative (empty ones left out)."""
    return [p for p in (phrase(a) for a in term.split("|")) if p]


def _by_sentence(said: list[Token]) -> dict[int, list[Token]]:
    groups: dict[int, list[Token]] = {}
    for t in said:
        groups.setdefault(t.sentence, []).append(t)
    return groups


def _occurrences(sentence: list[Token], phrases: list[tuple[Word, ...]]) -> list[tuple[int, int]]:
    """(first, last) positions where one of the phrases occurs, its words consecutive."""
    found = []
    for p in phrases:
        n = len(p)
        for i in range(len(sentence) - n + 1):
            if all(p[j].matches(sentence[i + j]) for j in range(n)):
                found.append((i, i + n - 1))
    return found


def _all_in_window(said: list[Token], terms: list[list[tuple[Word, ...]]], window: int) -> bool:
    """Whether every term occurs in one sentence, all inside `window` consecutive content words."""
    for sentence in _by_sentence(said).values():
        places = [_occurrences(sentence, alts) for alts in terms]
        if not all(places):
            continue
        for first in sorted({start for spots in places for start, _ in spots}):
            ends = []
            for spots in places:
                after = [end for start, end in spots if start >= first]
                if not after:
                    break
                ends.append(min(after))
            else:
                if max(ends) - first + 1 <= window:
                    return True
    return False


def _phrasing_occurs(said: list[Token], words: tuple[Word, ...]) -> bool:
    """The phrasing's words in order within one sentence, spanning at most twice as many."""
    limit = 2 * len(words)
    for sentence in _by_sentence(said).values():
        for start, t in enumerate(sentence):
            if not words[0].matches(t):
                continue
            at, ok = start, True
            for w in words[1:]:
                at = next((k for k in range(at + 1, min(len(sentence), start + limit)) if w.matches(sentence[k])), None)
                if at is None:
                    ok = False
                    break
            if ok:
                return True
    return False


def _in_order(words: tuple[Word, ...], part: list[Token]) -> list[Word]:
    """The longest run of `words` found in `part` in their own order (not necessarily adjacent)."""
    best: list[list[Word]] = [[] for _ in range(len(part) + 1)]  # best[j]: using part[:j]
    for w in words:
        row = list(best)
        for j, t in enumerate(part, 1):
            row[j] = max(row[j - 1], best[j - 1] + [w] if w.matches(t) else best[j], key=len)
        best = row
    return best[-1]


def _half_in_window(said: list[Token], words: tuple[Word, ...], window: int) -> bool:
    """A plain key point: at least half of its content words, all of its numbers included, in
    its order, inside one window of one sentence."""
    if not words:
        return False
    numbers = {w for w in words if w.key.startswith("#")}
    distinct = len(set(words))
    need = max(min(distinct, 2), -(-distinct // 2))  # half, and two words when it has two
    for sentence in _by_sentence(said).values():
        for start in range(len(sentence)):
            if not any(w.matches(sentence[start]) for w in words):
                continue  # a best window starts on one of the point's words
            found = set(_in_order(words, sentence[start:start + window]))
            if len(found) >= need and numbers <= found:
                return True
    return False


def covers(said: list[Token], text: str, rule: dict | None = None) -> bool:
    """Whether the answer's tokens cover one key point (its text, and its `all`/`any` rule)."""
    rule = rule or {}
    window = rule.get("window", DEFAULT_WINDOW)
    if rule.get("any") and any(_phrasing_occurs(said, p) for p in map(phrase, rule["any"]) if p):
        return True
    if rule.get("all"):
        return _all_in_window(said, [alternatives(term) for term in rule["all"]], window)
    if rule.get("any"):
        return False
    words = phrase(text)
    return _half_in_window(said, words, max(window, 2 * len(words)))


def coverage(answer: str, key_points, rules=()) -> list[bool]:
    """For each key point, whether the typed answer covers it; `rules[i]` is key point i's
    `all`/`any`/`window` mapping from the bank, or None for a plain key point."""
    said = tokens(answer)
    rules = list(rules or ())
    return [covers(said, point, rules[i] if i < len(rules) else None) for i, point in enumerate(key_points)]


def rule_problems(text: str, rule: dict) -> list[tuple[str | None, str]]:
    """(field, message) for each problem of a key point's rule, for `tfprep bank check` (the
    mapping's shape is checked by the caller; this looks at the terms themselves)."""
    problems: list[tuple[str | None, str]] = []
    for name in ("all", "any"):
        for item in rule.get(name) or ():
            if name == "any" and "|" in item:
                problems.append((name, f"`any` phrasing {item!r}: a phrasing is one way of saying the point; give "
                                       "each on its own, or put alternatives in `all`"))
                continue
            for alt in item.split("|"):
                if not alt.strip():
                    problems.append((name, f"`{name}` term {item!r} has an empty alternative (a `|` too many)"))
                    continue
                bad_star = [w for w in alt.split() if "*" in w and (not w.endswith("*") or w.count("*") > 1
                                                                    or len(w.strip("*")) < 3)]
                if bad_star:
                    problems.append((name, f"`{name}` term {alt.strip()!r}: `*` goes at the end of a word of at "
                                           "least 3 letters (`parallel*`)"))
                elif not phrase(alt):
                    problems.append((name, f"`{name}` term {alt.strip()!r} has no content word (only stop words)"))
            if name == "any" and len(phrase(item)) == 1:
                problems.append((name, f"`any` phrasing {item!r} is a single word, a keyword: put it in `all`"))
    if not problems and not covers(tokens(text), text, rule):
        problems.append((None, "its own `text` does not satisfy its `all`/`any`: a learner who writes it would "
                               "get no credit"))
    return problems
