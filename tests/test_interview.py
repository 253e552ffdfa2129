"""`tfprep interview`: a mock round driven from a pipe, its scorecard and its reviews."""
import json
import sqlite3
from pathlib import Path

import pytest

from conftest import run_tfprep
from tfprep import interview as iv

CORRECT = Path(__file__).parent / "drill_cases" / "attention" / "correct_einsum.py"
BUGGY = Path(__file__).parents[1] / "drills" / "attention" / "bugs" / "k_dot_T.py"


@pytest.mark.parametrize("minutes,shape", [(45, (2, 2, 25.0)), (30, (1, 1, 20.0)), (20, (1, 1, 10.0)),
                                           (120, (2, 2, 100.0))])
def test_the_round_scales_with_the_minutes(minutes, shape):
    assert iv.shape(minutes) == shape


def script(drill_file):
    # two warm-ups (one typed, one aloud), the drill (a file path), two probing questions
    return "\n".join(["Queries meet keys; values are mixed", "by the softmax weights", "", "3",
                      "", "2",
                      str(drill_file),
                      "", "1",
                      "", "4"]) + "\n"


def test_scripted_round_saves_the_scorecard_and_its_reviews(tfprep_home):
    proc = run_tfprep("interview", "--drill", "attention", "--json", input=script(CORRECT), timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    card = json.loads(proc.stdout)
    kinds = [i["kind"] for i in card["items"]]
    assert kinds == ["warm-up", "warm-up", "drill", "probing", "probing"] and card["finished"]
    assert [i["rating"] for i in card["items"]] == [3, 2, None, 1, 4]
    drill = card["items"][2]
    assert drill["id"] == "attention" and drill["passed"] is True and card["drill_passed"] is True
    assert "Your answer" in proc.stderr and "Queries meet keys" in proc.stderr  # the typed answer is shown
    assert all(i["seconds_used"] is not None for i in card["items"])
    probing = {i["id"] for i in card["items"] if i["kind"] == "probing"}
    assert all(p.startswith("probe-") for p in probing)
    # revisit: the tags of what was rated Again or Hard
    bad_tags = [t for i in card["items"] if i["rating"] in (1, 2) for t in i["tags"]]
    assert set(card["revisit"]) == set(bad_tags)

    db = sqlite3.connect(tfprep_home / "progress.db")
    ratings = db.execute("SELECT card_id, rating FROM reviews ORDER BY id").fetchall()
    assert [r for _, r in ratings] == [3, 2, 1, 4]  # ordinary FSRS reviews
    assert [c for c, _ in ratings] == [i["id"] for i in card["items"] if i["kind"] != "drill"]
    assert db.execute("SELECT passed FROM drill_attempts").fetchall() == [(1,)]
    assert db.execute("SELECT card_id FROM drill_reviews").fetchall() == [("attention",)]
    saved = json.loads(db.execute("SELECT scorecard FROM interviews").fetchone()[0])
    assert saved["items"] == card["items"]
    stats = json.loads(run_tfprep("stats", "--json").stdout)
    assert stats["interviews"]["rounds"] == 1 and stats["interviews"]["last"]["drill_passed"] is True


def test_a_failed_drill_is_in_the_scorecard_with_its_bug(tfprep_home):
    proc = run_tfprep("interview", "--drill", "attention", "--minutes", "20", "--json",
                      input="\n3\n" + str(BUGGY) + "\n\n3\n", timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    card = json.loads(proc.stdout)
    drill = next(i for i in card["items"] if i["kind"] == "drill")
    assert drill["passed"] is False and drill["bug"] and "attention" in card["revisit"]


def test_input_ending_early_keeps_what_was_done(tfprep_home):
    proc = run_tfprep("interview", "--drill", "attention", "--json", input="\n3\n", timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    card = json.loads(proc.stdout)
    assert not card["finished"] and card["items"][0]["rating"] == 3 and card["items"][1]["rating"] is None


def test_usage_errors_exit_2(cli):
    assert cli("interview", "--minutes", "5").exit_code == 2
    bad = cli("interview", "--drill", "atention")
    assert bad.exit_code == 2 and "did you mean" in bad.output


def test_suspended_cards_stay_out_of_a_round(conn):
    from datetime import datetime, timezone

    from tfprep import banks, cards

    now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    all_banks = banks.load_all()
    first = iv.choose(conn, all_banks, now, 45, "attention")
    warm = first[0].id
    cards.suspend(conn, warm, now)
    again = iv.choose(conn, all_banks, now, 45, "attention")
    assert warm not in {i.id for i in again} and len(again) == len(first)
