"""FSRS scheduling through the `fsrs` library, with the clock passed in so tests are exact.

`fsrs` (with typing_extensions, which it needs: ~5 ms) is imported on first use, not with this
module: the home screen and a quiz's first card need only `Rating`, a cram quiz nothing more.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import fsrs


class Rating(IntEnum):
    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


class Scheduler:
    def __init__(self, desired_retention: float = 0.9, fuzz: bool = True, steps: bool = True):
        """`steps=False` drops the minute-long learning steps (drills: rewriting an implementation
        ten minutes later tests nothing), so every rating schedules whole days."""
        if not 0.7 <= desired_retention <= 0.99:
            from tfprep.errors import TfprepError

            raise TfprepError(f"desired retention must be between 0.70 and 0.99, got {desired_retention}")
        self._kwargs = {"desired_retention": desired_retention, "enable_fuzzing": fuzz,
                        **({} if steps else {"learning_steps": (), "relearning_steps": ()})}
        self._scheduler = None

    @property
    def _fsrs(self) -> fsrs.Scheduler:
        """The `fsrs` library's scheduler, made (and the library imported) on first use."""
        if self._scheduler is None:
            import fsrs

            self._scheduler = fsrs.Scheduler(**self._kwargs)
        return self._scheduler

    @staticmethod
    def new_card(now: datetime) -> fsrs.Card:
        import fsrs

        return fsrs.Card(card_id=0, due=now)

    @staticmethod
    def load(data: str) -> fsrs.Card:
        import fsrs

        return fsrs.Card.from_json(data)

    def review(self, card: fsrs.Card, rating: Rating, now: datetime, seed: int | None = None) -> fsrs.Card:
        """The card after `rating` at `now`. The `fsrs` library draws its interval fuzz from the
        `random` module: with `seed`, that draw is fixed, so a review can be previewed and replayed."""
        import fsrs

        scheduler = self._fsrs  # made first: nothing may draw from `random` between seed and review
        if seed is not None:
            random.seed(seed)
        new, _ = scheduler.review_card(card, fsrs.Rating(int(rating)), review_datetime=now)
        return new

    def retrievability(self, card: fsrs.Card, when: datetime) -> float:
        """FSRS's predicted probability of recalling the card at `when`."""
        return float(self._fsrs.get_card_retrievability(card, when))

    def outcomes(self, card: fsrs.Card, now: datetime, seed: int) -> dict[Rating, fsrs.Card]:
        """The card after each rating, fuzz drawn once (one seed for all four, as Anki shows them)."""
        return {r: self.review(card, r, now, seed) for r in Rating}


def human_interval(delta: timedelta) -> str:
    s = delta.total_seconds()
    if s < 3600:
        return f"{max(1, round(s / 60))}m"
    if s < 86400:
        return f"{round(s / 3600)}h"
    days = s / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")
