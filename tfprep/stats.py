"""Progress figures for `tfprep stats` and the quiz summary: plain data, no terminal."""
from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta

from tfprep import store
from tfprep.banks import BankFile

MATURE_DAYS = 21  # Anki's threshold: a card whose stability reaches 3 weeks counts as mastered
FORECAST_DAYS = 30  # the due forecast: today (overdue included) and the 29 days after
HEATMAP_DAYS = 365  # reviews per day: the last year, today included
RETENTION_WEEKS = 26  # retention per calendar week (Monday to Sunday), this week included


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


def due_forecast(conn: sqlite3.Connection, now: datetime, days: int = FORECAST_DAYS) -> list[dict]:
    """Cards due on each local day from today (today's count includes the overdue), counted in
    one statement: a range count on the cards_due index per day."""
    today = now.astimezone().date()
    ends = [store.ts(_end_of_local_day(now, offset)) for offset in range(days)]
    bounds = [(0, "", ends[0])] + [(i, ends[i - 1], ends[i]) for i in range(1, days)]
    rows = conn.execute(f"WITH b(i, lo, hi) AS (VALUES {', '.join(['(?, ?, ?)'] * days)})"
                        " SELECT i, (SELECT COUNT(*) FROM cards WHERE due > b.lo AND due <= b.hi) FROM b ORDER BY i",
                        [v for b in bounds for v in b]).fetchall()
    return [{"day": (today + timedelta(days=i)).isoformat(), "due": n} for i, n in rows]


def review_history(conn: sqlite3.Connection, today: date) -> tuple[list[dict], list[dict]]:
    """(reviews per day for the last HEATMAP_DAYS days, retention per week for the last
    RETENTION_WEEKS weeks), counted by SQLite in one ordered scan of the covering index
    reviews_day_kind_rating (GROUP BY its three columns: no sort, no row read); what comes back
    is at most a few rows per day, folded into days here.

    A day counts scheduled reviews (cram left out, as in reviews_today). A week runs Monday to
    Sunday and is named by its Monday; its retention is the share of `review`-kind reviews (cards
    already in the review state) rated above Again, None in a week without any."""
    first = today - timedelta(days=HEATMAP_DAYS - 1)
    monday = today - timedelta(days=today.weekday())
    weeks = [monday - timedelta(weeks=RETENTION_WEEKS - 1 - w) for w in range(RETENTION_WEEKS)]
    start = min(first, weeks[0])
    by_day: dict[str, list[int]] = {}  # day -> [scheduled reviews, review-kind, review-kind rated > 1]
    for day, kind, rating, n in conn.execute(
            "SELECT day, kind, rating, COUNT(*) FROM reviews WHERE day >= ? AND day <= ? GROUP BY day, kind, rating",
            (start.isoformat(), today.isoformat())):
        counts = by_day.setdefault(day, [0, 0, 0])
        counts[0] += n if kind != "cram" else 0
        if kind == "review":
            counts[1] += n
            counts[2] += n if rating > 1 else 0
    per_day = []
    for offset in range(HEATMAP_DAYS):
        day = (first + timedelta(days=offset)).isoformat()
        per_day.append({"day": day, "reviews": by_day[day][0] if day in by_day else 0})
    per_week = []
    for week in weeks:
        days = [by_day.get((week + timedelta(days=d)).isoformat()) for d in range(7)]
        reviews = sum(r[1] for r in days if r)
        recalled = sum(r[2] for r in days if r)
        per_week.append({"week": week.isoformat(), "reviews": reviews, "recalled": recalled,
                         "retention": round(recalled / reviews, 4) if reviews else None})
    return per_day, per_week


def drills_by_tier(conn: sqlite3.Connection) -> dict[str, dict]:
    """Per tier of the catalog: playable drills (total), those attempted and those passed at least
    once (ordinary attempts; bug hunts are apart)."""
    from tfprep import drills

    tier_of = dict(drills.catalog())
    tiers = {t: {"total": 0, "attempted": 0, "passed": 0} for t in (*drills.TIERS, *tier_of.values())}
    for name in drills.available():
        tiers[tier_of[name]]["total"] += 1
    for name, passed in conn.execute("SELECT drill, MAX(passed) FROM drill_attempts WHERE hunt IS NULL"
                                     " GROUP BY drill"):
        if name in tier_of:
            tiers[tier_of[name]]["attempted"] += 1
            tiers[tier_of[name]]["passed"] += bool(passed)
    return tiers


def compute(conn: sqlite3.Connection, banks: dict[str, BankFile], now: datetime) -> dict:
    from tfprep.drills import hunt_stats  # here, not at the top: the quiz and home screen import
    from tfprep.interview import history as interview_history  # this module for `streak` alone
    today = now.astimezone().date()
    one = lambda sql, *args: conn.execute(sql, args).fetchone()[0]  # noqa: E731
    scheduled = "kind != 'cram'"
    reviews_today = one(f"SELECT COUNT(*) FROM reviews WHERE day = ? AND {scheduled}", today.isoformat())
    reviews_total = one(f"SELECT COUNT(*) FROM reviews WHERE {scheduled}")
    row = conn.execute("SELECT COUNT(*), SUM(rating > 1) FROM reviews WHERE kind = 'review'").fetchone()
    retention = (row[1] / row[0]) if row[0] else None

    forecast = due_forecast(conn, now)  # [0] is today, overdue included
    per_day, per_week = review_history(conn, today)

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
        "due_next_7_days": forecast[1:8],
        "cards_total": one("SELECT COUNT(*) FROM cards"),
        "streak_days": streak(conn, today),
        "banks": per_bank,
        "tags": per_tag,
        "drills": {"attempts": drills[0], "attempted": drills[1], "passed": drills[2]},
        "interviews": interview_history(conn),
        "bug_hunts": hunt_stats(conn),
        "forecast_30_days": forecast,
        "reviews_per_day": per_day,
        "retention_by_week": per_week,
        "drills_by_tier": drills_by_tier(conn),
    }
