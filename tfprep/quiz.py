"""A quiz session: which cards to show, and committing each rating (one transaction each).

No terminal here: the interactive loop (tfprep.interactive) drives a QuizSession. Times come
from a clock function, so tests can pin them.
"""
from __future__ import annotations

import random
import sqlite3
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from tfprep import cards, store
from tfprep.banks import Question
from tfprep.scheduler import Rating, Scheduler

LEARN_AHEAD = timedelta(minutes=20)  # a card due again within this is shown again this session
KIND_BY_STATE = {1: "learn", 2: "review", 3: "relearn"}


def new_today(conn: sqlite3.Connection, day: str) -> int:
    return conn.execute("SELECT COUNT(*) FROM reviews WHERE kind = 'new' AND day = ?", (day,)).fetchone()[0]


def card_rows(conn: sqlite3.Connection, ids: list[str]) -> dict[str, sqlite3.Row]:
    rows: dict[str, sqlite3.Row] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for r in conn.execute(f"SELECT * FROM cards WHERE card_id IN ({marks})", chunk):
            rows[r["card_id"]] = r
    return rows


def reviews_today(conn: sqlite3.Connection, day: str) -> int:
    """Ratings given today to cards in review (what `reviews_per_day` caps)."""
    return conn.execute("SELECT COUNT(*) FROM reviews WHERE kind = 'review' AND day = ?", (day,)).fetchone()[0]


def review_allowance(conn: sqlite3.Connection, now: datetime, reviews_per_day: int) -> int | None:
    """Cards in review that may still be shown today under the cap; None when there is no cap."""
    if not reviews_per_day:
        return None
    return max(0, reviews_per_day - reviews_today(conn, store.local_day(now)))


def choose(conn: sqlite3.Connection, questions: list[Question], now: datetime, *, limit: int | None = None,
           new_per_day: int = 10, cram: bool = False, reviews_per_day: int = 0) -> list[Question]:
    """Due cards first (most overdue first), then new cards up to today's allowance.

    Suspended cards and cards buried until later are never chosen. With `reviews_per_day`
    (0: no cap), due cards in review are capped at what is left of it today; cards still in
    (re)learning are not. With `cram`, every other selected question is eligible (due ones first,
    then the rest by due date, then new ones), nothing is limited by the schedule, and nothing
    will be rescheduled.
    """
    hidden = cards.hidden(conn, now)
    questions = [q for q in questions if q.id not in hidden]
    rows = card_rows(conn, [q.id for q in questions])
    now_s = store.ts(now)
    seen = sorted((q for q in questions if q.id in rows), key=lambda q: rows[q.id]["due"])
    due = [q for q in seen if rows[q.id]["due"] <= now_s]
    new = [q for q in questions if q.id not in rows]
    if cram:
        picked = due + [q for q in seen if q not in due] + new
    else:
        left = review_allowance(conn, now, reviews_per_day)
        if left is not None:
            in_review = [q for q in due if rows[q.id]["state"] == 2]
            capped = set(q.id for q in in_review[left:])
            due = [q for q in due if q.id not in capped]
        allowance = max(0, new_per_day - new_today(conn, store.local_day(now)))
        picked = due + new[:allowance]
    return picked[:limit] if limit is not None else picked


@dataclass
class _Undo:
    question: Question
    rating: Rating
    review_id: int
    previous: dict | None  # the cards row before the rating; None if the card was new
    requeued: bool
    leeched: bool = False  # the rating made the card a leech (tagged and suspended)
    flags: dict | None = None  # its card_flags row before that
    action: str = "rate"  # or "suspend" / "bury": no review to take back, only the flags


def _setting(name: str):
    from tfprep import config

    return config.get(name)


_SEEDS = random.SystemRandom()  # fuzz seeds, apart from the `random` state the fuzz itself reseeds


@dataclass
class _Shown:
    """What `preview` showed for a card: its state then, the fuzz seed, the card after each rating."""
    before: str | None
    seed: int
    outcomes: dict


