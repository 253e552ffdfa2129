"""The daily home screen (`tfprep` with no arguments): plain data, no terminal.

What is due now and later today (cards and drills), today's new cards, today's step of the
plan, the streak, and the one command to run next. Reads the store only; imports no numpy.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime

from tfprep import store
from tfprep.banks import BankFile


def _end_of_day(now: datetime) -> datetime:
    local = now.astimezone()
    return local.replace(hour=23, minute=59, second=59, microsecond=999999)


def first_run(conn: sqlite3.Connection) -> bool:
    """Nothing done yet: no review, no drill attempt or event."""
    return not any(conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone()
                   for t in ("reviews", "drill_attempts", "drill_events"))


def compute(conn: sqlite3.Connection, banks: dict[str, BankFile], now: datetime, new_per_day: int = 10,
            plan_day: dict | None = None, reviews_per_day: int = 0) -> dict:
    """Counts as the quiz would serve them: suspended and buried cards left out, due cards in
    review capped by `reviews_per_day` (0: no cap)."""
    from tfprep import cards, drills, quiz, stats

    now_s, end_s = store.ts(now), store.ts(_end_of_day(now))
    hidden = cards.hidden(conn, now)
    ids = [q.id for b in banks.values() for q in b.questions if q.id not in hidden]
    rows = quiz.card_rows(conn, ids)
    due = [r for r in rows.values() if r["due"] <= now_s]
    left = quiz.review_allowance(conn, now, reviews_per_day)
    in_review = sum(r["state"] == 2 for r in due)
    due_now = len(due) - (max(0, in_review - left) if left is not None else 0)
    due_today = sum(now_s < r["due"] <= end_s for r in rows.values())
    unseen = len(ids) - len(rows)
    new_left = max(0, min(unseen, new_per_day - quiz.new_today(conn, store.local_day(now))))
    drill_cards = drills.schedule(conn)
    drills_due = sorted(name for name, r in drill_cards.items() if r["due"] <= now_s and drills.exists(name))
    drills_later = sorted(name for name, r in drill_cards.items() if now_s < r["due"] <= end_s and drills.exists(name))
    reviews_today = conn.execute("SELECT COUNT(*) FROM reviews WHERE day = ? AND kind != 'cram'",
                                 (store.local_day(now),)).fetchone()[0]
    upcoming = [r["due"] for r in rows.values() if r["due"] > end_s]
    data = {
        "now": now.isoformat(),
        "first_run": first_run(conn),
        "cards_due_now": due_now,
        "cards_due_later_today": due_today,
        "new_cards_today": new_left,
        "reviews_today": reviews_today,
        "drills_due": drills_due,
        "drills_due_later_today": drills_later,
        "streak_days": stats.streak(conn, now.astimezone().date()),
        "next_card_due": min(upcoming) if upcoming else None,
        "plan": plan_day,
    }
    data["next"] = next_command(data)
    return data


def next_command(data: dict) -> dict:
    """The one thing to do now, as a command and the reason for it."""
    if data["cards_due_now"]:
        n = data["cards_due_now"]
        return {"command": "tfprep quiz", "why": f"{n} card{'s' * (n != 1)} due now"}
    if data["drills_due"]:
        return {"command": "tfprep drill next", "why": f"drill {data['drills_due'][0]} is due for review"}
    plan = data.get("plan") or {}
    if plan.get("new_cards") and data["new_cards_today"]:
        return {"command": "tfprep quiz", "why": f"today's new cards: {plan['title']}"}
    todo = [d for d in plan.get("drills", []) if not d.get("done")]
    if todo:
        return {"command": f"tfprep drill {todo[0]['name']}", "why": f"today's drill in the plan: {plan['title']}"}
    if data["new_cards_today"]:
        return {"command": "tfprep quiz", "why": f"{data['new_cards_today']} new cards left for today"}
    return {"command": "tfprep drill next", "why": "nothing due: practise the next drill"}


def later(now: datetime, due: str | None) -> str | None:
    """How far off a due time is, in days, for the screen ('tomorrow', 'in 3 days')."""
    if due is None:
        return None
    days = (store.parse_ts(due).astimezone().date() - now.astimezone().date()).days
    return "tomorrow" if days <= 1 else f"in {days} days" if days < 60 else f"in {days // 30} months"

