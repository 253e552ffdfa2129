"""The screens of every start: the home screen, and the quiz's (the question, the model answer,
the prompts, the status line of the terminal quiz and the session summary).

Each screen is described once, as tfprep.term blocks, and term draws it (plain on a pipe, with
colours on a terminal), so neither `tfprep` nor a quiz imports rich. Where term cannot (a
notebook, a dumb terminal, an answer with a table) and once rich is loaded anyway,
tfprep.console's rich console draws the same blocks. The two give the same characters:
tests/test_term.py holds them to it.
"""
from __future__ import annotations

import sys
from datetime import datetime

from tfprep import term
from tfprep.term import Grid, Panel, Table, assemble, escape as esc, markup, text

RATING_STYLE = {1: "red", 2: "yellow", 3: "green", 4: "cyan"}
RATING_NAME = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
_SPAN_STYLE = {"bold": "bold", "italic": "italic", "code": "bold cyan", "link": "underline", "url": "dim"}


class Foreign:
    """A block only rich can draw (an answer with tables or code: rich.markdown); the screen
    holding one is drawn with rich."""

    def __init__(self, source: str):
        self.source = source


def _target() -> tuple[int, str | None] | None:
    """term's (width, styles) for the output, or None to draw with rich: where term cannot, and
    once rich is loaded anyway (it draws the same, and `console.out` may be set up for a test)."""
    return None if "tfprep.console" in sys.modules else term.target()


def show(blocks: list, end: str = "\n") -> None:
    """Print the blocks; after the last, when it is a line of text, `end` (a prompt: "")."""
    where = _target()
    if where is not None:
        try:
            drawn = term.render(blocks, where[0], end, where[1])
        except term.Unsupported:
            pass
        else:
            sys.stdout.write(drawn)
            sys.stdout.flush()
            return
    from tfprep import console

    for i, block in enumerate(blocks):
        last = i == len(blocks) - 1
        console.out.print(to_rich(block), end=end if last and isinstance(block, term.Text) else "\n")


def width() -> int:
    where = _target()
    if where is not None:
        return where[0]
    from tfprep import console

    return console.out.width


def to_rich(block):
    """The rich renderable a block stands for."""
    from rich.text import Text

    if isinstance(block, term.Text):
        return Text.assemble(*[(chunk, style or "") for chunk, style in block.runs], style=block.style)
    if isinstance(block, Foreign):
        from rich.markdown import Markdown

        return Markdown(block.source)
    if isinstance(block, Grid):
        from rich.table import Table as RichTable

        if not block.rows:
            return Text("")  # a grid of no rows prints an empty line, as rich's does
        grid = RichTable.grid(padding=(0, 1), pad_edge=block.pad_edge)
        grid.add_column(justify="right" if block.right_first else "left", no_wrap=block.no_wrap_first)
        grid.add_column()
        for a, b in block.rows:
            grid.add_row(to_rich(a), to_rich(b))
        return grid
    if isinstance(block, Panel):
        from rich.console import Group
        from rich.panel import Panel as RichPanel

        body = to_rich(block.body[0]) if len(block.body) == 1 else Group(*map(to_rich, block.body))
        return RichPanel(body, title=to_rich(block.title) if block.title else None, title_align="left",
                         subtitle=to_rich(block.subtitle) if block.subtitle else None, subtitle_align="right",
                         border_style=block.border or "none")
    if isinstance(block, Table):
        from rich.table import Table as RichTable

        table = RichTable(title=block.title, show_header=False, title_justify="left")
        table.add_column(style=block.first_style or None)
        table.add_column()
        for a, b in block.rows:
            table.add_row(Text(a), Text(b))
        return table
    raise TypeError(f"not a block: {block!r}")


def info(message: str) -> None:
    """One of our own lines, in rich's markup (text from banks or learners escaped with `esc`)."""
    show([markup(message)])


def ask(prompt: str) -> str | None:
    """One line from stdin (a terminal or a pipe) after the prompt (markup); None at end of input."""
    show([markup(prompt)], end="")
    line = sys.stdin.readline()
    if not line:
        show([text("")])
        return None
    return line.rstrip("\n")


