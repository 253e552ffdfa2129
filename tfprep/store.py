"""The local progress store: SQLite under TFPREP_HOME, schema changes as named migrations.

Timestamps are stored as fixed-width UTC strings (`ts()`), so text order is time order; each
review also stores the learner's local calendar day, which streaks and "today" are counted on.
The review log keeps the card state before and after every rating, so history can be replayed
or the scheduler changed later, and the last rating can be undone exactly.
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from tfprep import paths

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_cards_and_reviews",
        """
        CREATE TABLE cards (
            card_id      TEXT PRIMARY KEY,      -- the question's stable id
            state        INTEGER NOT NULL,      -- fsrs.State: 1 learning, 2 review, 3 relearning
            due          TEXT NOT NULL,
            stability    REAL,
            difficulty   REAL,
            fsrs         TEXT NOT NULL,         -- fsrs.Card.to_json()
            first_review TEXT NOT NULL,
            last_review  TEXT NOT NULL,
            reps         INTEGER NOT NULL DEFAULT 0,
            lapses       INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX cards_due ON cards (due);
        CREATE TABLE reviews (
            id          INTEGER PRIMARY KEY,
            card_id     TEXT NOT NULL,
            rating      INTEGER NOT NULL,       -- 1 Again, 2 Hard, 3 Good, 4 Easy
            reviewed_at TEXT NOT NULL,
            day         TEXT NOT NULL,          -- local calendar day, YYYY-MM-DD
            kind        TEXT NOT NULL,          -- new | learn | review | relearn | cram
            duration_ms INTEGER,
            before      TEXT,                   -- card JSON before the rating (NULL: new card)
            after       TEXT,                   -- card JSON after the rating (NULL: cram)
            session     TEXT
        );
        CREATE INDEX reviews_day ON reviews (day);
        CREATE INDEX reviews_card ON reviews (card_id);
        CREATE INDEX reviews_kind ON reviews (kind);
        """,
    ),
    (
        "0002_drill_attempts",
        """
        CREATE TABLE drill_attempts (
            id            INTEGER PRIMARY KEY,
            drill         TEXT NOT NULL,
            attempted_at  TEXT NOT NULL,
            day           TEXT NOT NULL,
            passed        INTEGER NOT NULL,
            checks_passed INTEGER NOT NULL,
            checks_total  INTEGER NOT NULL,
            duration_s    REAL NOT NULL,
            hints_used    INTEGER NOT NULL,
            file          TEXT,
            report        TEXT                  -- the JSON report
        );
        CREATE INDEX drill_attempts_drill ON drill_attempts (drill);
        CREATE TABLE drill_events (
            id      INTEGER PRIMARY KEY,
            drill   TEXT NOT NULL,
            kind    TEXT NOT NULL,              -- hint | solution | reset
            at      TEXT NOT NULL,
            detail  TEXT
        );
        CREATE INDEX drill_events_drill ON drill_events (drill, kind);
        """,
    ),
]


def ts(dt: datetime) -> str:
    """Fixed-width UTC text for a timezone-aware datetime (sortable as text)."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def local_day(dt: datetime) -> str:
    return dt.astimezone().strftime("%Y-%m-%d")


def connect(path: Path | None = None) -> sqlite3.Connection:
    """Open (creating and migrating if needed) the progress database."""
    path = path or paths.db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)  # explicit transactions only
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    migrate(conn)
    return conn


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    return [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY name")]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply every migration not yet recorded; returns the names applied now."""
    done = set(applied_migrations(conn))
    applied = []
    for name, sql in MIGRATIONS:
        if name in done:
            continue
        with transaction(conn):
            for statement in sql.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                         (name, ts(datetime.now(timezone.utc))))
        applied.append(name)
    return applied


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