@dataclass
class QuizSession:
    conn: sqlite3.Connection
    scheduler: Scheduler
    queue: list[Question]
    clock: Callable[[], datetime]
    cram: bool = False
    leech_threshold: int = field(default_factory=lambda: _setting("leech_threshold"))
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    last_leech: int | None = None  # lapses of the card the last rating made a leech, else None
    ratings: Counter = field(default_factory=Counter)
    _undo: list[_Undo] = field(default_factory=list)
    _shown: dict[str, "_Shown"] = field(default_factory=dict)

    def next(self) -> Question | None:
        return self.queue[0] if self.queue else None

    def _row(self, q: Question) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM cards WHERE card_id = ?", (q.id,)).fetchone()

    def preview(self, q: Question) -> dict[Rating, timedelta]:
        """The four intervals for the card as it is shown now. They are computed once, fuzz
        included, and `rate` commits the chosen one exactly (as long as no other session has
        rated the card in between)."""
        row = self._row(q)
        now = self.clock()
        card = self.scheduler.load(row["fsrs"]) if row else self.scheduler.new_card(now)
        seed = _SEEDS.getrandbits(31)
        outcomes = self.scheduler.outcomes(card, now, seed)
        self._shown[q.id] = _Shown(row["fsrs"] if row else None, seed, outcomes)
        return {r: c.due - now for r, c in outcomes.items()}

    def rate(self, q: Question, rating: Rating, duration_ms: int | None = None) -> datetime | None:
        """Commit one rating; returns the card's next due time (None when cramming)."""
        now = self.clock()
        shown = self._shown.pop(q.id, None)
        with store.transaction(self.conn):
            # read inside the write transaction: another session may have rated this card since
            # it was shown, and the new state must be scheduled from the latest one
            row = self._row(q)
            before_json = row["fsrs"] if row else None
            seed = shown.seed if shown else _SEEDS.getrandbits(31)
            if self.cram:
                after = None
            elif shown is not None and shown.before == before_json:
                after = shown.outcomes[rating]  # exactly what was shown for this rating
            else:  # not previewed, or changed since: schedule from the latest state, same seed
                before = self.scheduler.load(before_json) if row else self.scheduler.new_card(now)
                after = self.scheduler.review(before, rating, now, seed)
            kind = "cram" if self.cram else ("new" if row is None else KIND_BY_STATE.get(row["state"], "review"))
            cur = self.conn.execute(
                "INSERT INTO reviews (card_id, rating, reviewed_at, day, kind, duration_ms, before, after, session,"
                " fuzz_seed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (q.id, int(rating), store.ts(now), store.local_day(now), kind, duration_ms,
                 before_json, after.to_json() if after else None, self.id, seed))
            leeched, flags = False, None
            if after is not None:
                lapse = rating == Rating.AGAIN and row is not None and row["state"] == 2
                store.save_card(self.conn, "cards", q.id, after, now, lapse=lapse)
                if lapse and cards.is_leech_lapse(row["lapses"] + 1, self.leech_threshold):
                    leeched, flags = True, cards.flag_row(self.conn, q.id)
                    cards.mark_leech(self.conn, q.id, now)
        self.last_leech = row["lapses"] + 1 if leeched else None
        self.queue.remove(q)
        requeue = after is not None and after.due - now <= LEARN_AHEAD and not leeched
        if requeue:
            self.queue.append(q)
        self.ratings[rating] += 1
        self._undo.append(_Undo(q, rating, cur.lastrowid, dict(row) if row else None, requeue, leeched, flags))
        return after.due if after else None

    def undo(self) -> Question | None:
        """Take back the last rating of this session exactly; the card comes back first."""
        if not self._undo:
            return None
        u = self._undo.pop()
        if u.action != "rate":
            with store.transaction(self.conn):
                cards.restore(self.conn, u.question.id, u.flags)
            self.queue.insert(0, u.question)
            return u.question
        with store.transaction(self.conn):
            self.conn.execute("DELETE FROM reviews WHERE id = ?", (u.review_id,))
            if not self.cram:
                self.conn.execute("DELETE FROM cards WHERE card_id = ?", (u.question.id,))
                if u.previous is not None:
                    cols = ", ".join(u.previous)
                    self.conn.execute(f"INSERT INTO cards ({cols}) VALUES ({', '.join('?' * len(u.previous))})",
                                      list(u.previous.values()))
                if u.leeched:
                    cards.restore(self.conn, u.question.id, u.flags)
        if u.requeued:
            # the requeued copy is the last occurrence of this question in the queue
            idx = len(self.queue) - 1 - self.queue[::-1].index(u.question)
            del self.queue[idx]
        self.queue.insert(0, u.question)
        self.ratings[u.rating] -= 1
        return u.question

    def set_aside(self, q: Question, how: str) -> datetime | None:
        """Suspend (`how="suspend"`) or bury until tomorrow (`"bury"`) the card, unrated: it
        leaves the queue at once; `undo` puts its flags back and shows it again. Returns when a
        buried card comes back (None when suspended)."""
        now = self.clock()
        before = cards.flag_row(self.conn, q.id)
        back = None
        if how == "suspend":
            cards.suspend(self.conn, q.id, now)
        elif how == "bury":
            back = cards.bury(self.conn, q.id, now)
        else:
            raise ValueError(f"unknown way to set a card aside: {how!r}")
        self._shown.pop(q.id, None)
        while q in self.queue:
            self.queue.remove(q)
        self._undo.append(_Undo(q, None, 0, None, False, flags=before, action=how))
        return back

    def counts(self) -> dict[str, int]:
        """The cards left in the queue, as Anki counts them: new, learning (and relearning), review."""
        rows = card_rows(self.conn, list(dict.fromkeys(q.id for q in self.queue)))
        out = {"new": 0, "learning": 0, "review": 0}
        for q in self.queue:
            row = rows.get(q.id)
            out["new" if row is None else "review" if row["state"] == 2 else "learning"] += 1
        return out

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def seen(self) -> int:
        return sum(self.ratings.values())

    def next_due(self) -> datetime | None:
        row = self.conn.execute("SELECT MIN(due) FROM cards").fetchone()
        return store.parse_ts(row[0]) if row and row[0] else None


# --- typed answers ---------------------------------------------------------------------------

def coverage(answer: str, key_points: tuple[str, ...] | list[str], rules=()) -> list[bool]:
    """Which key points a typed answer covers. `rules`: each key point's `all`/`any`/`window`
    from the bank (a Question's `key_point_rules`), None for a plain key point; the scoring
    itself (phrases, windows, negations, numbers) is tfprep.scoring's."""
    from tfprep import scoring

    return scoring.coverage(answer, key_points, rules)


def suggest_rating(marks: list[bool]) -> Rating:
    share = sum(marks) / len(marks) if marks else 0.0
    if share == 1.0:
        return Rating.EASY
    if share >= 0.6:
        return Rating.GOOD
    if share >= 0.3:
        return Rating.HARD
    return Rating.AGAIN
