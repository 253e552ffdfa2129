"""The local progress store: SQLite under TFPREP_HOME, schema changes as named migrations.

Timestamps are stored as fixed-width UTC strings (`ts()`), so text order is time order; each
review also stores the learner's local calendar day, which streaks and "today" are counted on.
The review log keeps the card state before and after every rating, so history can be replayed
or the scheduler changed later, and the last rating can be undone exactly.
"""
from __future__ import annotations

import errno
import os
import sqlite3
import weakref
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from tfprep import paths
from tfprep.errors import ExitStatus, TfprepError

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
    (
        # the seed of the interval fuzz, so a review can be replayed exactly (no comment inside
        # the statement: SQLite splices an added column's text into the table's CREATE statement)
        "0003_review_fuzz_seed",
        """
        ALTER TABLE reviews ADD COLUMN fuzz_seed INTEGER
        """,
    ),
    (
        # drills on a schedule: one FSRS card per drill, reviewed by graded attempts
        "0004_drill_schedule",
        """
        CREATE TABLE drill_cards (
            card_id      TEXT PRIMARY KEY,      -- the drill's name
            state        INTEGER NOT NULL,
            due          TEXT NOT NULL,
            stability    REAL,
            difficulty   REAL,
            fsrs         TEXT NOT NULL,
            first_review TEXT NOT NULL,
            last_review  TEXT NOT NULL,
            reps         INTEGER NOT NULL DEFAULT 0,
            lapses       INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX drill_cards_due ON drill_cards (due);
        CREATE TABLE drill_reviews (
            id          INTEGER PRIMARY KEY,
            card_id     TEXT NOT NULL,          -- the drill's name
            attempt_id  INTEGER,                -- the graded attempt (drill_attempts.id) that is the review
            rating      INTEGER NOT NULL,
            reviewed_at TEXT NOT NULL,
            day         TEXT NOT NULL,
            kind        TEXT NOT NULL,          -- new | learn | review | relearn
            reason      TEXT,                   -- why this rating: first try, hints, solution, failures, time
            before      TEXT,
            after       TEXT,
            fuzz_seed   INTEGER
        );
        CREATE INDEX drill_reviews_card ON drill_reviews (card_id);
        CREATE INDEX drill_reviews_day ON drill_reviews (day);
        """,
    ),
    (
        # the prep plan's dates: its start and the interview date, when set
        "0005_plan_settings",
        """
        CREATE TABLE plan_settings (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    ),
    (
        # mock interview rounds: each one's scorecard (its ratings and attempt are ordinary reviews too)
        "0006_interviews",
        """
        CREATE TABLE interviews (
            id         INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            day        TEXT NOT NULL,
            minutes    INTEGER NOT NULL,
            finished   INTEGER NOT NULL,
            scorecard  TEXT NOT NULL
        );
        """,
    ),
    (
        # bug hunts: an attempt on a drill's known-bug file names that bug (NULL: an ordinary attempt)
        "0007_bug_hunts",
        """
        ALTER TABLE drill_attempts ADD COLUMN hunt TEXT
        """,
    ),
    (
        # card management (tfprep.cards): suspended, buried until a time, tagged leech; apart from
        # the FSRS state and the review log, so a flag never changes a schedule
        "0008_card_flags",
        """
        CREATE TABLE card_flags (
            card_id      TEXT PRIMARY KEY,      -- the question's id
            suspended    INTEGER NOT NULL DEFAULT 0,
            buried_until TEXT,                  -- skipped by the quiz until this time (ts())
            leech        INTEGER NOT NULL DEFAULT 0,
            updated_at   TEXT NOT NULL
        );
        """,
    ),
    (
        # `tfprep stats` charts (reviews per day, retention per week): one ordered scan of this
        # covering index, where reviews_day would read each review's row in day order. It serves
        # every lookup by day that reviews_day did (day is its first column), so that one goes:
        # one index to keep up and to check (quick_check reads them all at every start), not two.
        "0009_reviews_day_kind_rating",
        """
        CREATE INDEX reviews_day_kind_rating ON reviews (day, kind, rating);
        DROP INDEX reviews_day
        """,
    ),
]


def ts(dt: datetime) -> str:
    """Fixed-width UTC text for a timezone-aware datetime (sortable as text)."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(text: str) -> datetime:
    """The time `ts()` wrote. By fromisoformat: strptime's first call imports _strptime and
    calendar (~1.5 ms of a start-up), and each later one is ~8 times slower."""
    if not text.endswith("Z"):
        raise ValueError(f"not a UTC timestamp of the store: {text!r}")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc)


