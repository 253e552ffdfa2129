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


# --- one guarded door: every damaged or unusable state is a clear message, exit 2 -----------------

import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from conftest import ROOT, run_tfprep  # noqa: E402
from tfprep.grading import sandbox  # noqa: E402

COMMANDS = [("stats",), ("quiz", "--limit", "1"), ("drill",), ("bank", "list"), ("drill", "attention")]


def _store_with_reviews(home: Path, n: int = 3) -> Path:
    script = "".join("\n3\n" for _ in range(n))
    assert run_tfprep("quiz", "--bank", "core25", "--limit", str(n), input=script,
                      env={"TFPREP_HOME": str(home)}).returncode == 0
    db = home / "progress.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "not a file"


def _damage(kind: str, home: Path) -> Path:
    db = home / "progress.db"
    if kind == "directory":
        db.mkdir(parents=True)
        return db
    _store_with_reviews(home)
    data = bytearray(db.read_bytes())
    if kind == "truncated":
        data = data[:len(data) // 2 + 100]
    elif kind == "random bytes":
        data = bytearray(os.urandom(len(data)))
    elif kind == "corrupt page 1":
        data[100:4096] = os.urandom(4096 - 100)
    elif kind == "corrupt data page":
        conn = sqlite3.connect(db)
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'reviews'").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.close()
        data[(root - 1) * size + 8:root * size] = os.urandom(size - 8)
    db.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return db


@pytest.mark.parametrize("kind", ["truncated", "random bytes", "corrupt page 1", "corrupt data page", "directory"])
def test_damaged_store_is_refused_untouched(kind, tmp_path):
    home = tmp_path / "home"
    db = _damage(kind, home)
    before = _digest(db)
    for cmd in COMMANDS:
        res = run_tfprep(*cmd, env={"TFPREP_HOME": str(home)}, input="")
        assert res.returncode == 2, (cmd, res.stdout, res.stderr)
        assert "Traceback" not in res.stderr + res.stdout
        assert str(db) in " ".join(res.stderr.split()).replace(" ", "") or str(db) in res.stderr.replace("\n", ""), \
            (cmd, res.stderr)
        assert _digest(db) == before, f"{cmd} changed the damaged store"
    assert run_tfprep("paths", env={"TFPREP_HOME": str(home)}).returncode == 0


def _unbroken(text: str) -> str:
    return text.replace("\n", "")


@pytest.mark.parametrize("kind", ["file", "uncreatable"])
def test_unusable_home_is_a_clear_error(kind, tmp_path):
    home = tmp_path / "home"
    if kind == "file":
        home.write_text("not a folder")
    else:
        (tmp_path / "blocker").write_text("x")
        home = tmp_path / "blocker" / "home"
    for cmd in COMMANDS:
        res = run_tfprep(*cmd, env={"TFPREP_HOME": str(home)}, input="")
        assert res.returncode == 2 and "Traceback" not in res.stderr, (cmd, res.stderr)
        assert str(home) in _unbroken(res.stderr), res.stderr


READ_ONLY = '''
import os, sys
sys.path.insert(0, sys.argv[1])
from tfprep.grading import sandbox
assert sandbox.restrict_writes([sys.argv[2]]) is None
os.execv(sys.executable, [sys.executable, "-m", "tfprep", *sys.argv[3:]])
'''


@pytest.mark.skipif(sandbox.landlock_abi() < 1, reason="needs Landlock to make a folder read-only for root")
def test_read_only_home(tmp_path):
    """TFPREP_HOME made read-only by the kernel (Landlock: even root cannot write there)."""
    home = tmp_path / "home"
    db = _store_with_reviews(home)
    before = _digest(db)
    elsewhere = tmp_path / "scratch"
    elsewhere.mkdir()
    for cmd in [("quiz", "--limit", "1"), ("drill", "attention")]:
        res = subprocess.run([sys.executable, "-c", READ_ONLY, str(ROOT), str(elsewhere), *cmd], input="",
                             capture_output=True, text=True, env={**os.environ, "TFPREP_HOME": str(home)}, timeout=60)
        assert res.returncode == 2 and "Traceback" not in res.stderr, (cmd, res.stderr)
        assert "read-only" in res.stderr and str(home) in _unbroken(res.stderr), res.stderr
    assert _digest(db) == before


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def _fill(mnt: Path) -> None:
    fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass  # the file system is full
    finally:
        os.close(fd)


def test_full_disk_reports_the_rating_not_saved(tmp_path):
    """A real full file system (a tiny tmpfs). The disk fills while a quiz session is open: the
    rating that cannot be written is reported as not saved (exit 2), nothing is half-written,
    `stats` still reads the store, and a new session says why it cannot start."""
    mnt = tmp_path / "small"
    if not _mount_tmpfs(mnt, "2m"):
        pytest.skip("cannot mount a tmpfs here (needs root in a namespace that allows it)")
    try:
        home = mnt / "home"
        _store_with_reviews(home, 2)
        env = {**os.environ, "TFPREP_HOME": str(home), "NO_COLOR": "1"}
        proc = subprocess.Popen([sys.executable, "-m", "tfprep", "quiz", "--bank", "grill60", "--limit", "1"], env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = ""
        while "Press Enter to reveal" not in seen:
            ch = proc.stdout.read(1)
            assert ch, "the session ended early"
            seen += ch
        _fill(mnt)
        out, err = proc.communicate("\n3\n", timeout=60)
        assert proc.returncode == 2 and "Traceback" not in err, out + err
        assert "not saved" in err and "full" in err, err
        stats = run_tfprep("stats", "--json", env={"TFPREP_HOME": str(home)})
        assert stats.returncode == 0, stats.stderr
        assert json.loads(stats.stdout)["reviews_total"] == 2
        again = run_tfprep("quiz", "--bank", "grill60", "--limit", "1", input="\n3\n", env={"TFPREP_HOME": str(home)})
        assert again.returncode == 2 and "full" in again.stderr and "Traceback" not in again.stderr, again.stderr
        (mnt / "filler").unlink()
        conn = sqlite3.connect(home / "progress.db")
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 2
        conn.close()
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_file_size_limit_is_a_clear_error(tmp_path):
    home = tmp_path / "home"
    _store_with_reviews(home, 1)
    res = subprocess.run(["bash", "-c", f"ulimit -f 8; exec {sys.executable} -m tfprep quiz --bank grill60 --limit 1"],
                         input="\n3\n", capture_output=True, text=True, env={**os.environ, "TFPREP_HOME": str(home)},
                         timeout=60)
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert "file-size limit" in res.stderr, res.stderr


# --- versions, races, lost updates ------------------------------------------------------------

def test_newer_store_is_read_only(tmp_path):
    home = tmp_path / "home"
    db = _store_with_reviews(home, 2)
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO migrations VALUES ('9999_from_the_future', '2030-01-01T00:00:00.000000Z')")
    conn.commit()
    conn.close()
    env = {"TFPREP_HOME": str(home)}
    stats = run_tfprep("stats", "--json", env=env)
    assert stats.returncode == 0 and json.loads(stats.stdout)["reviews_total"] == 2, stats.stderr
    for cmd in [("quiz", "--limit", "1"), ("drill", "attention")]:
        res = run_tfprep(*cmd, input="\n3\n", env=env)
        assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
        assert "written by a newer tfprep (migration 9999_from_the_future)" in _unbroken(res.stderr), res.stderr
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 2


def test_simultaneous_first_starts_converge(tmp_path):
    """6 commands started at the same instant on a new TFPREP_HOME, 20 times: no failure."""
    failures = []
    for trial in range(20):
        home = tmp_path / f"h{trial}"
        env = {**os.environ, "TFPREP_HOME": str(home)}
        procs = [subprocess.Popen([sys.executable, "-m", "tfprep", *cmd], env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for cmd in [("stats",), ("drill",), ("bank", "list"), ("stats", "--json"), ("drill",), ("stats",)]]
        for p in procs:
            out, err = p.communicate(timeout=60)
            if p.returncode != 0:
                failures.append((trial, p.args[3:], err[-300:]))
        conn = sqlite3.connect(home / "progress.db")
        assert [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY name")] == \
            [n for n, _ in store.MIGRATIONS]
        conn.close()
    assert failures == []


def test_parallel_sessions_never_schedule_from_a_stale_state(tmp_path):
    """4 scripted quiz sessions on one profile, cramming nothing: every review's `before` is the
    previous review's `after` for the same card."""
    home = tmp_path / "home"
    env = {**os.environ, "TFPREP_HOME": str(home)}
    assert run_tfprep("stats", env={"TFPREP_HOME": str(home)}).returncode == 0
    script = "".join("\n1\n" for _ in range(40))  # Again keeps every card in learning: it comes back
    procs = [subprocess.Popen([sys.executable, "-m", "tfprep", "quiz", "--bank", "core25", "--limit", "5", "--new", "5"],
                              env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    for p in procs:
        p.stdin.write(script)
        p.stdin.close()
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read()
    conn = sqlite3.connect(home / "progress.db")
    rows = conn.execute("SELECT card_id, before, after FROM reviews ORDER BY id").fetchall()
    conn.close()
    assert len(rows) > 20
    last: dict[str, str | None] = {}
    for card, before, after in rows:
        assert before == last.get(card), f"review of {card} scheduled from a stale state"
        last[card] = after


# --- repair, resets, Ctrl-C ---------------------------------------------------------------------

def test_doctor_repair_rebuilds_from_the_log(tmp_path):
    home = tmp_path / "home"
    db = _damage("corrupt page 1", home)
    damaged = db.read_bytes()
    good = tmp_path / "good"
    res = run_tfprep("doctor", "--repair", "--json", env={"TFPREP_HOME": str(home)})
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    assert Path(result["kept"]).read_bytes() == damaged
    assert run_tfprep("stats", env={"TFPREP_HOME": str(home)}).returncode == 0
    # a store whose log survives: every review and card state comes back
    db2 = _store_with_reviews(good, 4)
    conn = sqlite3.connect(db2)
    reviews = conn.execute("SELECT card_id, rating, after FROM reviews ORDER BY id").fetchall()
    cards = conn.execute("SELECT card_id, state, due, fsrs, reps FROM cards ORDER BY card_id").fetchall()
    conn.execute("DROP INDEX cards_due")
    conn.commit()
    conn.close()
    data = bytearray(db2.read_bytes())
    conn = sqlite3.connect(f"file:{db2}?mode=ro", uri=True)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'cards'").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data[(root - 1) * size:root * size] = os.urandom(size)  # the cards table is gone
    db2.write_bytes(bytes(data))
    res = run_tfprep("doctor", "--repair", "--json", env={"TFPREP_HOME": str(good)})
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    assert result["recovered"]["reviews"] == 4 and result["cards"] == 4
    conn = sqlite3.connect(db2)
    assert conn.execute("SELECT card_id, rating, after FROM reviews ORDER BY id").fetchall() == reviews
    assert conn.execute("SELECT card_id, state, due, fsrs, reps FROM cards ORDER BY card_id").fetchall() == cards
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    again = run_tfprep("doctor", "--repair", "--json", env={"TFPREP_HOME": str(good)})
    assert json.loads(again.stdout)["ok"] is True


def test_two_resets_in_one_second_keep_both_files(tmp_path):
    home = tmp_path / "home"
    env = {"TFPREP_HOME": str(home)}
    assert run_tfprep("drill", "attention", env=env).returncode == 0  # writes the starter
    target = home / "workspace" / "attention.py"
    target.write_text("# my first try\n")
    assert run_tfprep("drill", "attention", "--reset", "--yes", env=env).returncode == 0
    target.write_text("# my second try\n")
    assert run_tfprep("drill", "attention", "--reset", "--yes", env=env).returncode == 0
    kept = sorted(p.read_text() for p in target.parent.glob("attention.py.*.bak"))
    assert kept == ["# my first try\n", "# my second try\n"]
    assert target.read_text() == drills_starter("attention")


def drills_starter(name):
    from tfprep import drills

    return drills.load(name).starter.read_text()


def test_reset_asks_first(tmp_path):
    home = tmp_path / "home"
    env = {"TFPREP_HOME": str(home)}
    run_tfprep("drill", "attention", env=env)
    target = home / "workspace" / "attention.py"
    target.write_text("# mine\n")
    res = run_tfprep("drill", "attention", "--reset", input="n\n", env=env)
    assert res.returncode == 0 and "Not reset" in res.stdout
    assert target.read_text() == "# mine\n" and not list(target.parent.glob("*.bak"))


@pytest.mark.parametrize("what", ["workspace file", "folder", "fifo", "binary", "latin-1"])
def test_bad_paths_are_clear_errors(what, tmp_path):
    env = {"TFPREP_HOME": str(tmp_path / "home")}
    odd = tmp_path / "odd"
    if what == "workspace file":
        odd.write_text("x")
        res = run_tfprep("drill", "attention", "--workspace", str(odd), env=env)
        assert res.returncode == 2 and "is a file, not a folder" in res.stderr, res.stderr
        return
    if what == "folder":
        odd.mkdir()
    elif what == "fifo":
        os.mkfifo(odd)
    elif what == "binary":
        odd.write_bytes(b"\x7fELF\0\0\0")
    else:
        odd.write_bytes(b"# ok\n# caf\xe9\n")
    res = run_tfprep("drill", "attention", "--file", str(odd), env=env, timeout=30)
    expected = {"folder": "is a folder", "fifo": "not a regular file", "binary": "binary file",
                "latin-1": f"{odd}:2: not UTF-8"}[what]
    assert res.returncode == 2 and expected in _unbroken(res.stderr) and "Traceback" not in res.stderr, res.stderr


def test_ctrl_c_during_start_up_is_quiet(tmp_path):
    """SIGINT while tfprep is still importing (its entry module is in; typer, rich and the rest
    are loading): no traceback, exit 130. `-X importtime` tells us the moment."""
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "tfprep", "quiz", "--limit", "1"],
                                env={**os.environ, "TFPREP_HOME": str(tmp_path / "home")}, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for line in proc.stderr:  # typer is imported by the command line, once the entry module is in
            if "typer" in line:
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, (out, err[-500:])
        assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_reset_question_prints_the_path_as_is(tmp_path):
    """A workspace path with Rich markup in it ([bold]) is shown literally, with the [y/N] choice."""
    ws = tmp_path / "ws[bold]x"
    env = {"TFPREP_HOME": str(tmp_path / "home"), "COLUMNS": "300"}
    assert run_tfprep("drill", "attention", "--workspace", str(ws), env=env).returncode == 0
    (ws / "attention.py").write_text("# mine\n")
    res = run_tfprep("drill", "attention", "--workspace", str(ws), "--reset", input="n\n", env=env)
    assert res.returncode == 0 and f"Replace {ws / 'attention.py'} with the starter?" in res.stdout, res.stdout
    assert "[y/N]" in res.stdout and (ws / "attention.py").read_text() == "# mine\n"
