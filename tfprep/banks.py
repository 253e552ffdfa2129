"""Question banks: one YAML file per bank, validated with file:line for every problem.

Schema (DESIGN.md): a mapping with `bank`, `title`, `description` and `questions`, each
question a mapping with `id`, `question`, `answer`, `key_points` (3-6), `follow_ups`, `tags`,
`difficulty` (1-3) and `drills` (names from the drill catalog). Progress is keyed on `id`.

A key point is a string, or a mapping that says what a typed answer must contain to cover it
(tfprep.scoring): `text` (what is shown), and `all` (required terms, alternatives split by
`|`, all inside one window of `window` content words) and/or `any` (accepted phrasings):

    key_points:
      - "Subtract the row max before exponentiating"
      - text: "Scores are q·k divided by sqrt(d_k), softmax over keys"
        all: ["divid* | scal*", "sqrt | square root | root of d"]
        any: ["scaled dot product"]
        window: 10

Parsed banks are cached as JSON under TFPREP_HOME (keyed on file paths, sizes and mtimes), so
starting a quiz costs a JSON read rather than a YAML parse.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from tfprep import paths
from tfprep.errors import TfprepError

# patterns as text: `re` compiles (and caches) them when a bank is validated, not at every start-up
ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
LIST_FIELDS = {"key_points": (3, 6), "follow_ups": (0, 10), "tags": (1, 8), "drills": (0, 10)}
TEXT_FIELDS = ("id", "question", "answer")
QUESTION_FIELDS = set(TEXT_FIELDS) | set(LIST_FIELDS) | {"difficulty", "sources"}
# The papers or reports an answer's claims rest on: where a learner checks (and quotes) them.
SOURCE_FIELDS = {"title": str, "authors": str, "year": int, "url": str, "arxiv": str, "where": str}
ARXIV_PATTERN = r"^\d{4}\.\d{4,5}$"
MAX_SOURCES = 8
BANK_FIELDS = {"bank", "title", "description", "questions"}
KEY_POINT_RULES = ("all", "any", "window")  # besides `text`, what a key point's mapping may hold
MAX_TERMS = 12
WINDOW_RANGE = (3, 40)


class Question(NamedTuple):
    """One card, immutable (a NamedTuple: a frozen dataclass costs every start-up ~1 ms to build)."""
    id: str
    bank: str
    question: str
    answer: str
    key_points: tuple[str, ...]
    follow_ups: tuple[str, ...]
    tags: tuple[str, ...]
    difficulty: int
    drills: tuple[str, ...]
    sources: tuple[dict, ...] = ()
    # per key point: its `all`/`any`/`window` mapping, or None for a plain string; () if none has one
    key_point_rules: tuple[dict | None, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Question":
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        if "sources" in fields:
            fields["sources"] = tuple(dict(src) for src in fields["sources"])
        points = fields.get("key_points", ())
        if any(isinstance(p, dict) for p in points):  # as written in a bank: text plus rule
            fields["key_points"] = tuple(p["text"] if isinstance(p, dict) else p for p in points)
            fields["key_point_rules"] = tuple({k: (list(v) if isinstance(v, list) else v) for k, v in p.items()
                                              if k in KEY_POINT_RULES} if isinstance(p, dict) else None
                                             for p in points)
        return cls(**fields)


@dataclass
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class BankFile:
    name: str
    path: Path
    title: str = ""
    questions: list[Question] = field(default_factory=list)
    id_lines: dict[str, int] = field(default_factory=dict, repr=False, compare=False)  # id -> line, when parsed


def bank_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or paths.bank_dir()).glob("*.yaml"))


def user_bank_files() -> list[Path]:
    """The learner's own banks: every *.yaml in TFPREP_HOME/banks (none if there is no folder)."""
    folder = paths.user_bank_dir()
    return sorted(p for p in folder.glob("*.yaml") if p.is_file()) if folder.is_dir() else []


def all_bank_files() -> list[Path]:
    """The shipped banks, then the learner's own."""
    return bank_files() + user_bank_files()


def _drill_catalog() -> set[str]:
    from tfprep import drills  # imported here: only validation needs the drill catalog

    return set(drills.catalog_names())