def ask_timed(prompt: str, seconds: float) -> str | None:
    """Show a countdown until Enter is pressed or time runs out; returns the line, "" on timeout."""
    import select
    import time

    end = time.monotonic() + seconds
    tty = sys.stdout.isatty()
    first = True
    while True:
        left = end - time.monotonic()
        if left <= 0:
            if tty:
                status("[bold yellow]Time's up.[/]", done=True)
            else:
                info("[bold yellow]Time's up.[/]")
            return ""
        if tty:  # redrawn in place; what is being typed after it stays
            clock = f"{prompt} [bold]{int(left) + 1:>3}s[/] "
            if first:
                status(clock)
            else:
                _line(clock, before="\x1b7\r", after="\x1b8")  # save the cursor, redraw the start, restore
            first = False
        ready, _, _ = select.select([sys.stdin], [], [], min(1.0, left))
        if ready:
            line = sys.stdin.readline()
            show([text("")])
            return line.rstrip("\n") if line else None


def when(dt: datetime | None) -> str:
    if dt is None:
        return "nothing scheduled"
    return dt.astimezone().strftime("%Y-%m-%d %H:%M")


# --- the screens -------------------------------------------------------------------------------------

def card_counts(counts: dict) -> term.Text:
    """`3 new · 1 learning · 12 review`, in Anki's colours (blue, red, green)."""
    return assemble((f"{counts['new']} new", "blue"), " · ", (f"{counts['learning']} learning", "red"), " · ",
                    (f"{counts['review']} review", "green"))


def question_blocks(q, index: int, total: int, due_info: str = "", counts: dict | None = None) -> list:
    """The question in a panel; its title: bank, id, difficulty, index/total; on its bottom edge,
    as Anki shows them, the cards left: new, learning, review (`counts`, from QuizSession.counts;
    there, not in the title, so that a long title at 80 columns cannot cut them off)."""
    title = assemble((q.bank, "bold"), f" · {q.id} · difficulty {q.difficulty} · {index}/{total}{due_info}")
    return [text(""), Panel([text(q.question.strip(), "bold")], title, card_counts(counts) if counts is not None else None,
                            "blue")]


def question(q, index: int, total: int, due_info: str = "", counts: dict | None = None) -> None:
    show(question_blocks(q, index, total, due_info, counts))


def markdown(source: str) -> list:
    """An answer's Markdown: the subset the banks use (paragraphs, lists, bold, italic, code,
    links; tfprep.mdlite) as blocks, anything else (tables...) as one Foreign block for
    rich.markdown, whose import (markdown-it, pygments: ~30 ms) only such an answer pays for."""
    from tfprep import mdlite

    parsed = mdlite.parse(source)
    if parsed is None:
        return [Foreign(source)]

    def styled(spans) -> term.Text:
        return term.Text([(chunk, " ".join(_SPAN_STYLE[s] for s in sorted(styles))) for chunk, styles in spans
                          if chunk])

    blocks: list = []
    for kind, body in parsed:
        if blocks:
            blocks.append(text(""))
        if kind == "p":
            blocks.append(styled(body))
        else:
            blocks.append(Grid([(text(marker, "bold" if marker == "•" else ""), styled(spans)) for marker, spans in body],
                               pad_edge=True, right_first=True, no_wrap_first=True))
    return blocks


def reveal_blocks(q, marks: list[bool] | None = None, practise: list[str] | None = None) -> list:
    """The model answer, key points (marked when typed) and follow-ups; `practise`: the related
    drills that exist (default: all the question names)."""
    blocks: list = [Panel(markdown(q.answer.strip()), text("Model answer"), None, "green")]
    blocks.append(markup("[bold]Key points[/]"))
    blocks.append(Grid([(text("•") if marks is None else (text("✓", "green") if marks[i] else text("✗", "red")),
                         text(point)) for i, point in enumerate(q.key_points)]))
    # follow-ups and sources as key points are: a line that wraps keeps its indent
    if q.follow_ups:
        blocks.append(markup("[bold]Follow-ups[/]"))
        blocks.append(Grid([(text(" ?"), text(f)) for f in q.follow_ups]))
    if q.sources:
        from tfprep.banks import cite

        blocks.append(markup("[bold]Sources[/]"))
        blocks.append(Grid([(text(" "), text(cite(src), "dim")) for src in q.sources]))
    practise = list(q.drills) if practise is None else practise
    if practise:
        blocks.append(text(f"Practise it: {', '.join('tfprep drill ' + d for d in practise)}", "dim"))
    return blocks


