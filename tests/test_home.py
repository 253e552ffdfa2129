"""`tfprep` with no arguments: the daily home screen, on an empty and on a used store (fixed clock)."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from tfprep import banks, drills, home, plan, store
from tfprep.grading.runner import Check, Report
from tfprep.quiz import QuizSession
from tfprep.scheduler import Rating, Scheduler

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def all_banks():
    return banks.load_all()


def screen(conn, all_banks, at=NOW):
    return home.compute(conn, all_banks, at, new_per_day=plan.new_allowance(conn, at, 10),
                        plan_day=plan.today(conn, all_banks, at))


def test_empty_store_welcomes_and_points_at_the_plans_first_cards(conn, all_banks):
    data = screen(conn, all_banks)
    assert data["first_run"] and data["cards_due_now"] == 0 and data["drills_due"] == []
    first = plan.roadmap()[0]
    assert data["plan"]["day"] == 1 and data["plan"]["questions"] == first.questions
    assert data["new_cards_today"] == max(10, len(first.questions))  # the default, or the plan's day if more
    assert data["next"]["command"] == "tfprep quiz" and "today's new cards" in data["next"]["why"]


def test_used_store_shows_what_is_due_and_the_next_command(conn, all_banks):
    qs = all_banks["core25"].questions[:3]
    session = QuizSession(conn, Scheduler(), list(qs), lambda: NOW)
    for q in qs:
        session.preview(q)
        session.rate(q, Rating.GOOD)
    drills.record_event(conn, "attention", "start", NOW)
    report = Report(drill="attention", file="x.py", passed=True, checks=[Check("t", "t", True)])
    review = drills.record_attempt(conn, report, NOW + timedelta(minutes=10))
    later = NOW + timedelta(minutes=30)  # the three cards' learning step (10 min) has passed
    data = screen(conn, all_banks, later)
    assert not data["first_run"]
    assert data["cards_due_now"] == 3 and data["next"] == {"command": "tfprep quiz", "why": "3 cards due now"}
    assert data["streak_days"] == 1 and data["reviews_today"] == 3
    assert data["plan"]["drills"][1] == {"name": "attention", "done": True}
    after_due = review.due + timedelta(hours=1)
    for q in qs:  # clear the cards: the drill due for review is next
        conn.execute("UPDATE cards SET due = ? WHERE card_id = ?", (store.ts(after_due + timedelta(days=30)), q.id))
    data = screen(conn, all_banks, after_due)
    assert data["drills_due"] == ["attention"]
    assert data["next"]["command"] == "tfprep drill next"


def test_tfprep_alone_prints_the_screen(cli):
    result = cli()
    assert result.exit_code == 0 and "Welcome to tfprep" in result.output and "Next: tfprep quiz" in result.output
    data = json.loads(cli("--json").output)
    assert data["first_run"] and data["next"]["command"] == "tfprep quiz"
    assert "Usage" in cli("--help").output