# --- reading YAML -------------------------------------------------------------------------
#
# A bank is read from PyYAML's event stream (libyaml's parser when it is installed) by a small
# iterative builder instead of yaml.load: every mapping and sequence keeps the line of each key
# and item, anchors and aliases are refused before any value is built (a 400-byte "billion
# laughs" file expands to 10^9 items), and duplicate or non-text keys become problems instead
# of being merged or crashing. It is also faster than compose + load (1 MB: ~0.2 s, not ~1.4 s).

MAX_DEPTH = 16  # a bank needs 4 levels (file, questions, question, list field)
SHOW_CHARS = 80  # the most characters of a value that a message shows
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "timestamp")}
_MAP_TAGS = {None, "!", "tag:yaml.org,2002:map"}
_SEQ_TAGS = {None, "!", "tag:yaml.org,2002:seq"}
# what the YAML spec (and PyYAML's reader) accepts: tab, newlines, printable Unicode; compiled
# on first use (about 5 ms, which start-up from the cache never pays)
_NON_PRINTABLE = "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


class _Map(dict):
    """A YAML mapping: `line` is where it starts, `key_lines` where each key is."""

    __slots__ = ("line", "key_lines")


class _Seq(list):
    """A YAML sequence: `line` is where it starts, `item_lines` where each item starts."""

    __slots__ = ("line", "item_lines")


