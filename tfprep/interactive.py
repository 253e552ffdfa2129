"""The interactive quiz loop: reads the learner's keys (terminal or pipe), drives a QuizSession."""
from __future__ import annotations

import time
from pathlib import Path

from tfprep import cardview, paths
from tfprep.quiz import QuizSession, coverage, suggest_rating
from tfprep.scheduler import Rating, human_interval

RATING_KEYS = {"1": Rating.AGAIN, "2": Rating.HARD, "3": Rating.GOOD, "4": Rating.EASY}


def run(session: QuizSession, *, type_answers: bool = False, timed: float | None = None,
        where: dict[str, str] | None = None) -> bool:
    """Show cards until the queue is empty, the learner quits, input ends or Ctrl-C; returns
    True when Ctrl-C ended it (the command then exits with status 130). On a terminal, single
    keys (see `_run_keys`); from a pipe, lines. `where`: card id -> "bank file:line" (key e)."""
    from tfprep import keys

    if keys.interactive():
        return _run_keys(session, type_answers=type_answers, timed=timed, where=where or {})
    try:
        while (q := session.next()) is not None:
            cardview.question(q, session.seen + 1, session.seen + len(session.queue), counts=session.counts())
            started = time.monotonic()
            if timed:
                line = cardview.ask_timed("Answer (out loud or typed), Enter to reveal", timed)
            elif type_answers:
                line = cardview.ask("Your answer (one line; Enter to submit, q to quit) > ")
            else:
                line = cardview.ask("Press Enter to reveal (q to quit) > ")
            if line is None or line.strip().lower() == "q":
                break
            marks, suggested = _score(q, line) if type_answers else (None, None)
            if type_answers and line.strip():
                cardview.typed_answer(line)
            _reveal(q, marks, suggested)
            action = _ask_rating(session, q, suggested)
            if action == "quit":
                break
            if action == "undo":
                undone = session.undo()
                if undone is not None:
                    cardview.info(f"[dim]Undid the rating of {cardview.esc(undone.id)}; it comes back now.[/]")
                continue
            session.rate(q, action, duration_ms=int((time.monotonic() - started) * 1000))
            if session.last_leech is not None:
                cardview.leech(q.id, session.last_leech)
    except KeyboardInterrupt:
        cardview.info("\n[dim]Stopped. Every rating already given is saved.[/]")
        return True
    return False


def _score(q, answer: str) -> tuple[list[bool], Rating]:
    """The key points a typed answer covers (none when it is empty) and the rating they suggest."""
    marks = coverage(answer, q.key_points, q.key_point_rules) if answer.strip() else [False] * len(q.key_points)
    return marks, suggest_rating(marks)


def _reveal(q, marks, suggested) -> None:
    cardview.reveal(q, marks, practise=[d for d in q.drills if paths.drill_exists(d)])
    if marks is not None:
        cardview.info(f"You covered {sum(marks)}/{len(marks)} key points; suggested rating: "
                      f"{int(suggested)} {cardview.RATING_NAME[int(suggested)]}.")


def _previews(session: QuizSession, q) -> dict[Rating, str]:
    """What each rating would do, as the prompt shows it: the interval, or "practice" when
    cramming (nothing is scheduled then, so FSRS is not asked: no `fsrs` import)."""
    if session.cram:
        return {r: "practice" for r in Rating}
    return {r: human_interval(iv) for r, iv in session.preview(q).items()}


def _ask_rating(session: QuizSession, q, suggested: Rating | None):
    """A rating line from the pipe: 1-4, u (undo), q; anything else, an empty line included, is
    asked again (the suggestion is only shown: the learner rates)."""
    previews = _previews(session, q)
    while True:
        answer = cardview.ask(cardview.rating_prompt(previews, int(suggested) if suggested else None,
                                                     session.can_undo))
        if answer is None:
            return "quit"
        key = answer.strip().lower()
        if key in RATING_KEYS:
            return RATING_KEYS[key]
        if key in ("q", "quit"):
            return "quit"
        if key == "u" and session.can_undo:
            return "undo"
        cardview.info("[yellow]Type 1, 2, 3 or 4 (Again, Hard, Good, Easy), u to undo, q to quit.[/]")