def local_day(dt: datetime) -> str:
    return dt.astimezone().strftime("%Y-%m-%d")


REPAIR_HINT = "run `tfprep doctor --repair`: it keeps the damaged file aside and rebuilds what it can"


def _fail(message: str, hint: str | None = None) -> TfprepError:
    return TfprepError(message, ExitStatus.USAGE, hint=hint)


def explain(exc: BaseException, path: Path) -> TfprepError:
    """An OS or SQLite failure on the store as a message that names the path and what to do."""
    text = str(exc)
    home = path.parent
    if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text
                                                  or "corrupt" in text):
        return _fail(f"the progress store {path} is damaged ({text}); nothing was written to it", REPAIR_HINT)
    if "disk is full" in text or getattr(exc, "errno", None) == errno.ENOSPC or (
            "disk I/O error" in text and _disk_full(home)):
        return _fail(f"not saved: the disk holding {path} is full", "free some space and try again; "
                     "everything saved before is intact")
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG or "too large" in text or (
            "disk I/O error" in text and _file_size_limited()):
        return _fail(f"not saved: {path} hit the file-size limit (ulimit -f)", "raise the limit and try again")
    if "locked" in text or "busy" in text:
        return _fail(f"the progress store {path} is locked by another tfprep for too long", "try again in a moment")
    if "readonly" in text or "read-only" in text or getattr(exc, "errno", None) in (errno.EACCES, errno.EPERM,
                                                                                    errno.EROFS):
        return _fail(f"TFPREP_HOME={home} is read-only: tfprep cannot write {path.name} there",
                     "choose another folder with TFPREP_HOME, or fix the permissions")
    return _fail(f"cannot open the progress store {path} ({text})",
                 f"check that TFPREP_HOME={home} is a folder you can write to")


def _disk_full(folder: Path) -> bool:
    try:
        st = os.statvfs(folder)
    except (OSError, AttributeError):
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024


def _file_size_limited() -> bool:
    try:
        import resource
    except ImportError:  # not on this platform
        return False
    return resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY


def _ensure_home(home: Path) -> None:
    if home.exists() and not home.is_dir():
        raise _fail(f"TFPREP_HOME={home} is a file, not a folder", "point TFPREP_HOME at a folder")
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _fail(f"cannot create TFPREP_HOME={home} ({exc.strerror or exc})",
                    "choose another folder with TFPREP_HOME, or fix the permissions") from None


class _Connection(sqlite3.Connection):
    """sqlite3's connection, which can be referred to weakly (for `close_all`)."""


_open: weakref.WeakSet = weakref.WeakSet()  # what `connect` opened and is not freed yet


def close_all() -> None:
    """Close every connection `connect` opened (`tfprep.__main__` does, on the way out). A
    connection sits in a reference cycle (with its statement cache), so it is otherwise closed,
    and its WAL checkpointed into the database file, only by a garbage collection."""
    for conn in list(_open):
        try:
            conn.close()
        except sqlite3.Error:
            pass


def connect(path: Path | None = None, *, write: bool = True) -> sqlite3.Connection:
    """Open (creating and migrating if needed) the progress database: the one door to the store.

    Every failure becomes a TfprepError that names the path and what to do. A store that fails
    `PRAGMA quick_check` is refused (`tfprep doctor --repair` is the way out). A store written by
    a newer tfprep (migrations this version does not know) opens read-only when `write` is False
    (stats, paths) and is refused otherwise."""
    path = path or paths.db_path()
    _ensure_home(path.parent)
    if path.exists() and not path.is_file():
        raise _fail(f"the progress store {path} is not a file", "move it out of the way; tfprep makes a new one")
    try:
        # explicit transactions only
        conn = sqlite3.connect(path, timeout=10, isolation_level=None, factory=_Connection)
        _open.add(conn)
        try:
            conn.row_factory = sqlite3.Row
            check = conn.execute("PRAGMA quick_check").fetchone()[0]  # before anything writes
            if check != "ok":
                raise _fail(f"the progress store {path} is damaged (quick_check: {check[:200]}); "
                            "nothing was written to it", REPAIR_HINT)
            _journal_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            newer = unknown_migrations(conn)
            if newer:
                if write:
                    raise _fail(f"this progress store was written by a newer tfprep (migration {newer[0]}): "
                                f"this version cannot write {path} safely", "upgrade tfprep (pip install -U tfprep)")
                conn.execute("PRAGMA query_only=ON")
            else:
                migrate(conn)
        except BaseException:
            conn.close()
            raise
    except (sqlite3.Error, OSError) as exc:
        error = explain(exc, path)
        if not write and path.is_file() and _disk_full(path.parent):
            snapshot = _open_snapshot(path)  # a full disk cannot take the WAL's index: read the file as is
            if snapshot is not None:
                return snapshot
        raise error from None
    return conn