class _Refused(Exception):
    """A file that is not read any further: an alias, an anchor, a tag, too deep, two documents."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


_repr = None


def _show(value: Any) -> str:
    """repr() of a value cut to SHOW_CHARS: a message never prints (or walks) a whole value."""
    global _repr
    if _repr is None:
        import reprlib

        class _Repr(reprlib.Repr):
            repr__Map = reprlib.Repr.repr_dict
            repr__Seq = reprlib.Repr.repr_list

        _repr = _Repr()
        _repr.maxlevel, _repr.maxdict, _repr.maxlist = 2, 4, 6
        _repr.maxstring = _repr.maxother = _repr.maxlong = SHOW_CHARS // 2
    text = _repr.repr(value)
    return text if len(text) <= SHOW_CHARS else text[:SHOW_CHARS - 3] + "..."


def _clip(text: str) -> str:
    return text if len(text) <= SHOW_CHARS else text[:SHOW_CHARS - 3] + "..."


def _build(text: str, problems: list[tuple[int, str]]) -> Any:
    """The document's value built from parser events, or None for an empty file.

    Duplicate and non-text keys are appended to `problems` as (line, message) and left out of
    their mapping; anything that stops the read raises _Refused; syntax errors raise YAMLError.
    """
    import yaml
    from yaml import events as ev_mod
    from yaml.constructor import SafeConstructor
    from yaml.nodes import ScalarNode
    from yaml.resolver import Resolver

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    resolve = Resolver().resolve
    constructor = SafeConstructor()
    Scalar, MapStart, SeqStart = ev_mod.ScalarEvent, ev_mod.MappingStartEvent, ev_mod.SequenceStartEvent
    MapEnd, SeqEnd, Alias, DocStart = ev_mod.MappingEndEvent, ev_mod.SequenceEndEvent, ev_mod.AliasEvent, \
        ev_mod.DocumentStartEvent
    no_key = object()
    # frames: [container, is_mapping, pending key, its line, whether the key is a text scalar]
    stack: list[list] = []
    root: Any = None
    documents = 0

    def scalar(event, line: int) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = resolve(ScalarNode, event.value, event.implicit) if event.implicit[0] else _STR_TAG
        if tag == _STR_TAG:
            return event.value
        if tag == _MERGE_TAG:
            raise _Refused(line, "merge keys (`<<`) are not allowed in a bank: write the fields out")
        if tag not in _SCALAR_TAGS:
            raise _Refused(line, f"unsupported YAML tag {_clip(tag)!r} (write plain text, numbers or lists)")
        try:
            node = ScalarNode(tag, event.value, event.start_mark, event.end_mark)
            return SafeConstructor.yaml_constructors[tag](constructor, node)
        except (ValueError, OverflowError, yaml.YAMLError) as exc:
            raise _Refused(line, f"invalid {tag.rsplit(':', 1)[-1]} {_show(event.value)}: {_clip(str(exc))}")

    for event in yaml.parse(text, Loader=loader):
        cls = event.__class__
        if cls is Scalar or cls is MapStart or cls is SeqStart:
            line = event.start_mark.line + 1
            if event.anchor is not None:
                raise _Refused(line, f"YAML anchors (&{_clip(event.anchor)}) and aliases are not allowed in a bank: "
                                     "write the value out")
            if cls is Scalar:
                value, is_text = scalar(event, line), True
            else:
                if event.tag not in (_MAP_TAGS if cls is MapStart else _SEQ_TAGS):
                    raise _Refused(line, f"unsupported YAML tag {_clip(event.tag)!r}")
                if len(stack) >= MAX_DEPTH:
                    raise _Refused(line, f"values are nested more than {MAX_DEPTH} levels deep")
                if cls is MapStart:
                    value = _Map()
                    value.key_lines = {}
                else:
                    value = _Seq()
                    value.item_lines = []
                value.line = line
                stack.append([value, cls is MapStart, no_key, 0, False])
                continue
        elif cls is MapEnd or cls is SeqEnd:
            value = stack.pop()[0]
            line, is_text = value.line, False
        elif cls is Alias:
            raise _Refused(event.start_mark.line + 1, f"YAML aliases (*{_clip(event.anchor)}) are not allowed in "
                                                      "a bank: write the value out")
        elif cls is DocStart:
            documents += 1
            if documents > 1:
                raise _Refused(event.start_mark.line + 1, "a bank file must hold a single YAML document")
            continue
        else:
            continue
        # a complete value: the root, a mapping's key or value, or a sequence item
        if not stack:
            root = value
            continue
        frame = stack[-1]
        container = frame[0]
        if not frame[1]:
            container.append(value)
            container.item_lines.append(line)
        elif frame[2] is no_key:
            frame[2], frame[3], frame[4] = value, line, is_text and isinstance(value, str)
        else:
            key, key_line, key_is_text = frame[2], frame[3], frame[4]
            frame[2] = no_key
            if not key_is_text:
                problems.append((key_line, f"keys must be text, got {_show(key)} (quote it, or fix the line)"))
            elif key in container:
                hint = ": is a `- id:` line missing?" if key in QUESTION_FIELDS else ""
                problems.append((key_line, f"duplicate key `{_clip(key)}` (first at line "
                                           f"{container.key_lines[key]}){hint}"))
            else:
                container[key] = value
                container.key_lines[key] = key_line
    return root


def _yaml_error_line(exc: Exception, text: str) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return mark.line + 1
    position = getattr(exc, "position", None)  # ReaderError: a character offset
    return text.count("\n", 0, position) + 1 if isinstance(position, int) else 1


def parse_file(path: Path, catalog: set[str] | None = None) -> tuple[BankFile, list[Problem]]:
    """Parse and validate one bank file; problems carry file:line."""
    import yaml

    shown = str(path)
    bank = BankFile(name=path.stem, path=path)
    found: list[tuple[int, str]] = []

    def problem(line: int, message: str) -> None:
        found.append((line, message))

    def result() -> tuple[BankFile, list[Problem]]:
        found.sort(key=lambda p: p[0])  # builder problems come first; show them all in line order
        return bank, [Problem(shown, line, message) for line, message in found]

    try:
        raw = path.read_bytes()
    except OSError as exc:
        return bank, [Problem(shown, 0, f"cannot read the file: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        problem(raw.count(b"\n", 0, exc.start) + 1, f"the file is not UTF-8 text: byte 0x{raw[exc.start]:02x} at "
                                                    f"column {exc.start - line_start + 1}")
        return result()
    bad = re.compile(_NON_PRINTABLE).search(text)  # re caches the compiled pattern
    if bad:
        char = bad.group()
        what = "a NUL byte" if char == "\0" else f"the control character U+{ord(char):04X}"
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        problem(text.count("\n", 0, bad.start()) + 1, f"{what} at column {column}: YAML allows only printable text")
        return result()
    try:
        data = _build(text, found)
    except _Refused as exc:
        problem(exc.line, exc.message)
        return result()
    except yaml.YAMLError as exc:
        reason = getattr(exc, "problem", None) or str(exc)
        problem(_yaml_error_line(exc, text), f"invalid YAML: {_clip(str(reason))}")
        return result()
    if not isinstance(data, _Map):
        problem(getattr(data, "line", 1), "a bank file must be a mapping with `bank` and `questions`")
        return result()

    keys = data.key_lines
    for unknown in sorted(set(data) - BANK_FIELDS):
        problem(keys[unknown], f"unknown top-level field `{_clip(unknown)}`")
    if data.get("bank") != path.stem:
        problem(keys.get("bank", 1), f"`bank` must be the file's name without .yaml (`{path.stem}`), "
                                     f"got {_show(data.get('bank'))}")
    for name in ("title", "description"):
        if name in data and not isinstance(data[name], str):
            problem(keys[name], f"`{name}` must be text, got {_show(data[name])}")
    bank.title = data["title"] if isinstance(data.get("title"), str) and data["title"] else path.stem
    questions = data.get("questions")
    if not isinstance(questions, _Seq):
        problem(keys.get("questions", 1), "`questions` must be a list")
        return result()

    seen: dict[str, int] = {}
    for item, line in zip(questions, questions.item_lines):
        if not isinstance(item, _Map):
            problem(line, "each question must be a mapping of fields")
            continue
        field_lines = item.key_lines
        before = len(found)
        qid = item.get("id")
        label = f"question {_show(qid if qid is not None else '?')}"
        for missing in sorted(QUESTION_FIELDS - set(item)):
            if missing == "id":
                problem(line, "question without an `id`: every question needs one (lowercase kebab-case)")
            else:
                problem(line, f"{label}: missing field `{missing}`")
        for unknown in sorted(set(item) - QUESTION_FIELDS):
            problem(field_lines[unknown], f"{label}: unknown field `{_clip(unknown)}`")
        for name in TEXT_FIELDS:
            if name in item and (not isinstance(item[name], str) or not item[name].strip()):
                problem(field_lines[name], f"`{name}` must be non-empty text, got {_show(item[name])}")
        if isinstance(qid, str):
            if not re.match(ID_PATTERN, qid):
                problem(field_lines["id"], f"id {_show(qid)} must be lowercase kebab-case (a-z, 0-9, -)")
            if qid in seen:
                problem(field_lines["id"], f"duplicate id {_show(qid)} (first at line {seen[qid]})")
            seen.setdefault(qid, field_lines["id"])
        for name, (lo, hi) in LIST_FIELDS.items():
            if name not in item:
                continue
            value = item[name]
            if name == "key_points" and isinstance(value, _Seq) and any(isinstance(x, _Map) for x in value):
                for at, message in _key_point_problems(value):
                    problem(at, f"{label}: {message}")
                if not lo <= len(value) <= hi:
                    problem(field_lines[name], f"`{name}` must have {lo} to {hi} items, has {len(value)}")
            elif not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
                problem(field_lines[name], f"`{name}` must be a list of non-empty strings, got {_show(value)}")
            elif not lo <= len(value) <= hi:
                problem(field_lines[name], f"`{name}` must have {lo} to {hi} items, has {len(value)}")
        level = item.get("difficulty")
        if "difficulty" in item and not (type(level) is int and 1 <= level <= 3):  # not bool, not 2.0
            problem(field_lines["difficulty"], f"unknown difficulty {_show(level)}: use the whole number 1, 2 or 3")
        if "sources" in item:
            for message in _source_problems(item["sources"]):
                problem(field_lines["sources"], f"{label}: {message}")
        if catalog is not None and isinstance(item.get("drills"), list):
            for name in item["drills"]:
                if isinstance(name, str) and name not in catalog:
                    problem(field_lines["drills"], f"unknown drill {_show(name)} (not in the drill catalog)")
        if len(found) == before:
            bank.questions.append(Question.from_dict({**item, "bank": bank.name}))
            bank.id_lines[qid] = field_lines["id"]
    return result()


def _key_point_problems(points: "_Seq") -> list[tuple[int, str]]:
    """(line, message) for each problem of a `key_points` list holding mappings: each item is
    text, or a mapping with `text` and at least one of `all` (1-12 required terms) and `any`
    (1-12 accepted phrasings), and optionally `window` (3-40 content words)."""
    out: list[tuple[int, str]] = []
    for i, (point, line) in enumerate(zip(points, points.item_lines), 1):
        if isinstance(point, str):
            if not point.strip():
                out.append((line, f"key point {i} is empty"))
            continue
        if not isinstance(point, _Map):
            out.append((line, f"key point {i} must be text or a mapping with `text` and `all` and/or `any`, "
                              f"got {_show(point)}"))
            continue
        at = point.key_lines
        before = len(out)
        for unknown in sorted(set(point) - {"text", *KEY_POINT_RULES}):
            out.append((at[unknown], f"key point {i}: unknown field `{_clip(unknown)}` (text, all, any, window)"))
        text = point.get("text")
        if not isinstance(text, str) or not text.strip():
            out.append((at.get("text", point.line), f"key point {i}: `text` must be non-empty text, got {_show(text)}"))
        if "all" not in point and "any" not in point:
            out.append((point.line, f"key point {i}: a mapping needs `all` (required terms) or `any` (accepted "
                                    "phrasings); a plain key point is written as text"))
        for name in ("all", "any"):
            if name not in point:
                continue
            terms = point[name]
            if not isinstance(terms, list) or not terms or not all(isinstance(t, str) and t.strip() for t in terms):
                out.append((at[name], f"key point {i}: `{name}` must be a list of non-empty strings, got {_show(terms)}"))
            elif len(terms) > MAX_TERMS:
                out.append((at[name], f"key point {i}: `{name}` has {len(terms)} items, at most {MAX_TERMS}"))
        if "window" in point:
            w = point["window"]
            if not (type(w) is int and WINDOW_RANGE[0] <= w <= WINDOW_RANGE[1]):
                out.append((at["window"], f"key point {i}: `window` must be a whole number of content words from "
                                          f"{WINDOW_RANGE[0]} to {WINDOW_RANGE[1]}, got {_show(w)}"))
        if len(out) == before:  # well formed: now the terms themselves, and the text against them
            from tfprep import scoring  # only validation and typed answers need the scorer

            rule = {k: point[k] for k in KEY_POINT_RULES if k in point}
            for name, message in scoring.rule_problems(text, rule):
                out.append((at.get(name, point.line), f"key point {i}: {message}"))
    return out


def _source_problems(sources: Any) -> list[str]:
    """What is wrong with a question's `sources`: a list of 1 to 8 mappings, each with a `title`,
    `authors`, `year`, an `arxiv` id or an `url`, and `where` (the section, table or figure)."""
    if not isinstance(sources, list) or not 1 <= len(sources) <= MAX_SOURCES:
        return [f"`sources` must be a list of 1 to {MAX_SOURCES} sources, got {_show(sources)}"]
    out = []
    for i, src in enumerate(sources, 1):
        if not isinstance(src, dict):
            out.append(f"source {i} must be a mapping (title, authors, year, arxiv or url, where)")
            continue
        for unknown in sorted(set(src) - set(SOURCE_FIELDS), key=str):
            out.append(f"source {i}: unknown field `{_clip(str(unknown))}`")
        for name in ("title", "authors", "year", "where"):
            if name not in src:
                out.append(f"source {i}: missing `{name}`")
        for name, kind in SOURCE_FIELDS.items():
            value = src.get(name)
            if value is None:
                continue
            if kind is str and (not isinstance(value, str) or not value.strip()):
                out.append(f"source {i}: `{name}` must be non-empty text, got {_show(value)}")
            if kind is int and not (type(value) is int and 1900 <= value <= 2100):
                out.append(f"source {i}: `year` must be a year such as 2017, got {_show(value)}")
        if "arxiv" not in src and "url" not in src:
            out.append(f"source {i}: give its `arxiv` id or an `url`")
        if isinstance(src.get("arxiv"), str) and not re.match(ARXIV_PATTERN, src["arxiv"]):
            out.append(f"source {i}: `arxiv` must look like 1706.03762, got {_show(src['arxiv'])}")
        if isinstance(src.get("url"), str) and not src["url"].startswith(("https://", "http://")):
            out.append(f"source {i}: `url` must start with https://, got {_show(src['url'])}")
    return out


def cite(src: dict) -> str:
    """One line for a source: `Vaswani et al. (2017). Attention Is All You Need. arXiv:1706.03762. Section 3.2.2`."""
    link = f"arXiv:{src['arxiv']}" if src.get("arxiv") else src.get("url", "")
    return f"{src['authors']} ({src['year']}). {src['title']}. {link}. {src['where']}"


def find(banks: dict[str, BankFile], qid: str) -> Question:
    from tfprep.errors import did_you_mean

    ids = {q.id: q for b in banks.values() for q in b.questions}
    if qid not in ids:
        raise TfprepError(f"no question with the id '{qid}'",
                          hint=did_you_mean(qid, list(ids)) or "`tfprep bank list` shows the banks")
    return ids[qid]


def check(files: list[Path]) -> tuple[list[BankFile], list[Problem]]:
    """Validate files together: per-file problems plus ids duplicated across files."""
    catalog = _drill_catalog()
    banks, problems = [], []
    first: dict[str, str] = {}  # id -> file:line where it is first used
    names: dict[str, str] = {}  # bank name -> its file
    for path in files:
        bank, found = parse_file(path, catalog)
        problems += found
        banks.append(bank)
        if bank.name in names or bank.name == "all":
            where = f"is already used by {names[bank.name]}" if bank.name in names else "is reserved (--bank all)"
            problems.append(Problem(str(path), 1, f"bank name `{_clip(bank.name)}` {where}: rename the file "
                                                  "and its `bank:`"))
        names.setdefault(bank.name, str(path))
        for q in bank.questions:
            line = bank.id_lines.get(q.id, 0)
            if q.id in first:
                problems.append(Problem(str(path), line, f"id {_show(q.id)} is already used in {first[q.id]}"))
            else:
                first[q.id] = f"{path}:{line}"
    return banks, problems


def load_all() -> dict[str, BankFile]:
    """Every shipped bank and every bank in TFPREP_HOME/banks, validated (ids unique across all
    of them); raises TfprepError (exit 2) listing problems as file:line."""
    from tfprep import cache

    def build() -> dict:
        banks, problems = check(files)
        if problems:
            listed = "\n".join(f"  {p}" for p in problems[:20])
            raise TfprepError(f"the question banks have {len(problems)} problem(s):\n{listed}",
                              hint="run `tfprep bank check` for the full list")
        return {b.name: {"path": str(b.path), "title": b.title, "questions": [q._asdict() for q in b.questions],
                         "id_lines": b.id_lines} for b in banks}

    def from_raw(raw: dict) -> dict[str, BankFile]:
        return {name: BankFile(name=name, path=Path(b["path"]), title=b["title"],
                               questions=[Question.from_dict(q) for q in b["questions"]],
                               id_lines=dict(b.get("id_lines", {})))
                for name, b in raw.items()}

    files = all_bank_files()
    try:
        return from_raw(cache.cached("banks", files, build))
    except (KeyError, TypeError):  # a cache written by another version: build afresh
        return from_raw(build())


def with_file(banks: dict[str, BankFile], bank: str) -> tuple[dict[str, BankFile], str]:
    """What `--bank` names: a bank (or `all`), or a bank file (a path ending in .yaml or .yml, or
    an existing file), validated like the others and added to `banks`. Returns the banks and the
    bank's name. Raises TfprepError listing file:line problems, id clashes naming both files."""
    if bank == "all" or bank in banks:
        return banks, bank
    path = Path(bank).expanduser()
    if not (bank.lower().endswith((".yaml", ".yml")) or path.is_file()):
        return banks, bank  # not a file: select() says "unknown bank", with a "did you mean"
    if not path.is_file():
        raise TfprepError(f"cannot read the bank file {path}: no such file")
    resolved = path.resolve()
    for b in banks.values():
        if b.path.resolve() == resolved:  # one of the loaded banks, given by its path
            return banks, b.name
    mine, problems = parse_file(path, _drill_catalog())
    if mine.name in banks or mine.name == "all":
        where = f"is already used by {banks[mine.name].path}" if mine.name in banks else "is reserved (--bank all)"
        problems.append(Problem(str(path), 1, f"bank name `{_clip(mine.name)}` {where}: rename the file and its `bank:`"))
    used = {q.id: f"{b.path}:{b.id_lines.get(q.id, 0)}" for b in banks.values() for q in b.questions}
    for q in mine.questions:
        if q.id in used:
            problems.append(Problem(str(path), mine.id_lines.get(q.id, 0), f"id {_show(q.id)} is already used in "
                                                                            f"{used[q.id]}"))
    if problems:
        listed = "\n".join(f"  {p}" for p in problems[:20])
        raise TfprepError(f"the bank file {path} has {len(problems)} problem(s):\n{listed}",
                          hint=f"run `tfprep bank check {path}` for the full list")
    return {**banks, mine.name: mine}, mine.name


