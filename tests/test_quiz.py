"""The quiz through the CLI, driven by scripted stdin, and its durability guarantees."""
import json
import re
import os
import signal
import sqlite3
import subprocess
import sys
import time

from tfprep import store
from tfprep.quiz import coverage, suggest_rating
from tfprep.scheduler import Rating


def db(home):
    conn = sqlite3.connect(home / "progress.db")
    conn.row_factory = sqlite3.Row
    return conn


def test_full_scripted_session(cli, tfprep_home):
    # card 1: reveal, Good (10 min learning step: shown again later); card 2: reveal, Easy; then quit
    result = cli("quiz", "--bank", "core25", "--limit", "2", input="\n3\n\n4\nq\n")
    assert result.exit_code == 0, result.output
    assert "Model answer" in result.output and "Key points" in result.output
    assert "Session summary" in result.output and "Good 1" in result.output and "Easy 1" in result.output
    conn = db(tfprep_home)
    reviews = conn.execute("SELECT card_id, rating, kind FROM reviews ORDER BY id").fetchall()
    assert [(r["rating"], r["kind"]) for r in reviews] == [(3, "new"), (4, "new")]
    cards = {r["card_id"]: r for r in conn.execute("SELECT * FROM cards")}
    assert len(cards) == 2
    states = sorted(r["state"] for r in cards.values())
    assert states == [1, 2]  # Good on a new card: still learning; Easy: review


def test_interval_preview_is_shown(cli):
    result = cli("quiz", "--bank", "core25", "--limit", "1", input="\nq\n")
    assert "1 Again (1m)" in result.output and "3 Good (10m)" in result.output
    assert re.search(r"4 Easy \((\d+)d\)", result.output)  # fuzzed around 8 days


def test_undo_restores_the_previous_state(cli, tfprep_home):
    result = cli("quiz", "--bank", "core25", "--limit", "2", input="\n4\n\nu\n\n1\nq\n")
    assert result.exit_code == 0 and "Undid the rating" in result.output
    rows = db(tfprep_home).execute("SELECT rating FROM reviews ORDER BY id").fetchall()
    assert [r[0] for r in rows] == [1]  # the Easy was taken back, then re-rated Again
    assert db(tfprep_home).execute("SELECT COUNT(*) FROM cards").fetchone()[0] == 1


def test_cram_does_not_touch_the_schedule(cli, tfprep_home):
    cli("quiz", "--bank", "core25", "--limit", "1", input="\n4\n")
    before = db(tfprep_home).execute("SELECT fsrs FROM cards").fetchall()
    result = cli("quiz", "--bank", "core25", "--limit", "1", "--cram", input="\n1\n")
    assert "cram" in result.output
    assert db(tfprep_home).execute("SELECT fsrs FROM cards").fetchall() == before
    kinds = [r[0] for r in db(tfprep_home).execute("SELECT kind FROM reviews ORDER BY id")]
    assert kinds == ["new", "cram"]


def test_new_cards_per_day_and_due_first(cli, tfprep_home):
    cli("quiz", "--bank", "core25", "--new", "2", input="\n4\n\n4\n\n4\n")
    assert db(tfprep_home).execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 2
    result = cli("quiz", "--bank", "core25", "--new", "2", input="")
    assert "Nothing due right now" in result.output


def test_tag_filter_and_unknown_bank(cli):
    result = cli("quiz", "--bank", "nope")
    assert result.exit_code == 2 and "unknown bank 'nope'" in result.output
    result = cli("quiz", "--bank", "core2")
    assert "did you mean 'core25'" in result.output
    result = cli("quiz", "--tag", "atention")
    assert result.exit_code == 2 and "did you mean 'attention'" in result.output


def test_typed_answer_marks_key_points(cli):
    from tfprep.banks import load_all

    q = load_all()["core25"].questions[0]
    answer = " ".join(q.key_points)  # an answer that states every key point
    result = cli("quiz", "--bank", "core25", "--limit", "1", "--type", input=f"{answer}\n\n")
    assert f"You covered {len(q.key_points)}/{len(q.key_points)} key points" in result.output
    assert "suggested rating: 4 Easy" in result.output


def test_coverage_and_suggestion():
    points = ["Dot products grow with d_k", "Softmax saturates", "Divide by sqrt(d_k)"]
    marks = coverage("the softmax saturates because dot products grow", points)
    assert marks == [True, True, False]
    assert suggest_rating(marks) == Rating.GOOD
    assert suggest_rating([False, False, False]) == Rating.AGAIN
    assert suggest_rating([True, True, True]) == Rating.EASY


