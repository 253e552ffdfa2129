"""A mock interview round (`tfprep interview`): plain data and the store, no terminal.

A round has a fixed shape shown up front: warm-up questions, one drill without hints under a
timer, then probing / trade-off questions, scaled to the minutes given. Items are chosen from
what is weak or due. Every rating and the drill's graded attempt are ordinary reviews (FSRS);
the scorecard is saved in the store and shown by `tfprep stats`.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import datetime

from tfprep import store
from tfprep.banks import BankFile, Question

MIN_MINUTES, MAX_MINUTES = 20, 120
QUESTION_MINUTES = 5  # each question's budget
MIN_DRILL_MINUTES = 10


@dataclass
class Item:
    kind: str  # warm-up | drill | probing
    id: str  # question id or drill name
    title: str
    minutes: float
    rating: int | None = None  # 1-4 for questions
    passed: bool | None = None  # for the drill
    checks: str | None = None  # "7/9" for the drill
    bug: str | None = None  # the drill's diagnosis, if any
    seconds_used: float | None = None
    tags: list[str] = field(default_factory=list)


def shape(minutes: int) -> tuple[int, int, float]:
    """(warm-up questions, probing questions, drill minutes) for a round of `minutes`."""
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        from tfprep.errors import TfprepError

        raise TfprepError(f"--minutes must be between {MIN_MINUTES} and {MAX_MINUTES}, got {minutes}")
    warm = 2 if minutes >= 40 else 1
    probe = 2 if minutes >= 35 else 1
    drill = max(MIN_DRILL_MINUTES, minutes - QUESTION_MINUTES * (warm + probe))
    return warm, probe, float(drill)


def _weakness(rows: dict, now_s: str):
    """Sort key, weakest first: overdue cards (most overdue first), then seen cards by stability
    (lowest first), then unseen ones in bank order."""
    def key(indexed):
        i, q = indexed
        r = rows.get(q.id)
        if r is None:
            return (2, 0.0, i)
        if r["due"] <= now_s:
            return (0, r["due"], i)
        return (1, float(r["stability"] or 0.0), i)

    return key


def choose(conn: sqlite3.Connection, banks: dict[str, BankFile], now: datetime, minutes: int,
           drill_name: str | None = None) -> list[Item]:
    from tfprep import drills
    from tfprep.quiz import card_rows

    warm_n, probe_n, drill_minutes = shape(minutes)
    from tfprep import cards

    hidden = cards.hidden(conn, now)  # suspended and buried cards stay out of a round too
    questions = [q for b in banks.values() for q in b.questions if q.id not in hidden]
    rows = card_rows(conn, [q.id for q in questions])
    order = _weakness(rows, store.ts(now))
    warm_pool = [q for q in questions if q.bank != "probing" and q.difficulty <= 2]
    probe_pool = [q for q in questions if q.bank == "probing"] or [q for q in questions if "comparison" in q.tags]
    warm = [q for _, q in sorted(enumerate(warm_pool), key=order)][:warm_n]
    probe = [q for _, q in sorted(enumerate(probe_pool), key=order) if q not in warm][:probe_n]
    name = drill_name or pick_drill(conn, now)
    d = drills.load(name)

    def item(kind: str, q: Question) -> Item:
        return Item(kind, q.id, q.question.strip(), QUESTION_MINUTES, tags=list(q.tags))

    return ([item("warm-up", q) for q in warm] + [Item("drill", d.name, d.title, drill_minutes, tags=list(d.tags))]
            + [item("probing", q) for q in probe])


def pick_drill(conn: sqlite3.Connection, now: datetime) -> str:
    """A drill for the round, weakest first: due for review, then attempted and never passed, then
    new, in catalog order; only drills whose requirements are installed."""
    from tfprep import drills

    cards = drills.schedule(conn)
    prog = drills.progress(conn)
    now_s = store.ts(now)
    ok = [n for n in drills.available() if drills.missing_capability(drills.load(n)) is None]
    due = sorted((n for n in ok if n in cards and cards[n]["due"] <= now_s), key=lambda n: cards[n]["due"])
    failed = [n for n in ok if prog.get(n, {}).get("attempts") and not prog[n]["passed"]]
    new = [n for n in ok if n not in prog]
    for group in (due, failed, new, ok):
        if group:
            return group[0]
    raise AssertionError("no drill is available")  # the NumPy tier needs nothing beyond tfprep's own dependencies


def revisit(items: list[Item]) -> list[str]:
    """Topics to revisit: the tags of what went badly (rated Again/Hard, or a failed drill), most frequent first."""
    from collections import Counter

    bad = [i for i in items if (i.rating is not None and i.rating <= 2) or i.passed is False]
    counts = Counter(t for i in bad for t in i.tags)
    return [t for t, _ in counts.most_common()]


def save(conn: sqlite3.Connection, started: datetime, minutes: int, items: list[Item], finished: bool) -> dict:
    """Store the scorecard (even for a round stopped early) and return it."""
    card = {"started": started.isoformat(), "minutes": minutes, "finished": finished,
            "items": [asdict(i) for i in items], "revisit": revisit(items),
            "questions_rated": sum(i.rating is not None for i in items),
            "drill_passed": next((i.passed for i in items if i.kind == "drill"), None)}
    with store.transaction(conn):
        cur = conn.execute("INSERT INTO interviews (started_at, day, minutes, finished, scorecard) VALUES (?, ?, ?, ?, ?)",
                           (store.ts(started), store.local_day(started), minutes, int(finished), json.dumps(card)))
    card["id"] = cur.lastrowid
    return card


def history(conn: sqlite3.Connection) -> dict:
    """For `tfprep stats`: how many rounds, and the last one's scorecard."""
    n = conn.execute("SELECT COUNT(*) FROM interviews").fetchone()[0]
    last = conn.execute("SELECT scorecard FROM interviews ORDER BY started_at DESC, id DESC LIMIT 1").fetchone()
    return {"rounds": n, "last": json.loads(last[0]) if last else None}
