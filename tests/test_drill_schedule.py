"""Drills on a schedule: every graded attempt is an FSRS review of that drill's card, with a fixed clock."""
from datetime import datetime, timedelta, timezone

import pytest

from tfprep import drills, store
from tfprep.grading.runner import Check, Report
from tfprep.scheduler import Rating

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
NAME = "attention"  # difficulty 1: stated time 15 min, Easy under 7.5 min
# Drills have no minute-long learning steps: every rating schedules whole days (Again and Hard
# one day, Good two, Easy about a week for a new card).


def attempt(conn, passed, at, name=NAME):
    report = Report(drill=name, file="x.py", passed=passed, checks=[Check("t", "t", passed)])
    return drills.record_attempt(conn, report, at)


def event(conn, kind, at, name=NAME):
    drills.record_event(conn, name, kind, at)


def reviews(conn, name=NAME):
    return [(r["rating"], r["kind"]) for r in conn.execute(
        "SELECT rating, kind FROM drill_reviews WHERE card_id = ? ORDER BY id", (name,))]


def due(conn, name=NAME):
    return store.parse_ts(drills.drill_card(conn, name)["due"])


def test_stated_minutes_follow_difficulty():
    assert drills.stated_minutes(drills.load("attention")) == drills.MINUTES_BY_DIFFICULTY[1] == 15


def test_first_try_without_hints_is_good_and_fast_is_easy(conn):
    event(conn, "start", T0)
    good = attempt(conn, True, T0 + timedelta(minutes=12))  # 12 min of a stated 15: not under half
    assert good.counted and good.rating == Rating.GOOD and "first try" in good.reason
    assert reviews(conn) == [(3, "new")] and due(conn) == good.due > T0 + timedelta(minutes=12)

    other = "softmax"
    event(conn, "start", T0, other)
    easy = attempt(conn, True, T0 + timedelta(minutes=5), other)
    assert easy.rating == Rating.EASY and "under half" in easy.reason
    assert due(conn, other) > due(conn)  # Easy schedules further out than Good


def test_pass_without_a_known_start_time_is_good_not_easy(conn):
    review = attempt(conn, True, T0)  # graded with --file, never opened: the time is unknown
    assert review.rating == Rating.GOOD


@pytest.mark.parametrize("helped,reason", [("hint", "1 hint"), ("solution", "the solution"), ("fail", "1 failed attempt")])
def test_pass_after_help_or_a_failure_is_hard(conn, helped, reason):
    event(conn, "start", T0)
    if helped == "fail":
        first = attempt(conn, False, T0 + timedelta(minutes=1))
        assert first.counted and first.rating == Rating.AGAIN
    else:
        event(conn, helped, T0 + timedelta(minutes=1))
    review = attempt(conn, True, T0 + timedelta(minutes=3))
    assert review.rating == Rating.HARD and reason in review.reason
    expected = [(1, "new"), (2, "review")] if helped == "fail" else [(2, "new")]
    assert reviews(conn) == expected


def test_only_the_first_failure_of_a_round_is_a_review(conn):
    event(conn, "start", T0)
    assert attempt(conn, False, T0 + timedelta(minutes=1)).rating == Rating.AGAIN
    second = attempt(conn, False, T0 + timedelta(minutes=2))
    assert not second.counted and "already recorded" in second.reason
    review = attempt(conn, True, T0 + timedelta(minutes=4))
    assert review.rating == Rating.HARD and "2 failed attempts" in review.reason
    assert reviews(conn) == [(1, "new"), (2, "review")]


def test_before_it_is_due_an_attempt_is_practice(conn):
    event(conn, "start", T0)
    passed = attempt(conn, True, T0 + timedelta(minutes=10))
    practice = attempt(conn, False, T0 + timedelta(hours=1))
    assert not practice.counted and "not due until" in practice.reason
    assert due(conn) == passed.due and len(reviews(conn)) == 1


