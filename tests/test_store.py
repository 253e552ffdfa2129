import sqlite3

from tfprep import store


def test_migrations_from_empty_database(tmp_path):
    db = tmp_path / "p.db"
    conn = store.connect(db)
    names = [n for n, _ in store.MIGRATIONS]
    assert store.applied_migrations(conn) == names
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"migrations", "cards", "reviews", "drill_attempts", "drill_events"} <= tables
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    # reopening applies nothing twice and keeps data
    conn = store.connect(db)
    assert store.migrate(conn) == []
    assert store.applied_migrations(conn) == names


def test_partial_database_gets_only_missing_migrations(tmp_path):
    db = tmp_path / "old.db"
    raw = sqlite3.connect(db, isolation_level=None)
    store.applied_migrations(raw)  # creates the migrations table
    name, sql = store.MIGRATIONS[0]
    for statement in sql.split(";"):
        if statement.strip():
            raw.execute(statement)
    raw.execute("INSERT INTO migrations VALUES (?, '2020-01-01T00:00:00.000000Z')", (name,))
    raw.execute("INSERT INTO cards VALUES ('x', 2, '2020-01-02T00:00:00.000000Z', 3.0, 5.0, '{}', 'a', 'b', 1, 0)")
    raw.close()
    conn = store.connect(db)
    assert store.applied_migrations(conn) == [n for n, _ in store.MIGRATIONS]
    assert conn.execute("SELECT card_id FROM cards").fetchone()[0] == "x"


def test_timestamps_sort_as_text():
    from datetime import datetime, timedelta, timezone

    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    stamps = [store.ts(t + timedelta(microseconds=us)) for us in (0, 1, 999_999, 1_000_000)]
    assert stamps == sorted(stamps) and len(set(map(len, stamps))) == 1
    assert store.parse_ts(stamps[2]) == t + timedelta(microseconds=999_999)
