"""The prep plan: the roadmap as data, its calendar, and the forecast to an interview date (fixed clock)."""
import json
from datetime import datetime, timedelta, timezone

import fsrs
import pytest

from tfprep import banks, drills, plan
from tfprep.quiz import QuizSession
from tfprep.scheduler import Rating, Scheduler

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
TODAY = NOW.astimezone().date()


@pytest.fixture(scope="module")
def all_banks():
    return banks.load_all()


def test_the_roadmap_covers_every_question_and_drill_once(all_banks):
    assert plan.problems(all_banks) == []
    days = plan.roadmap()
    assert len(days) == plan.ROADMAP_DAYS
    ids = [qid for d in days for qid in d.questions]
    assert sorted(ids) == sorted(q.id for b in all_banks.values() for q in b.questions)
    assert set(drills.available()) <= {n for d in days for n in d.drills}


def test_problems_name_what_is_missing_or_doubled(all_banks, monkeypatch):
    days = plan.roadmap()
    moved = days[0].questions[0]
    days[1].questions.append(moved)  # on two days
    days[2].drills.remove(days[2].drills[0])  # a drill on no day
    days[3].questions.append("no-such-question")
    monkeypatch.setattr(plan, "roadmap", lambda: days)
    found = plan.problems(all_banks)
    assert f"plan day 2: question {moved!r} is already on day 1" in found
    assert any(p.startswith("plan: drill") and "is on no day" in p for p in found)
    assert "plan day 4: unknown question 'no-such-question'" in found


def test_bank_check_runs_the_coverage_check(cli):
    result = cli("bank", "check")
    assert result.exit_code == 0 and "the plan covers every question and drill" in result.output


def test_calendar_one_roadmap_day_a_day_without_a_date():
    cal = plan.calendar(TODAY, None)
    assert [numbers for _, numbers in cal] == [[n] for n in range(1, 15)]
    assert [d for d, _ in cal] == [TODAY + timedelta(days=i) for i in range(14)]


def test_calendar_compressed_to_five_days_and_stretched_to_thirty():
    five = plan.calendar(TODAY, TODAY + timedelta(days=5))
    assert [n for _, n in five] == [[1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11], [12, 13, 14]]
    thirty = plan.calendar(TODAY, TODAY + timedelta(days=30))
    assert len(thirty) == 30 and [d for d, _ in thirty][-1] == TODAY + timedelta(days=29)
    flat = [n for _, ns in thirty for n in ns]
    assert flat == sorted(flat) and set(flat) == set(range(1, 15))  # in order, every day, some twice


def _new_by_roadmap_day():
    return {d.number: len(d.questions) for d in plan.roadmap()}


@pytest.mark.parametrize("days_out", [5, 30])
def test_forecast_on_an_empty_store(conn, all_banks, days_out):
    interview = TODAY + timedelta(days=days_out)
    f = plan.forecast(conn, all_banks, NOW, interview)
    assert [d["date"] for d in f["days"]] == [(TODAY + timedelta(days=i)).isoformat() for i in range(days_out)]
    per_day = _new_by_roadmap_day()
    first_seen, expected = set(), []
    for d in f["days"]:
        fresh = [n for n in d["roadmap_days"] if n not in first_seen]
        first_seen.update(fresh)
        expected.append(sum(per_day[n] for n in fresh))
    assert [d["new_cards"] for d in f["days"]] == expected  # each question on its plan day
    assert sum(expected) == sum(len(b.questions) for b in all_banks.values())
    news = [n for d in f["days"] for n in d["new_drills"]]
    assert sorted(news) == sorted(drills.available())
    for d in f["days"]:
        assert d["load"] == d["new_cards"] + d["card_reviews"] + len(d["new_drills"]) + d["drill_reviews"]
    before, after = f["recall"]["before"], f["recall"]["after"]
    assert set(before["banks"]) == set(all_banks) and all(v == 0.0 for v in before["banks"].values())
    assert all(v >= 0.9 for v in after["banks"].values()) and all(v >= 0.9 for v in after["tiers"].values())
    json.dumps(f)  # plain data


def test_forecast_predicts_recall_of_cards_already_reviewed(conn, all_banks):
    q = all_banks["core25"].questions[0]
    session = QuizSession(conn, Scheduler(), [q], lambda: NOW - timedelta(days=3))
    session.preview(q)
    session.rate(q, Rating.GOOD)
    interview = TODAY + timedelta(days=10)
    f = plan.forecast(conn, all_banks, NOW, interview)
    card = fsrs.Card.from_json(conn.execute("SELECT fsrs FROM cards WHERE card_id = ?", (q.id,)).fetchone()[0])
    r = fsrs.Scheduler().get_card_retrievability(card, plan._at(interview))
    n = len(all_banks["core25"].questions)
    assert f["recall"]["before"]["banks"]["core25"] == round(r / n, 4)  # every other card unseen: 0


def test_a_high_target_brings_cards_forward_to_the_day_before(conn, all_banks):
    interview = TODAY + timedelta(days=30)
    low = plan.forecast(conn, all_banks, NOW, interview, target=0.9)
    high = plan.forecast(conn, all_banks, NOW, interview, target=0.95)
    assert high["brought_forward"] and len(high["brought_forward"]) > len(low["brought_forward"])
    assert high["days"][-1]["brought_forward"] == len(high["brought_forward"])
    assert all(d["brought_forward"] == 0 for d in high["days"][:-1])
    for kind in ("banks", "tiers"):
        for name, value in high["recall"]["after"][kind].items():
            assert value >= low["recall"]["after"][kind][name]


def test_plan_command_json_and_usage_errors(cli):
    day = (datetime.now(timezone.utc).astimezone().date() + timedelta(days=5)).isoformat()
    result = cli("plan", "--interview", day, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["interview"] == day and len(data["forecast"]["days"]) == 5
    again = json.loads(cli("plan", "--json").output)  # the date is remembered
    assert again["interview"] == day and "forecast" in again
    for bad, message in [(["--interview", "14/12/2026"], "must be a date"), (["--interview", "2020-01-01"], "not after today"),
                         (["--target", "1.5"], "between 0.70 and 0.99")]:
        r = cli("plan", *bad)
        assert r.exit_code == 2 and message in r.output, r.output


def test_quiz_new_cards_follow_the_plan(all_banks):
    ordered = plan.in_plan_order([q for b in all_banks.values() for q in b.questions])
    assert [q.id for q in ordered[:9]] == plan.roadmap()[0].questions