def test_a_due_drill_needs_a_fresh_starter_to_count(conn):
    event(conn, "start", T0)
    first = attempt(conn, True, T0 + timedelta(minutes=10))
    later = first.due + timedelta(hours=1)
    stale = attempt(conn, True, later)  # the old, passing file graded again
    assert not stale.counted and "--reset" in stale.reason and drills.needs_fresh_start(conn, NAME)
    event(conn, "reset", later + timedelta(minutes=1))
    assert not drills.needs_fresh_start(conn, NAME)
    fresh = attempt(conn, True, later + timedelta(minutes=5))
    assert fresh.counted and fresh.rating == Rating.EASY and fresh.due > first.due
    assert reviews(conn) == [(3, "new"), (4, "review")]


def test_lapse_on_a_review_card_is_counted(conn):
    event(conn, "start", T0)
    first = attempt(conn, True, T0 + timedelta(minutes=10))
    later = first.due + timedelta(days=1)
    event(conn, "reset", later)
    lapse = attempt(conn, False, later + timedelta(minutes=20))
    assert lapse.rating == Rating.AGAIN and due(conn) - (later + timedelta(minutes=20)) <= timedelta(days=1)
    assert drills.drill_card(conn, NAME)["lapses"] == 1


def test_hints_start_hidden_again_in_a_new_round(conn):
    d = drills.load(NAME)
    event(conn, "start", T0)
    drills.next_hint(d, conn, T0 + timedelta(minutes=1))
    assert drills.hints_used(conn, NAME) == 1
    attempt(conn, True, T0 + timedelta(minutes=5))
    assert drills.hints_used(conn, NAME) == 0


def test_next_drill_prefers_the_most_overdue_then_the_catalog(conn):
    assert drills.next_drill(conn, T0) == (drills.available()[0], "next new drill in the catalog")
    event(conn, "start", T0, "softmax")
    attempt(conn, True, T0 + timedelta(minutes=5), "softmax")
    name, why = drills.next_drill(conn, T0 + timedelta(minutes=6))
    assert name == "attention" and why == "next new drill in the catalog"  # softmax is done, not yet due
    event(conn, "start", T0, "attention")
    attempt(conn, True, T0 + timedelta(minutes=5), "attention")
    far = max(due(conn, "softmax"), due(conn, "attention")) + timedelta(days=1)
    name, why = drills.next_drill(conn, far)
    assert why == "due for review" and name == min(("softmax", "attention"), key=lambda n: due(conn, n))


def test_drill_number_resolves_to_the_list_order():
    assert drills.resolve("1") == drills.available()[0]
    assert drills.resolve("attention") == "attention"
    with pytest.raises(drills.TfprepError):
        drills.resolve(str(len(drills.available()) + 1))


def test_drill_cards_are_rebuilt_from_the_log_by_repair(conn, tfprep_home):
    event(conn, "start", T0)
    attempt(conn, True, T0 + timedelta(minutes=10))
    before = dict(drills.drill_card(conn, NAME))
    conn.execute("DELETE FROM drill_cards")
    n = store._cards_from_log(conn, "drill_cards", "drill_reviews")
    assert n == 1 and dict(drills.drill_card(conn, NAME)) == before


def test_drill_next_and_numbers_from_the_command_line(cli, tfprep_home, conn):
    first = drills.available()[0]
    opened = cli("drill", "next")
    assert opened.exit_code == 0 and f"Next: {first} (next new drill in the catalog)" in opened.output
    target = tfprep_home / "workspace" / f"{drills.load(first).module}.py"
    assert target.read_text() == drills.load(first).starter.read_text()
    second = cli("drill", "2")
    assert second.exit_code == 0 and drills.load(drills.available()[1]).title in second.output
    bad = cli("drill", "999")
    assert bad.exit_code == 2 and "there is no drill number 999" in bad.output
    # a passed drill that comes due gets a fresh starter from `drill next`, the old file kept
    target.write_text("# my solution\n")
    attempt(conn, True, datetime.now(timezone.utc), first)
    conn.execute("UPDATE drill_cards SET due = ? WHERE card_id = ?",
                 (store.ts(datetime.now(timezone.utc) - timedelta(days=1)), first))
    again = cli("drill", "next")
    assert "due for review" in again.output and "kept as" in again.output
    assert target.read_text() == drills.load(first).starter.read_text()
    kept = [p for p in target.parent.iterdir() if p.name.endswith(".bak")]
    assert len(kept) == 1 and kept[0].read_text() == "# my solution\n"
