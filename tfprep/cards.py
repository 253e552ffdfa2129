"""Managing cards as Anki does: suspend, bury until tomorrow, and leeches.

A card's flags live in the store's `card_flags` table (card_id, suspended, buried_until, leech),
apart from its FSRS state (`cards`) and the review log: a flag never changes a schedule, it
only keeps the card out of the quiz. A suspended card is never shown until it is unsuspended;
a buried one is skipped until the next local day. A card becomes a leech when its lapses
(Again on a card in review) reach the threshold (config `leech_threshold`, default 8), and
again every half threshold after that: it is tagged leech and suspended.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from tfprep import store

LEECH_MESSAGE = ("Lapse {lapses}: this card is a leech: suspended; rewrite your notes on it, "
                 "then `tfprep card unsuspend {id}`")


def flag_row(conn: sqlite3.Connection, card_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM card_flags WHERE card_id = ?", (card_id,)).fetchone()
    return dict(row) if row else None


def hidden(conn: sqlite3.Connection, now: datetime) -> set[str]:
    """Cards the quiz must not show at `now`: suspended, or buried until later than now."""
    return {r[0] for r in conn.execute("SELECT card_id FROM card_flags WHERE suspended = 1 OR buried_until > ?",
                                       (store.ts(now),))}


def next_day(now: datetime) -> datetime:
    """The start of the next local calendar day."""
    local = now.astimezone()
    return (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def _upsert(conn: sqlite3.Connection, card_id: str, now: datetime, **values) -> None:
    cols = ", ".join(values)
    conn.execute(f"INSERT INTO card_flags (card_id, {cols}, updated_at) VALUES (?, {', '.join('?' * len(values))}, ?)"
                 f" ON CONFLICT (card_id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in values)},"
                 " updated_at = excluded.updated_at", (card_id, *values.values(), store.ts(now)))


def suspend(conn: sqlite3.Connection, card_id: str, now: datetime) -> None:
    with store.transaction(conn):
        _upsert(conn, card_id, now, suspended=1)


def unsuspend(conn: sqlite3.Connection, card_id: str, now: datetime) -> bool:
    """Bring a card back (unsuspended and unburied; a leech keeps its tag). False if it was neither."""
    with store.transaction(conn):
        before = flag_row(conn, card_id)
        was = bool(before and (before["suspended"] or (before["buried_until"] or "") > store.ts(now)))
        if before is not None:
            _upsert(conn, card_id, now, suspended=0, buried_until=None)
    return was


def bury(conn: sqlite3.Connection, card_id: str, now: datetime) -> datetime:
    """Skip the card until the next local day; returns when it comes back."""
    until = next_day(now)
    with store.transaction(conn):
        _upsert(conn, card_id, now, buried_until=store.ts(until))
    return until


def is_leech_lapse(lapses: int, threshold: int) -> bool:
    """Whether reaching `lapses` makes (or again makes) the card a leech: at the threshold, then
    every half threshold after it (Anki's rule)."""
    if lapses < threshold:
        return False
    return (lapses - threshold) % max(1, threshold // 2) == 0


def mark_leech(conn: sqlite3.Connection, card_id: str, now: datetime) -> None:
    """Tag the card leech and suspend it (inside the caller's transaction)."""
    _upsert(conn, card_id, now, suspended=1, leech=1)


def restore(conn: sqlite3.Connection, card_id: str, row: dict | None) -> None:
    """Put a card's flags back as they were (undo; inside the caller's transaction)."""
    conn.execute("DELETE FROM card_flags WHERE card_id = ?", (card_id,))
    if row is not None:
        conn.execute(f"INSERT INTO card_flags ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                     list(row.values()))


def status(conn: sqlite3.Connection, card_id: str, now: datetime) -> dict:
    """What `bank show` says about a card: suspended, buried until, leech, lapses, reps, due."""
    flags = flag_row(conn, card_id) or {}
    card = conn.execute("SELECT due, reps, lapses FROM cards WHERE card_id = ?", (card_id,)).fetchone()
    buried = flags.get("buried_until")
    return {"suspended": bool(flags.get("suspended")), "leech": bool(flags.get("leech")),
            "buried_until": store.parse_ts(buried) if buried and buried > store.ts(now) else None,
            "reps": card["reps"] if card else 0, "lapses": card["lapses"] if card else 0,
            "due": store.parse_ts(card["due"]) if card else None}


def resolve(conn: sqlite3.Connection, banks: dict, card_id: str) -> str:
    """The id, if it is a question of a bank or a card in the store; else a TfprepError with a
    "did you mean"."""
    from tfprep import banks as banks_mod

    if conn.execute("SELECT 1 FROM cards WHERE card_id = ?", (card_id,)).fetchone():
        return card_id
    return banks_mod.find(banks, card_id).id