def search(banks: dict[str, BankFile], text: str, limit: int | None = None) -> list[dict]:
    """Questions whose question, tags or answer contain every word of `text` (case-insensitive,
    substrings: `cache` finds `kv-cache`), best first: most words in the question text, then in
    the tags, then in the answer, then most occurrences; ties in bank order."""
    terms = list(dict.fromkeys(text.lower().split()))
    if not terms:
        raise TfprepError("give one or more words to search for", hint="tfprep bank search \"kv cache\"")
    hits = []
    for order, (b, q) in enumerate((b, q) for b in banks.values() for q in b.questions):
        fields = (q.question.lower(), " ".join(q.tags).lower(), q.answer.lower())
        found = [[t in f for t in terms] for f in fields]
        if not all(any(column) for column in zip(*found)):
            continue  # every word must be somewhere
        counts = tuple(sum(row) for row in found)
        occurrences = sum(f.count(t) for f in fields for t in terms)
        hits.append(((-counts[0], -counts[1], -counts[2], -occurrences, order), b, q, counts))
    hits.sort(key=lambda h: h[0])
    return [{"id": q.id, "bank": b.name, "question": q.question.strip(),
             "matches": dict(zip(("question", "tags", "answer"), counts))}
            for _, b, q, counts in hits[:limit]]