def _open_snapshot(path: Path) -> sqlite3.Connection | None:
    """Read-only view of a store whose WAL is empty (every commit is in the main file), opened
    without creating any file: for reading figures when nothing can be written."""
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, isolation_level=None)
        conn.row_factory = sqlite3.Row
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok" or unknown_migrations(conn) or \
                _recorded(conn) != [name for name, _ in MIGRATIONS]:
            conn.close()
            return None
        return conn
    except sqlite3.Error:
        return None


def _journal_wal(conn: sqlite3.Connection, timeout_s: float = 10.0) -> None:
    """Switch to WAL; the switch can be refused as busy without the busy handler being called,
    so retry it (several first starts at the same instant all get there)."""
    import time

    end = time.monotonic() + timeout_s
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > end:
                raise
            time.sleep(0.02)


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    return [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY name")]


def _recorded(conn: sqlite3.Connection) -> list[str] | None:
    """Migration names recorded in the store, or None before the migrations table exists."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'").fetchone() is None:
        return None
    return [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY name")]


def unknown_migrations(conn: sqlite3.Connection) -> list[str]:
    known = {name for name, _ in MIGRATIONS}
    return [n for n in (_recorded(conn) or []) if n not in known]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply every migration not yet recorded; returns the names applied now. Decided and applied
    in one BEGIN IMMEDIATE transaction, so any number of processes starting at once converge."""
    names = [name for name, _ in MIGRATIONS]
    if _recorded(conn) == names:
        return []  # the common case: nothing to do, no write lock taken
    applied = []
    with transaction(conn):
        done = set(applied_migrations(conn))
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            for statement in sql.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                         (name, ts(datetime.now(timezone.utc))))
            applied.append(name)
    return applied


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT: all or nothing. A failure to write (full disk, file-size limit,
    damage) rolls back and becomes a TfprepError saying that nothing of it was saved."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise explain(exc, _path_of(conn)) from None
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException as exc:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite already rolled back (a full disk does that)
        if isinstance(exc, (sqlite3.OperationalError, sqlite3.DatabaseError)) and not isinstance(
                exc, sqlite3.IntegrityError):
            raise explain(exc, _path_of(conn)) from None
        raise


def _path_of(conn: sqlite3.Connection) -> Path:
    row = conn.execute("PRAGMA database_list").fetchone()
    return Path(row[2]) if row and row[2] else Path("progress.db")


def save_card(conn: sqlite3.Connection, table: str, card_id: str, card, now: datetime, lapse: bool) -> None:
    """Write a card's new FSRS state (`table` is cards or drill_cards), counting the review and
    a lapse (Again on a card in review)."""
    conn.execute(
        f"INSERT INTO {table} (card_id, state, due, stability, difficulty, fsrs, first_review, last_review,"
        " reps, lapses) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)"
        " ON CONFLICT (card_id) DO UPDATE SET state = excluded.state, due = excluded.due,"
        " stability = excluded.stability, difficulty = excluded.difficulty, fsrs = excluded.fsrs,"
        " last_review = excluded.last_review, reps = reps + 1, lapses = lapses + excluded.lapses",
        (card_id, int(card.state), ts(card.due), card.stability, card.difficulty, card.to_json(), ts(now), ts(now),
         int(lapse)))


# --- repair ------------------------------------------------------------------------------------

LOG_TABLES = ("reviews", "drill_attempts", "drill_events", "drill_reviews", "plan_settings", "interviews",
              "card_flags")  # what the learner did: the log to keep (card_flags: suspended, buried, leech)
CARD_TABLES = {"cards": "reviews", "drill_cards": "drill_reviews"}  # each schedule's state and the log it comes from


def keep_aside(path: Path, now: datetime, label: str = "damaged") -> Path:
    """Copy `path` (and its -wal, which may hold the latest commits) to a new, unique name beside
    it: progress.db.damaged-2026-11-29T10-31-07[-N]. A copy, not a link: the kept file must not
    change whatever happens to the store afterwards. Never overwrites anything."""
    import shutil

    stamp = now.astimezone().strftime("%Y-%m-%dT%H-%M-%S")
    kept = paths.keep_beside(path, lambda n: f"{path.name}.{label}-{stamp}{'' if n == 1 else f'-{n}'}", link=False)
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        shutil.copyfile(wal, kept.with_name(kept.name + "-wal"))
    return kept


