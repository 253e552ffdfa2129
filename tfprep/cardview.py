"""The quiz's screens: the question, the model answer, the prompts and the session summary.

Each screen is described once, as tfprep.term blocks. Where the output is plain (a pipe) they
are laid out by tfprep.term, so a quiz never imports rich; elsewhere (a terminal, forced
colour) and once rich is loaded anyway, tfprep.console draws the same blocks with rich. The two
give the same characters: tests/test_term.py holds them to it.
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


def show(blocks: list, end: str = "\n") -> None:
    """Print the blocks; after the last, when it is a line of text, `end` (a prompt: "")."""
    width = None if "tfprep.console" in sys.modules else term.plain_width()
    if width is not None:
        try:
            drawn = term.render(blocks, width, end)
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