def select(banks: dict[str, BankFile], bank: str = "all", tag: str | None = None) -> list[Question]:
    """Questions of one bank (or all), optionally only those carrying `tag`, in bank order."""
    from tfprep.errors import did_you_mean

    if bank != "all" and bank not in banks:
        raise TfprepError(f"unknown bank '{bank}'", hint=did_you_mean(bank, [*banks, "all"])
                          or f"banks: {', '.join([*banks, 'all'])}")
    chosen = [q for b in banks.values() if bank in ("all", b.name) for q in b.questions]
    if tag:
        tags = {t for q in chosen for t in q.tags}
        if tag not in tags:
            raise TfprepError(f"no question has the tag '{tag}'",
                              hint=did_you_mean(tag, sorted(tags)) or f"tags: {', '.join(sorted(tags))}")
        chosen = [q for q in chosen if tag in q.tags]
    return chosen


def unwritten_drills(banks: list[BankFile]) -> list[str]:
    """`FILE:LINE: ...` for each question that names a drill of the catalog not written yet."""
    from tfprep import drills

    out = []
    for b in banks:
        lines = None
        for q in b.questions:
            for name in q.drills:
                if drills.exists(name):
                    continue
                if lines is None:
                    lines = b.path.read_text(encoding="utf-8", errors="replace").splitlines()
                at = next((i for i, text in enumerate(lines, 1) if text.strip().lstrip("- ").startswith("id:")
                           and text.split("id:", 1)[1].strip().strip("'\"") == q.id), 0)
                out.append(f"{b.path}:{at}: {q.id} names the drill '{name}', which is planned but not written yet")
    return out
