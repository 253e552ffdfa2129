"""The interactive quiz loop: reads the learner's keys (terminal or pipe), drives a QuizSession."""
from __future__ import annotations

import time
from pathlib import Path

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
            if session.last_leech is not None:
                console.leech(q.id, session.last_leech)
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


# --- the mock interview -------------------------------------------------------------------------

def read_answer(minutes: float) -> str | None:
    """The learner's answer: lines until an empty line (Enter at once: answered aloud), or the
    question's time running out. None at end of input."""
    lines: list[str] = []
    first = console.ask_timed("Answer aloud or type it (an empty line ends it)", minutes * 60)
    while first is not None and first.strip():
        lines.append(first)
        first = console.ask("... ")
    if first is None and not lines:
        return None
    return "\n".join(lines)


def run_interview(conn, scheduler, banks, items, clock, workspace, start_drill) -> tuple[bool, bool]:
    """Drive one round: each question shown, answered, revealed and self-rated (an ordinary FSRS
    review), the drill written fresh and graded when submitted or when its time is up. Returns
    (finished, interrupted); the items carry the results."""
    from tfprep import banks as banks_mod
    from tfprep.quiz import QuizSession

    def question_item(item) -> bool:
        q = banks_mod.find(banks, item.id)
        session = QuizSession(conn, scheduler, [q], clock)
        console.interview_item(item)
        console.question(q, 1, 1)
        started = time.monotonic()
        answer = read_answer(item.minutes)
        if answer is None:
            return False
        item.seconds_used = round(time.monotonic() - started, 1)
        if answer.strip():
            console.typed_answer(answer)
        console.reveal(q, None, practise=[])
        action = _ask_rating(session, q, None)
        if action in ("quit", "undo"):
            return False
        session.rate(q, action, duration_ms=int(item.seconds_used * 1000))
        item.rating = int(action)
        return True

    def drill_item(item) -> bool:
        d, target = start_drill(item)
        console.interview_item(item)
        console.statement(d, target, hints=False)
        started = time.monotonic()
        while True:
            left = item.minutes * 60 - (time.monotonic() - started)
            line = console.ask_timed(f"Edit {target}; Enter submits it (or type the path of another file)",
                                     max(left, 0.01))
            if line is None:
                return False
            chosen = Path(line.strip()).expanduser() if line.strip() else target
            if chosen.is_file():
                break
            console.info(f"[yellow]{console.esc(str(chosen))} is not a file; Enter submits {console.esc(str(target))}.[/]")
        item.seconds_used = round(time.monotonic() - started, 1)
        report = drills.grade(d, chosen)
        drills.record_attempt(conn, report, clock())
        console.report(report)
        item.passed, item.checks = report.passed, f"{report.checks_passed}/{len(report.checks)}"
        item.bug = report.bugs[0] if report.bugs else None
        return True

    try:
        for item in items:
            done = drill_item(item) if item.kind == "drill" else question_item(item)
            if not done:
                return False, False
    except KeyboardInterrupt:
        console.info("\n[dim]Stopped. What was rated is saved, and so is the scorecard so far.[/]")
        return False, True
    return True, False
