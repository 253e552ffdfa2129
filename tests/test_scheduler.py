"""FSRS with fuzzing off and a fixed clock: exact intervals (as py-fsrs pins its histories)."""
from datetime import datetime, timedelta, timezone

import pytest

from tfprep.scheduler import Rating, Scheduler, human_interval

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)


def test_new_card_previews_match_learning_steps():
    s = Scheduler(0.9, fuzz=False)
    previews = {r: card.due - T0 for r, card in s.outcomes(s.new_card(T0), T0, seed=0).items()}
    # learning steps are 1 min and 10 min; Hard on a new card is the mean of the two
    assert previews[Rating.AGAIN] == timedelta(minutes=1)
    assert previews[Rating.HARD] == timedelta(minutes=5, seconds=30)
    assert previews[Rating.GOOD] == timedelta(minutes=10)
    assert previews[Rating.EASY] == timedelta(days=8)


def test_interval_history_is_exact():
    s = Scheduler(0.9, fuzz=False)
    card, t = s.new_card(T0), T0
    history = []
    for rating in (Rating.GOOD, Rating.GOOD, Rating.GOOD, Rating.AGAIN, Rating.GOOD, Rating.EASY):
        card = s.review(card, rating, t)
        history.append(card.due - t)
        if int(card.state) == 2:
            # at 90% desired retention an FSRS interval equals the stability, rounded to days
            assert card.due - t == timedelta(days=round(card.stability))
        t = card.due
    assert history == [timedelta(minutes=10), timedelta(days=2), timedelta(days=11), timedelta(minutes=10),
                       timedelta(days=2), timedelta(days=8)]


def test_desired_retention_changes_intervals():
    easy = {}
    for retention in (0.8, 0.9, 0.95):
        s = Scheduler(retention, fuzz=False)
        easy[retention] = s.review(s.new_card(T0), Rating.EASY, T0).due - T0
    assert easy[0.8] > easy[0.9] > easy[0.95]
    assert easy[0.9] == timedelta(days=8)


def test_bad_retention_is_a_usage_error():
    from tfprep.errors import TfprepError

    with pytest.raises(TfprepError):
        Scheduler(1.5)


@pytest.mark.parametrize("delta,text", [(timedelta(seconds=30), "1m"), (timedelta(minutes=10), "10m"),
                                        (timedelta(hours=5), "5h"), (timedelta(days=11), "11d"),
                                        (timedelta(days=90), "3mo"), (timedelta(days=730), "2y")])
def test_human_interval(delta, text):
    assert human_interval(delta) == text