def reveal(q, marks: list[bool] | None = None, practise: list[str] | None = None) -> None:
    show(reveal_blocks(q, marks, practise))


def typed_answer(answer: str) -> None:
    show([Panel([text(answer)], text("Your answer"), None, "cyan")])


def rating_prompt(previews: dict, suggested: int | None, can_undo: bool) -> str:
    parts = [f"[{RATING_STYLE[int(r)]}]{int(r)} {RATING_NAME[int(r)]}[/] ({iv})" for r, iv in previews.items()]
    extra = "  u undo" if can_undo else ""
    hint = f"  (suggested: {suggested} {RATING_NAME[suggested]})" if suggested else ""
    return "Rate: " + "  ".join(parts) + f"{extra}  q quit{hint} > "


def leech(card_id: str, lapses: int) -> None:
    from tfprep.cards import LEECH_MESSAGE

    show([text(LEECH_MESSAGE.format(id=card_id, lapses=lapses), "bold yellow")])


def summary_blocks(data: dict) -> list:
    rows = [("Cards rated", str(data["seen"])),
            ("Ratings", "  ".join(f"{RATING_NAME[r]} {n}" for r, n in sorted(data["ratings"].items())) or "—"),
            ("Next due", when(data["next_due"])),
            ("Streak", f"{data['streak']} day{'s' if data['streak'] != 1 else ''}")]
    if data.get("cram"):
        rows.append(("Mode", "cram (schedule untouched)"))
    return [text(""), Table("Session summary", rows, "bold")]


def summary(data: dict) -> None:
    show(summary_blocks(data))


# --- the home screen -----------------------------------------------------------------------------

WELCOME = """Welcome to tfprep. It has three parts:
  * questions: interview questions with model answers, as spaced-repetition flashcards (tfprep quiz);
  * drills: implement attention and friends, graded by a hidden test suite that names your bug (tfprep drill);
  * a plan: a 14-day roadmap through both, stretched to your interview date (tfprep plan --interview DATE).
After each answer you rate your recall: 1 Again (forgot), 2 Hard, 3 Good, 4 Easy. The rating sets when the card comes back (FSRS). A drill is rated by how its attempt went: the first try without hints is Good.
Your progress lives in {home} (set TFPREP_HOME to move it)."""


def home_blocks(data: dict, next_card_in: str | None, home_dir: str) -> list:
    """The daily screen: what is due, today's plan step, the streak and the one command to run.
    Lines of text, drawn like the quiz's (no rich: this screen is part of every start-up's budget)."""
    lines = []
    if data["first_run"]:
        lines += [text(WELCOME.format(home=home_dir)), text("")]
    rows = []
    later = f"{data['cards_due_later_today']}" + (f" (then next {next_card_in})" if next_card_in else "")
    rows += [("Cards due now", str(data["cards_due_now"])), ("Due later today", later),
             ("New cards left today", str(data["new_cards_today"])),
             ("Drills due", ", ".join(data["drills_due"]) or "none")]
    if data["drills_due_later_today"]:
        rows.append(("Drills due later today", ", ".join(data["drills_due_later_today"])))
    plan = data.get("plan")
    if plan:
        days = plan["days"]
        which = f"day {days[0]}" if len(days) == 1 else f"days {days[0]}-{days[-1]}"
        rows.append(("Plan", f"{which} of {plan['of']}: {plan['title']}"
                             + (f" (interview {plan['interview']})" if plan.get("interview") else "")))
        if plan.get("read"):
            rows.append(("Read", plan["read"]))
        rows.append(("Plan's cards", f"{len(plan['questions'])} today, {plan['new_cards']} not seen yet"))
        if plan["drills"]:
            rows.append(("Plan's drills", ", ".join(d["name"] + (" (passed)" if d["done"] else "") for d in plan["drills"])))
    width = max(len(label) for label, _ in rows) + 2
    streak = data["streak_days"]
    lines.append(assemble(("Today", "bold"), f" · streak {streak} day{'s' * (streak != 1)}"))
    lines += [assemble((label.ljust(width), "bold"), value) for label, value in rows]
    lines.append(assemble("Next: ", (data["next"]["command"], "bold"), f"   ({data['next']['why']})"))
    return lines