def _start(home, *args):
    env = {**os.environ, "TFPREP_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.Popen([sys.executable, "-m", "tfprep", "quiz", "--bank", "core25", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)


def _wait_for_reviews(home, n, proc, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if (home / "progress.db").exists():
            try:
                if db(home).execute("SELECT COUNT(*) FROM reviews").fetchone()[0] >= n:
                    return
            except sqlite3.OperationalError:
                pass
        assert proc.poll() is None, proc.stdout.read()
        time.sleep(0.05)
    raise AssertionError("the rating was never committed")


def test_ctrl_c_mid_session_keeps_earlier_ratings(tfprep_home):
    proc = _start(tfprep_home, "--limit", "3")
    proc.stdin.write("\n3\n\n4\n")  # two ratings, then the session waits on the third card
    proc.stdin.flush()
    _wait_for_reviews(tfprep_home, 2, proc)
    proc.send_signal(signal.SIGINT)
    # stdin stays open until the process has exited: closing it (as communicate() does) could
    # deliver EOF before the signal, and the session would end by EOF instead of Ctrl-C.
    proc.wait(timeout=30)
    out = proc.stdout.read()
    proc.stdin.close()
    assert proc.returncode == 130, out
    assert "Every rating already given is saved" in out and "Session summary" in out
    assert "Traceback" not in out
    assert [r[0] for r in db(tfprep_home).execute("SELECT rating FROM reviews ORDER BY id")] == [3, 4]


def test_killed_process_loses_nothing_already_rated(tfprep_home):
    proc = _start(tfprep_home, "--limit", "3")
    proc.stdin.write("\n2\n")
    proc.stdin.flush()
    _wait_for_reviews(tfprep_home, 1, proc)
    proc.kill()
    proc.communicate(timeout=30)
    conn = db(tfprep_home)
    assert [r[0] for r in conn.execute("SELECT rating FROM reviews")] == [2]
    assert conn.execute("SELECT COUNT(*) FROM cards").fetchone()[0] == 1


def test_timed_countdown_reveals_after_timeout(tfprep_home):
    proc = _start(tfprep_home, "--limit", "1", "--timed", "1")
    out, _ = proc.communicate("", timeout=30)  # EOF right away: the countdown reads nothing
    assert proc.returncode == 0 and "Session summary" in out


def test_stats_json(cli, tfprep_home):
    cli("quiz", "--bank", "core25", "--limit", "3", input="\n4\n\n1\n\n4\n")
    result = cli("stats", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["reviews_today"] == 3 and data["reviews_total"] == 3
    assert data["retention"] is None  # no card was in the review state when rated
    assert data["streak_days"] == 1
    assert data["cards_total"] == 3
    assert data["banks"]["core25"]["seen"] == 3 and data["banks"]["core25"]["questions"] == 25
    assert data["due_today"] >= 1  # the Again card is due again within minutes
    assert sum(d["due"] for d in data["due_next_7_days"]) <= 2
    assert len(data["due_next_7_days"]) == 7


def test_retention_counts_review_cards_only(tfprep_home):
    from datetime import datetime, timedelta, timezone

    from tfprep import stats
    from tfprep.banks import load_all
    from tfprep.quiz import QuizSession, choose
    from tfprep.scheduler import Scheduler

    t = [datetime(2026, 3, 1, 12, tzinfo=timezone.utc)]
    conn = store.connect()
    qs = load_all()["core25"].questions[:2]
    session = QuizSession(conn, Scheduler(fuzz=False), list(qs), lambda: t[0])
    session.rate(qs[0], Rating.EASY)
    session.rate(qs[1], Rating.EASY)
    t[0] += timedelta(days=30)
    due = choose(conn, list(qs), t[0])
    assert due == list(qs)
    session = QuizSession(conn, Scheduler(fuzz=False), due, lambda: t[0])
    session.rate(qs[0], Rating.AGAIN)
    session.rate(qs[1], Rating.GOOD)
    data = stats.compute(conn, load_all(), t[0])
    assert data["retention"] == 0.5
    assert data["streak_days"] == 1  # reviews 30 days apart are not a streak


def test_each_shown_interval_is_the_one_stored(tfprep_home):
    """For every rating, on new cards and on review cards with fuzzed multi-day intervals: the
    interval shown before rating is exactly the one stored, and the fuzz seed is recorded so the
    review can be replayed."""
    from datetime import datetime, timedelta, timezone

    from tfprep.banks import load_all
    from tfprep.quiz import QuizSession
    from tfprep.scheduler import Scheduler

    qs = load_all()["grill60"].questions[:4]
    t = [datetime(2026, 3, 1, 12, tzinfo=timezone.utc)]
    conn = store.connect()
    scheduler = Scheduler()  # fuzz on, as learners use it
    checked = 0
    for step in range(6):
        session = QuizSession(conn, scheduler, list(qs), lambda: t[0])
        for q, rating in zip(qs, Rating):
            shown = session.preview(q)[rating]
            due = session.rate(q, rating)
            assert due - t[0] == shown, (step, q.id, rating)
            checked += shown >= timedelta(days=3)  # long enough to be fuzzed
        t[0] += timedelta(days=40)
    assert checked >= 6
    rows = conn.execute("SELECT before, rating, after, reviewed_at, fuzz_seed FROM reviews WHERE before IS NOT NULL").fetchall()
    assert rows and all(r["fuzz_seed"] is not None for r in rows)
    for r in rows:  # replay: the same state, rating, time and seed give the same card
        replayed = scheduler.review(scheduler.load(r["before"]), Rating(r["rating"]), store.parse_ts(r["reviewed_at"]),
                                    r["fuzz_seed"])
        assert replayed.to_json() == r["after"]