# --- the quiz on a terminal: single keys ---------------------------------------------------------

COMMANDS = {"u": "undo", "s": "suspend", "b": "bury", "e": "where", "q": "quit"}


def _run_keys(session: QuizSession, *, type_answers: bool, timed: float | None, where: dict[str, str]) -> bool:
    """The quiz on a terminal. Before the reveal: Space or Enter reveals (with --type: the typed
    answer, an empty line submits it); after it, 1-4 rate. At any point u undoes the last rating
    (before a reveal too: that card is shown again), s suspends and b buries the current card,
    e shows its bank file and line, q quits. The terminal is in cbreak mode throughout and is
    restored on every way out."""
    from tfprep import keys

    def command(q, what: str):
        """Do an u/s/b/e command; returns "next" (show the queue's next card), "stay" or "quit"."""
        if what == "quit":
            return "quit"
        if what == "where":
            cardview.card_location(q.id, where.get(q.id))
            return "stay"
        if what == "undo":
            undone = session.undo()
            if undone is None:
                cardview.info("[dim]Nothing to undo yet.[/]")
                return "stay"
            cardview.info(f"[dim]Undid {cardview.esc(undone.id)}; it comes back now.[/]")
            return "next"
        back = session.set_aside(q, what)
        cardview.set_aside(q.id, what, back)
        return "next"

    try:
        with keys.Terminal() as term:
            while (q := session.next()) is not None:
                cardview.question(q, session.seen + 1, session.seen + len(session.queue), counts=session.counts())
                started = time.monotonic()
                if type_answers:
                    step, answer = _typed_on_terminal(term, timed)
                else:
                    step, answer = _reveal_key(term, timed), ""
                while step in ("undo", "suspend", "bury", "where"):
                    outcome = command(q, step)
                    if outcome != "stay":
                        step = outcome
                        break
                    step, answer = _typed_on_terminal(term, timed) if type_answers else (_reveal_key(term, timed), "")
                if step == "quit":
                    break
                if step == "next":
                    continue
                marks, suggested = _score(q, answer) if type_answers else (None, None)
                if type_answers and answer.strip():
                    cardview.typed_answer(answer)
                _reveal(q, marks, suggested)
                previews = _previews(session, q)
                outcome = None
                note = ""
                while outcome is None:
                    cardview.rating_status(previews, int(suggested) if suggested else None, note)
                    key = term.key()
                    if key in RATING_KEYS:
                        rating = RATING_KEYS[key]
                        cardview.rated(int(rating), previews[rating])
                        session.rate(q, rating, duration_ms=int((time.monotonic() - started) * 1000))
                        if session.last_leech is not None:
                            cardview.leech(q.id, session.last_leech)
                        outcome = "next"
                    elif key == keys.EOF or (key in COMMANDS and COMMANDS[key] == "quit"):
                        cardview.status("", done=True)
                        outcome = "quit"
                    elif key in COMMANDS:
                        cardview.status("", done=True)
                        outcome = command(q, COMMANDS[key])
                        outcome = None if outcome == "stay" else outcome
                    else:
                        note = "rate with 1-4 (Enter does not accept the suggestion)" if suggested else "rate with 1-4"
                if outcome == "quit":
                    break
    except KeyboardInterrupt:
        cardview.info("\n[dim]Stopped. Every rating already given is saved.[/]")
        return True
    return False


