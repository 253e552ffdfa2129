"""Progress figures for `tfprep stats` and the quiz summary: plain data, no terminal."""
from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta

from tfprep import store
from tfprep.banks import BankFile
from tfprep.drills import hunt_stats
from tfprep.interview import history as interview_history

MATURE_DAYS = 21  # Anki's threshold: a card whose stability reaches 3 weeks counts as mastered


def streak(conn: sqlite3.Connection, today: date) -> int:
    """Consecutive days with at least one review, ending today (or yesterday if none yet today)."""
    days = {r[0] for r in conn.execute("SELECT DISTINCT day FROM reviews WHERE day > ?",
                                       ((today - timedelta(days=3650)).isoformat(),))}
    day = today if today.isoformat() in days else today - timedelta(days=1)
    n = 0
    while day.isoformat() in days:
        n += 1
        day -= timedelta(days=1)
    return n


def _end_of_local_day(now: datetime, offset_days: int) -> datetime:
    local = now.astimezone()
    return local.replace(hour=23, minute=59, second=59, microsecond=999999) + timedelta(days=offset_days)


def compute(conn: sqlite3.Connection, banks: dict[str, BankFile], now: datetime) -> dict:
    today = now.astimezone().date()
    one = lambda sql, *args: conn.execute(sql, args).fetchone()[0]  # noqa: E731
    scheduled = "kind != 'cram'"
    reviews_today = one(f"SELECT COUNT(*) FROM reviews WHERE day = ? AND {scheduled}", today.isoformat())
    reviews_total = one(f"SELECT COUNT(*) FROM reviews WHERE {scheduled}")
    row = conn.execute("SELECT COUNT(*), SUM(rating > 1) FROM reviews WHERE kind = 'review'").fetchone()
    retention = (row[1] / row[0]) if row[0] else None

    # due counts per local day for today (overdue included) and the next 7 days
    forecast = []
    prev = None
    for offset in range(8):
        end = store.ts(_end_of_local_day(now, offset))
        if prev is None:
            n = one("SELECT COUNT(*) FROM cards WHERE due <= ?", end)
        else:
            n = one("SELECT COUNT(*) FROM cards WHERE due > ? AND due <= ?", prev, end)
        forecast.append({"day": (today + timedelta(days=offset)).isoformat(), "due": n})
        prev = end

    bank_ids = {q.id for b in banks.values() for q in b.questions}
    cards = {}
    if bank_ids:
        from tfprep.quiz import card_rows

        cards = card_rows(conn, sorted(bank_ids))

    def mastery(questions) -> dict:
        total = len(questions)
        seen = sum(q.id in cards for q in questions)
        mature = sum(1 for q in questions if q.id in cards and (cards[q.id]["stability"] or 0) >= MATURE_DAYS)
        return {"questions": total, "seen": seen, "mature": mature,
                "mastery": round(mature / total, 4) if total else 0.0}

    per_bank = {name: mastery(b.questions) for name, b in banks.items()}
    by_tag: dict[str, list] = {}
    for b in banks.values():
        for q in b.questions:
            for t in q.tags:
                by_tag.setdefault(t, []).append(q)
    per_tag = {t: mastery(qs) for t, qs in sorted(by_tag.items())}

    drills = conn.execute("SELECT COUNT(*), COUNT(DISTINCT drill), COUNT(DISTINCT CASE WHEN passed THEN drill END)"
                          " FROM drill_attempts WHERE hunt IS NULL").fetchone()
    return {
        "now": now.isoformat(),
        "reviews_today": reviews_today,
        "reviews_total": reviews_total,
        "retention": round(retention, 4) if retention is not None else None,
        "due_today": forecast[0]["due"],
        "due_next_7_days": forecast[1:],
        "cards_total": one("SELECT COUNT(*) FROM cards"),
        "streak_days": streak(conn, today),
        "banks": per_bank,
        "tags": per_tag,
        "drills": {"attempts": drills[0], "attempted": drills[1], "passed": drills[2]},
        "interviews": interview_history(conn),
        "bug_hunts": hunt_stats(conn),
    }