def _salvage(conn: sqlite3.Connection, table: str, chunk: int = 256) -> tuple[list[tuple], list[str], int]:
    """(rows, columns, ranges lost) read from `table` of a damaged store, rowid range by range,
    stepping over ranges whose pages cannot be read."""
    try:
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        top = conn.execute(f"SELECT MAX(rowid) FROM {table}").fetchone()[0] or 0
    except sqlite3.DatabaseError:
        return [], [], 1
    rows, lost, start = [], 0, 0
    while start <= top:
        try:
            rows += conn.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE rowid >= ? AND rowid < ? ORDER BY rowid",
                                 (start, start + chunk)).fetchall()
        except sqlite3.DatabaseError:
            lost += 1
        start += chunk
    return rows, cols, lost


def _cards_from_log(conn: sqlite3.Connection, cards: str = "cards", log: str = "reviews") -> int:
    """Rebuild a cards table from its review log: each card's state is the `after` of its last
    scheduled review; reps, lapses and first/last review are counted from the log."""
    from tfprep.scheduler import Scheduler

    n = 0
    last: dict[str, sqlite3.Row] = {}
    for r in conn.execute(f"SELECT * FROM {log} WHERE after IS NOT NULL ORDER BY reviewed_at, id"):
        last[r["card_id"]] = r
    for card_id, r in last.items():
        try:
            card = Scheduler.load(r["after"])
        except Exception:  # noqa: BLE001 - an unreadable state: the card starts again as new
            continue
        first, reps, lapses = conn.execute(
            f"SELECT MIN(reviewed_at), COUNT(*), SUM(rating = 1 AND kind = 'review') FROM {log}"
            " WHERE card_id = ? AND after IS NOT NULL", (card_id,)).fetchone()
        conn.execute(f"INSERT INTO {cards} (card_id, state, due, stability, difficulty, fsrs, first_review, last_review,"
                     " reps, lapses) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (card_id, int(card.state), ts(card.due), card.stability, card.difficulty, r["after"], first,
                      r["reviewed_at"], reps, lapses or 0))
        n += 1
    return n


def repair(path: Path | None = None, now: datetime | None = None) -> dict:
    """Keep a damaged store aside and rebuild a sound one from whatever of its log can be read.

    Returns what happened: {"path", "kept", "recovered": {table: rows}, "lost_ranges", "cards"}.
    A store that passes quick_check is left alone ({"ok": True})."""
    path = path or paths.db_path()
    now = now or datetime.now(timezone.utc)
    _ensure_home(path.parent)
    if not path.exists():
        return {"path": str(path), "ok": True, "missing": True}
    if not path.is_file():
        raise _fail(f"the progress store {path} is not a file", "move it out of the way; tfprep makes a new one")
    try:
        probe = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            healthy = probe.execute("PRAGMA quick_check").fetchone()[0] == "ok" and not unknown_migrations(probe)
        finally:
            probe.close()
    except sqlite3.DatabaseError:
        healthy = False
    if healthy:
        return {"path": str(path), "ok": True}
    kept = keep_aside(path, now)
    recovered, lost = {}, 0
    salvaged: dict[str, tuple[list, list]] = {}
    try:
        old = sqlite3.connect(f"file:{kept}?mode=ro", uri=True)
        old.row_factory = None
        for table in LOG_TABLES:
            rows, cols, missing = _salvage(old, table)
            salvaged[table], lost = (rows, cols), lost + missing
        old.close()
    except sqlite3.DatabaseError:
        lost += 1  # not a database at all: nothing to read
    fresh = path.with_name(f".{path.name}.rebuild-{os.getpid()}")
    fresh.unlink(missing_ok=True)
    conn = connect(fresh)
    try:
        with transaction(conn):
            for table, (rows, cols) in salvaged.items():
                known = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
                use = [c for c in cols if c in known]
                idx = [cols.index(c) for c in use]
                for row in rows:
                    try:
                        conn.execute(f"INSERT INTO {table} ({', '.join(use)}) VALUES ({', '.join('?' * len(use))})",
                                     [row[i] for i in idx])
                        recovered[table] = recovered.get(table, 0) + 1
                    except sqlite3.DatabaseError:
                        lost += 1
            cards = sum(_cards_from_log(conn, c, log) for c, log in CARD_TABLES.items())
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
        fresh.with_name(fresh.name + suffix).unlink(missing_ok=True)
    os.replace(fresh, path)
    return {"path": str(path), "ok": False, "kept": str(kept), "recovered": {t: recovered.get(t, 0) for t in LOG_TABLES},
            "lost_ranges": lost, "cards": cards}