def _reveal_key(term, timed: float | None) -> str:
    """Wait for Space/Enter (reveal) or a command key; with `timed`, a countdown redrawn in place
    on one line, and the reveal when it runs out. Returns "reveal" or a COMMANDS value."""
    from tfprep import keys

    end = time.monotonic() + timed if timed else None
    while True:
        left = end - time.monotonic() if end is not None else None
        if left is not None and left <= 0:
            cardview.status("[bold yellow]Time's up.[/]", done=True)
            return "reveal"
        cardview.reveal_status(left)
        key = term.key(timeout=min(1.0, left) if left is not None else None)
        if key is None:
            continue
        if key in (keys.SPACE, keys.ENTER):
            cardview.status("", done=False)
            return "reveal"
        if key == keys.EOF:
            cardview.status("", done=True)
            return "quit"
        if key in COMMANDS:
            cardview.status("", done=True)
            return COMMANDS[key]


def _typed_on_terminal(term, timed: float | None) -> tuple[str, str]:
    """A typed answer with line editing (readline): ("reveal", text), or a command typed alone
    on the first line ("undo", "suspend", "bury", "where", "quit")."""
    from tfprep import keys

    cardview.typing_help(timed)

    def prompt(deadline):
        return f"{_left(deadline)}› " if deadline else "› "

    def more(deadline):
        return f"{_left(deadline)}  " if deadline else "  "

    def tick(left, buffer):
        width = cardview.width()
        if len(prompt(1)) + 5 + len(buffer) < width:  # still on the prompt's row: redraw its clock
            keys.write(f"\x1b7\r{int(left) + 1:>4}s\x1b8")

    lines, timed_out = term.lines(prompt, more, seconds=timed, tick=tick, commands=frozenset(COMMANDS))
    if timed_out:
        cardview.info("[bold yellow]Time's up.[/]")
    if len(lines) == 1 and lines[0].strip().lower() in COMMANDS:
        return COMMANDS[lines[0].strip().lower()], ""
    return "reveal", "\n".join(lines)


def _left(deadline: float) -> str:
    return f"{max(0, int(deadline - time.monotonic()) + 1):>4}s "


# --- the mock interview -------------------------------------------------------------------------

def read_answer(minutes: float) -> str | None:
    """The learner's answer: lines until an empty line (Enter at once: answered aloud), or the
    question's time running out. None at end of input."""
    lines: list[str] = []
    first = cardview.ask_timed("Answer aloud or type it (an empty line ends it)", minutes * 60)
    while first is not None and first.strip():
        lines.append(first)
        first = cardview.ask("... ")
    if first is None and not lines:
        return None
    return "\n".join(lines)


def run_interview(conn, scheduler, banks, items, clock, workspace, start_drill) -> tuple[bool, bool]:
    """Drive one round: each question shown, answered, revealed and self-rated (an ordinary FSRS
    review), the drill written fresh and graded when submitted or when its time is up. Returns
    (finished, interrupted); the items carry the results."""
    from tfprep import console, drills

    from tfprep import banks as banks_mod
    from tfprep.quiz import QuizSession

    def question_item(item) -> bool:
        q = banks_mod.find(banks, item.id)
        session = QuizSession(conn, scheduler, [q], clock)
        console.interview_item(item)
        cardview.question(q, 1, 1)
        started = time.monotonic()
        answer = read_answer(item.minutes)
        if answer is None:
            return False
        item.seconds_used = round(time.monotonic() - started, 1)
        if answer.strip():
            cardview.typed_answer(answer)
        cardview.reveal(q, None, practise=[])
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
            line = cardview.ask_timed(f"Edit {target}; Enter submits it (or type the path of another file)",
                                     max(left, 0.01))
            if line is None:
                return False
            chosen = Path(line.strip()).expanduser() if line.strip() else target
            if chosen.is_file():
                break
            cardview.info(f"[yellow]{cardview.esc(str(chosen))} is not a file; Enter submits {cardview.esc(str(target))}.[/]")
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
        cardview.info("\n[dim]Stopped. What was rated is saved, and so is the scorecard so far.[/]")
        return False, True
    return True, False
