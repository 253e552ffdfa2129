"""Question banks: one YAML file per bank, validated with file:line for every problem.

Schema (DESIGN.md): a mapping with `bank`, `title`, `description` and `questions`, each
question a mapping with `id`, `question`, `answer`, `key_points` (3-6), `follow_ups`, `tags`,
`difficulty` (1-3) and `drills` (names from the drill catalog). Progress is keyed on `id`.

Parsed banks are cached as JSON under TFPREP_HOME (keyed on file paths, sizes and mtimes), so
starting a quiz costs a JSON read rather than a YAML parse.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tfprep import paths
from tfprep.errors import TfprepError

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LIST_FIELDS = {"key_points": (3, 6), "follow_ups": (0, 10), "tags": (1, 8), "drills": (0, 10)}
TEXT_FIELDS = ("id", "question", "answer")
QUESTION_FIELDS = set(TEXT_FIELDS) | set(LIST_FIELDS) | {"difficulty"}
BANK_FIELDS = {"bank", "title", "description", "questions"}


@dataclass(frozen=True)
class Question:
    id: str
    bank: str
    question: str
    answer: str
    key_points: tuple[str, ...]
    follow_ups: tuple[str, ...]
    tags: tuple[str, ...]
    difficulty: int
    drills: tuple[str, ...]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Question":
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


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


def bank_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or paths.bank_dir()).glob("*.yaml"))


def _drill_catalog() -> set[str]:
    from tfprep import drills  # imported here: only validation needs the drill catalog

    return set(drills.catalog_names())


def _line(node) -> int:
    return node.start_mark.line + 1


def parse_file(path: Path, catalog: set[str] | None = None) -> tuple[BankFile, list[Problem]]:
    """Parse and validate one bank file; problems carry file:line."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    shown = str(path)
    bank = BankFile(name=path.stem, path=path)
    problems: list[Problem] = []

    def problem(line: int, message: str) -> None:
        problems.append(Problem(shown, line, message))

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return bank, [Problem(shown, 0, f"cannot read the file: {exc}")]
    try:
        root = yaml.compose(text, Loader=loader)
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        return bank, [Problem(shown, mark.line + 1 if mark else 0, f"invalid YAML: {reason}")]
    if not isinstance(data, dict) or root is None:
        return bank, [Problem(shown, 1, "a bank file must be a mapping with `bank` and `questions`")]

    keys = {k.value: (k, v) for k, v in root.value}
    for unknown in sorted(set(data) - BANK_FIELDS):
        problem(_line(keys[unknown][0]), f"unknown top-level field `{unknown}`")
    if data.get("bank") != path.stem:
        problem(_line(keys["bank"][0]) if "bank" in keys else 1,
                f"`bank` must be the file's name without .yaml (`{path.stem}`), got {data.get('bank')!r}")
    bank.title = str(data.get("title") or path.stem)
    questions = data.get("questions")
    if not isinstance(questions, list) or "questions" not in keys:
        problem(_line(keys["questions"][0]) if "questions" in keys else 1, "`questions` must be a list")
        return bank, problems

    seen: dict[str, int] = {}
    for item, node in zip(questions, keys["questions"][1].value):
        line = _line(node)
        if not isinstance(item, dict):
            problem(line, "each question must be a mapping of fields")
            continue
        field_lines = {k.value: _line(k) for k, _ in node.value}
        before = len(problems)
        for missing in sorted(QUESTION_FIELDS - set(item)):
            problem(line, f"question {item.get('id', '?')!r}: missing field `{missing}`")
        for unknown in sorted(set(item) - QUESTION_FIELDS):
            problem(field_lines[unknown], f"question {item.get('id', '?')!r}: unknown field `{unknown}`")
        for name in TEXT_FIELDS:
            if name in item and (not isinstance(item[name], str) or not item[name].strip()):
                problem(field_lines[name], f"`{name}` must be non-empty text")
        qid = item.get("id")
        if isinstance(qid, str):
            if not ID_RE.match(qid):
                problem(field_lines["id"], f"id {qid!r} must be lowercase kebab-case (a-z, 0-9, -)")
            if qid in seen:
                problem(field_lines["id"], f"duplicate id {qid!r} (first at line {seen[qid]})")
            seen.setdefault(qid, field_lines["id"])
        for name, (lo, hi) in LIST_FIELDS.items():
            if name not in item:
                continue
            value = item[name]
            if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
                problem(field_lines[name], f"`{name}` must be a list of non-empty strings")
            elif not lo <= len(value) <= hi:
                problem(field_lines[name], f"`{name}` must have {lo} to {hi} items, has {len(value)}")
        level = item.get("difficulty")
        if "difficulty" in item and (isinstance(level, bool) or level not in (1, 2, 3)):
            problem(field_lines["difficulty"], f"unknown difficulty {item['difficulty']!r}: use 1, 2 or 3")
        if catalog is not None and isinstance(item.get("drills"), list):
            for name in item["drills"]:
                if isinstance(name, str) and name not in catalog:
                    problem(field_lines["drills"], f"unknown drill {name!r} (not in the drill catalog)")
        if len(problems) == before:
            bank.questions.append(Question.from_dict({**item, "bank": bank.name}))
    return bank, problems


def check(files: list[Path]) -> tuple[list[BankFile], list[Problem]]:
    """Validate files together: per-file problems plus ids duplicated across files."""
    catalog = _drill_catalog()
    banks, problems = [], []
    first: dict[str, str] = {}
    for path in files:
        bank, found = parse_file(path, catalog)
        problems += found
        banks.append(bank)
        for q in bank.questions:
            if q.id in first:
                problems.append(Problem(str(path), _id_line(path, q.id), f"id {q.id!r} is already used in {first[q.id]}"))
            else:
                first[q.id] = str(path)
    return banks, problems


def _id_line(path: Path, qid: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if re.search(rf"\bid:\s*['\"]?{re.escape(qid)}['\"]?\s*$", line):
            return n
    return 0


def _fingerprint(files: list[Path]) -> str:
    h = hashlib.sha256()
    for p in files:
        st = p.stat()
        h.update(f"{p}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def load_all() -> dict[str, BankFile]:
    """Every shipped bank, validated; raises TfprepError (exit 2) listing problems."""
    files = bank_files()
    cache = paths.cache_dir() / f"banks-{_fingerprint(files)}.json"
    try:
        raw = json.loads(cache.read_text(encoding="utf-8"))
        return {name: BankFile(name=name, path=Path(b["path"]), title=b["title"],
                               questions=[Question.from_dict(q) for q in b["questions"]])
                for name, b in raw.items()}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    banks, problems = check(files)
    if problems:
        listed = "\n".join(f"  {p}" for p in problems[:20])
        raise TfprepError(f"the question banks have {len(problems)} problem(s):\n{listed}",
                          hint="run `tfprep bank check` for the full list")
    result = {b.name: b for b in banks}
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        for old in cache.parent.glob("banks-*.json"):
            old.unlink(missing_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps({n: {"path": str(b.path), "title": b.title,
                                       "questions": [asdict(q) for q in b.questions]}
                                   for n, b in result.items()}), encoding="utf-8")
        tmp.replace(cache)
    except OSError:
        pass  # a read-only home only costs speed
    return result


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
