"""The interactive quiz loop: reads the learner's keys (terminal or pipe), drives a QuizSession."""
from __future__ import annotations

import time

from tfprep import console, drills
from tfprep.quiz import QuizSession, coverage, suggest_rating
from tfprep.scheduler import Rating, human_interval

RATING_KEYS = {"1": Rating.AGAIN, "2": Rating.HARD, "3": Rating.GOOD, "4": Rating.EASY}


def run(session: QuizSession, *, type_answers: bool = False, timed: float | None = None) -> bool:
    """Show cards until the queue is empty, the learner quits, input ends or Ctrl-C; returns
    True when Ctrl-C ended it (the command then exits with status 130)."""
    try:
        while (q := session.next()) is not None:
            console.question(q, session.seen + 1, session.seen + len(session.queue))
            started = time.monotonic()
            if timed:
                line = console.ask_timed("Answer (out loud or typed), Enter to reveal", timed)
            elif type_answers:
                line = console.ask("Your answer (one line; Enter to submit, q to quit) > ")
            else:
                line = console.ask("Press Enter to reveal (q to quit) > ")
            if line is None or line.strip().lower() == "q":
                break
            marks = coverage(line, q.key_points) if type_answers and line.strip() else None
            if type_answers and not line.strip():
                marks = [False] * len(q.key_points)
            suggested = suggest_rating(marks) if marks is not None else None
            console.reveal(q, marks, practise=[d for d in q.drills if drills.exists(d)])
            if marks is not None:
                console.info(f"You covered {sum(marks)}/{len(marks)} key points; suggested rating: "
                             f"{int(suggested)} {console.RATING_NAME[int(suggested)]}.")
            action = _ask_rating(session, q, suggested)
            if action == "quit":
                break
            if action == "undo":
                undone = session.undo()
                if undone is not None:
                    console.info(f"[dim]Undid the rating of {console.esc(undone.id)}; it comes back now.[/]")
                continue
            session.rate(q, action, duration_ms=int((time.monotonic() - started) * 1000))
    except KeyboardInterrupt:
        console.info("\n[dim]Stopped. Every rating already given is saved.[/]")
        return True
    return False


def _ask_rating(session: QuizSession, q, suggested: Rating | None):
    previews = {r: ("practice" if session.cram else human_interval(iv)) for r, iv in session.preview(q).items()}
    while True:
        answer = console.ask(console.rating_prompt(previews, int(suggested) if suggested else None,
                                                   session.can_undo))
        if answer is None:
            return "quit"
        key = answer.strip().lower()
        if key in RATING_KEYS:
            return RATING_KEYS[key]
        if key == "" and suggested is not None:
            return suggested
        if key in ("q", "quit"):
            return "quit"
        if key == "u" and session.can_undo:
            return "undo"
        console.info("[yellow]Type 1, 2, 3 or 4 (Again, Hard, Good, Easy), u to undo, q to quit.[/]")