def home(data: dict, next_card_in: str | None, home_dir: str) -> None:
    show(home_blocks(data, next_card_in, home_dir))


# --- the quiz on a terminal: single keys, one status line redrawn in place --------------------------

REVEAL_KEYS = "[bold]Space[/] reveal · [bold]u[/] undo · [bold]s[/] suspend · [bold]b[/] bury · [bold]e[/] where · [bold]q[/] quit"
CARD_KEYS = "[bold]u[/] undo · [bold]s[/] suspend · [bold]b[/] bury · [bold]e[/] where · [bold]q[/] quit"


def _line(message: str, before: str = "", after: str = "", end: str = "") -> None:
    """`message` (markup) on one line, never wrapped, cut with "…" at the width, between control
    codes that move the cursor (`before`, `after`)."""
    where = _target()
    if where is not None:
        try:
            drawn = term.render_line(markup(message), where[0], where[1])
        except term.Unsupported:
            pass
        else:
            sys.stdout.write(before + drawn + end + after)
            sys.stdout.flush()
            return
    from tfprep import console

    console.out.file.write(before)
    console.out.print(to_rich(markup(message)), end=end, no_wrap=True, overflow="ellipsis", crop=True)
    console.out.file.write(after)
    console.out.file.flush()


def status(message: str, done: bool = False) -> None:
    """Redraw the status line in place: carriage return, erase the line, then the text cropped
    to the width (so it never wraps, and the next redraw covers it all); `done` ends the line."""
    _line(message, before="\r\x1b[2K", end="\n" if done else "")


def reveal_status(seconds_left: float | None, note: str = "") -> None:
    """Before the reveal: the keys, a countdown when timed, and a note (what the last key did)."""
    clock = f"[bold yellow]{int(seconds_left) + 1:>3}s[/] " if seconds_left is not None else ""
    status(clock + (f"[yellow]{note}[/] · " if note else "") + REVEAL_KEYS)


def rating_status(previews: dict, suggested: int | None, note: str = "") -> None:
    parts = [f"[{RATING_STYLE[int(r)]}]{int(r)} {RATING_NAME[int(r)]}[/] ({iv})" for r, iv in previews.items()]
    hint = f" · suggested [bold]{suggested} {RATING_NAME[suggested]}[/]" if suggested else ""
    first = f"[yellow]{note}[/] · " if note else ""  # what went wrong comes first: the line is cropped
    status(first + "Rate " + "  ".join(parts) + f"{hint} · {CARD_KEYS}")


def rated(rating: int, next_in: str) -> None:
    status(f"[{RATING_STYLE[rating]}]{rating} {RATING_NAME[rating]}[/] · next {next_in}", done=True)


def typing_help(timed: float | None) -> None:
    limit = f"; {timed:g} seconds" if timed else ""
    show([text(f"Type your answer{limit}. An empty line (or Ctrl-D) submits it; a line with only u, s, b, e or q "
               "undoes, suspends, buries, shows where the card is, or quits.", "dim")])


def card_location(card_id: str, where: str | None) -> None:
    """`e`: the card's id and the bank file and line it is written at."""
    show([assemble(("Card ", "dim"), (card_id, "bold"), "  ", where or "(bank file unknown)")])


def set_aside(card_id: str, how: str, back=None) -> None:
    if how == "suspend":
        show([text(f"Suspended {card_id}: it is not shown again until `tfprep card unsuspend {card_id}` "
                   "(u undoes it now).", "yellow")])
    else:
        show([text(f"Buried {card_id} until {when(back)} (u undoes it now).", "yellow")])
