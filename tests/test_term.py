"""tfprep.term lays out the quiz's screens as rich does: the same characters, wrap for wrap.

rich is the oracle: every card of every shipped bank (question, answer, key points marked and
unmarked, follow-ups, sources, summary) and generated text (long and wide words, runs of
spaces, blank lines, brackets) is drawn both ways at several widths and compared byte for byte.
The quiz from a pipe is then checked end to end: rich-free, and the same output as with rich.
"""
import io
import os
import pty
import random
import re
import subprocess
import sys

import pytest
from rich.console import Console
from rich.markup import escape as rich_escape
from rich.text import Text as RichText

from tfprep import banks, cardview, term

WIDTHS = (24, 40, 57, 80, 100, 133)


def rich_render(blocks, width, end="\n", styles=None):
    buf = io.StringIO()
    out = Console(file=buf, width=width, color_system="standard" if styles else None, force_terminal=bool(styles),
                  no_color=styles == "mono", highlight=False, emoji=False, legacy_windows=False)
    for i, block in enumerate(blocks):
        last = i == len(blocks) - 1
        out.print(cardview.to_rich(block), end=end if last and isinstance(block, term.Text) else "\n")
    return buf.getvalue()


SGR = re.compile(r"\x1b\[([0-9;]*)m")
VISIBLE_ON_SPACES = {"4", "7"}  # underline, reverse: bold or a colour on a space shows nothing


def cells(drawn: str) -> list[list[tuple[str, frozenset]]]:
    """What a terminal shows: per line, each character with the SGR codes in force on it."""
    grid, line, codes, at = [], [], set(), 0
    for m in [*SGR.finditer(drawn), None]:
        for ch in drawn[at:m.start() if m else len(drawn)]:
            if ch == "\n":
                grid.append(line)
                line = []
            else:
                line.append((ch, frozenset(codes if ch != " " else codes & VISIBLE_ON_SPACES)))
        if m:
            at = m.end()
            for code in m.group(1).split(";"):
                if code in ("", "0"):
                    codes.clear()
                else:
                    codes.add(code)
    return grid + [line]


def same(blocks, width, end="\n", styles=(None, "colour", "mono")):
    """term's layout equals rich's, plain byte for byte and on a terminal cell for cell (each
    character in the same style); False when term declines it (rich then draws)."""
    try:
        mine = {s: term.render(blocks, width, end, s) for s in styles}
    except term.Unsupported:
        return False
    for s in styles:
        theirs = rich_render(blocks, width, end, s)
        if s is None:
            assert mine[s] == theirs, f"width {width}:\n--- term\n{mine[s]}\n--- rich\n{theirs}"
        else:
            assert cells(mine[s]) == cells(theirs), f"{s}, width {width}:\n{mine[s]!r}\n{theirs!r}"
            assert SGR.sub("", mine[s]) == SGR.sub("", theirs)
    return True


def all_questions():
    return [q for b in banks.load_all().values() for q in b.questions]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_card_of_every_bank_is_drawn_as_rich_draws_it(width):
    """Plain at every width; with colours and attributes only (NO_COLOR) at 40 and 80 columns."""
    questions = all_questions()
    assert len(questions) >= 119
    styles = (None, "colour", "mono") if width in (40, 80) else (None,)
    drawn = declined = 0
    for q in questions:
        marks = [i % 2 == 0 for i in range(len(q.key_points))]
        screens = [cardview.question_blocks(q, 3, 12, counts={"new": 4, "learning": 1, "review": 7}),
                   cardview.question_blocks(q, 1, 1), cardview.reveal_blocks(q), cardview.reveal_blocks(q, marks, [])]
        for blocks in screens:
            if any(isinstance(x, cardview.Foreign) for b in blocks if isinstance(b, term.Panel) for x in b.body):
                continue  # rich.markdown's answers are drawn by rich (test_foreign_answers_are_drawn_by_rich)
            if same(blocks, width, styles=styles):
                drawn += 1
            else:
                declined += 1
    assert drawn >= len(questions) * 3, (drawn, declined)  # term declines only what it cannot draw
    if width >= 40:
        assert declined == 0


def test_prompts_lines_and_summary_are_drawn_as_rich_draws_them():
    previews = {1: "1m", 2: "6m", 3: "10m", 4: "2d"}
    lines = [cardview.rating_prompt(previews, 3, True), cardview.rating_prompt(previews, None, False),
             "Press Enter to reveal (q to quit) > ", f"[dim]Undid {cardview.esc('x[bold]y')}; it comes back now.[/]",
             "[yellow]Type 1, 2, 3 or 4 (Again, Hard, Good, Easy), u to undo, q to quit.[/]", "\n[dim]Stopped.[/]"]
    for width in WIDTHS:
        for line in lines:
            assert same([term.markup(line)], width, end="")
            assert same([term.markup(line)], width)
        for data in ({"seen": 3, "ratings": {1: 1, 3: 2}, "next_due": None, "streak": 1, "cram": False},
                     {"seen": 0, "ratings": {}, "next_due": None, "streak": 12, "cram": True}):
            same(cardview.summary_blocks(data), width)  # at 24 columns the table is rich's
    assert same(cardview.summary_blocks({"seen": 1, "ratings": {}, "next_due": None, "streak": 2}), 80)


WORDS = ["a", "the", "attention", "softmax(QKᵀ/√d)", "O(n²·d)", "KV-cache", "x" * 70, "注意力机制", "🙂", "[bold]",
         "\\[", "e.g.", "--", "(1)", "tfprep drill flash-attention-triton-backward", "y" * 23,
         "\r", "a\x07b\x08"]


def generated(rnd: random.Random) -> str:
    parts = []
    for _ in range(rnd.randint(0, 40)):
        parts.append(rnd.choice(WORDS))
        parts.append(rnd.choice([" ", " ", " ", "  ", "   ", "\n", "\n\n", ""]))
    return "".join(parts).replace("[bold]", "[b]")


def test_generated_text_wraps_as_rich_wraps_it():
    rnd = random.Random(0)
    checked = 0
    for _ in range(400):
        width = rnd.randint(12, 120)
        body = generated(rnd)
        title = term.text(generated(rnd).replace("\n", " ")[:90])
        grid = term.Grid([(term.text(rnd.choice(["•", "1.", "10.", " ?", "✓"])), term.text(generated(rnd)))
                          for _ in range(rnd.randint(0, 4))], pad_edge=rnd.random() < 0.5,
                         right_first=rnd.random() < 0.5, no_wrap_first=rnd.random() < 0.5)
        screens = [[term.text(body)], [term.text(body, "bold")], [grid],
                   [term.Panel([term.text(body), term.text(""), grid], title, term.text("1 new · 0 learning"), "blue")]]
        for blocks in screens:
            checked += same(blocks, width)
    assert checked > 1400


def test_escape_and_markup_read_as_rich_reads_them():
    rnd = random.Random(1)
    pieces = ["[", "]", "\\", "[b]", "[/b]", "[bold]", "[/]", "x", " ", "[1]", "[a-z]", "[@x]", "\\[b]"]
    for _ in range(2000):
        s = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 12)))
        assert term.escape(s) == rich_escape(s)
        marked = f"[dim]{term.escape(s)}[/] and [bold red]{term.escape(s[::-1])}[/]"
        ours, theirs = term.markup(marked), RichText.from_markup(marked, emoji=False)
        assert ours.plain == theirs.plain
        if "\\" not in s:  # text without backslashes (rich's own escape does not round-trip "\\[")
            assert ours.plain == f"{s} and {s[::-1]}"
        styles = [set() for _ in theirs.plain]
        for span in theirs.spans:
            for i in range(span.start, span.end):
                styles[i] |= set(str(span.style).split())
        assert [set(st.split()) for chunk, st in ours.runs for _ in chunk] == styles


def test_the_home_screen_is_drawn_as_rich_draws_it(tfprep_home):
    """First run (the welcome) and a day of the plan, at every width."""
    from datetime import datetime, timezone

    from tfprep import home, plan, store

    conn = store.connect()
    all_banks = banks.load_all()
    t = datetime.now(timezone.utc)
    for plan_day in (None, plan.today(conn, all_banks, t)):
        data = home.compute(conn, all_banks, t, new_per_day=10, plan_day=plan_day)
        for first in (True, False):
            data["first_run"] = first
            blocks = cardview.home_blocks(data, "3h", "/home/me/.local/share/tfprep [x]")
            for width in WIDTHS:
                assert same(blocks, width)


def test_a_typed_answer_with_tabs_or_control_characters_is_drawn_as_rich_draws_it(capsys):
    """rich strips BEL, BS, VT, FF and CR and expands tabs; term strips the same and leaves a
    tab to rich (the screen is then rich's)."""
    assert same([term.Panel([term.text("one\rtwo\x07 three\x0c\x0b\x08")], term.text("Your answer"))], 40)
    with pytest.raises(term.Unsupported):
        term.render([term.text("a\tb")], 40)
    cardview.typed_answer("col\tumn")
    assert "col     umn" in capsys.readouterr().out


def test_foreign_answers_are_drawn_by_rich(capsys):
    """An answer outside mdlite's subset (a table) makes its screen rich's, whatever the output."""
    blocks = cardview.markdown("| a | b |\n|---|---|\n| 1 | 2 |")
    assert [type(b) for b in blocks] == [cardview.Foreign]
    with pytest.raises(term.Unsupported):
        term.render([term.Panel(blocks, term.text("Model answer"))], 80)
    cardview.show([term.Panel(blocks, term.text("Model answer"))])
    out = capsys.readouterr().out
    assert "Model answer" in out and "| a | b |" not in out and "---" not in out  # a table, not its source


PROBE = """
import os, sys
from tfprep import term
from rich.console import Console
c = Console()
width, styles = term.target() or (None, None)
print(width, styles, c.is_terminal, c.color_system, c.no_color, c.width, file=sys.stderr)
"""


@pytest.mark.parametrize("env", [{}, {"COLUMNS": "100"}, {"COLUMNS": "abc"}, {"FORCE_COLOR": "1"}, {"FORCE_COLOR": ""},
                                 {"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}, {"NO_COLOR": "1"},
                                 {"TERM": "dumb"}, {"TERM": "xterm-256color", "COLORTERM": "truecolor"}])
@pytest.mark.parametrize("stdout_tty", [False, True])
def test_the_output_is_detected_as_rich_detects_it(env, stdout_tty):
    """term draws where rich would draw the same thing: plain where rich writes no codes, with
    colours (or, NO_COLOR, attributes only) where rich writes them, at rich's width."""
    base = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR",
                                                             "COLORTERM")}
    base["TERM"] = "xterm"
    if stdout_tty:
        leader, follower = pty.openpty()
        out = follower
    else:
        leader = follower = None
        out = subprocess.PIPE
    try:
        proc = subprocess.run([sys.executable, "-c", PROBE], env={**base, **env}, stdout=out, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True, timeout=60)
    finally:
        for fd in (leader, follower):
            if fd is not None:
                os.close(fd)
    width, styles, is_terminal, colours, no_color, rich_width = proc.stderr.split()
    if width != "None":
        assert width == rich_width
        if styles == "None":
            assert (is_terminal, colours) == ("False", "None")
        else:
            assert is_terminal == "True" and colours != "None"
            assert (styles == "mono") == (no_color == "True")
    if stdout_tty and not env:
        assert styles == "colour"
    if stdout_tty and env.get("TERM") == "dumb":
        assert width == "None"  # rich's to draw


QUIZ = ["quiz", "--bank", "core25", "--limit", "3", "--cram"]
WITH_RICH = "import sys, tfprep.console; sys.argv = ['tfprep'] + sys.argv[1:]; from tfprep.cli import main; main()"
NO_RICH = ("import atexit, sys; atexit.register(lambda: sys.__stderr__.write('RICH=%s\\n' % ('rich.console' in "
           "sys.modules))); sys.argv = ['tfprep'] + sys.argv[1:]; from tfprep.cli import main; main()")


@pytest.mark.parametrize("typed", [False, True])
def test_the_quiz_from_a_pipe_is_rich_free_and_prints_what_rich_prints(tfprep_home, typed):
    args = QUIZ + (["--type"] if typed else [])
    stdin = ("attention weights are a softmax over the keys\n3\nx\n\n2\nq\n" if typed else "\n3\n\nu\n\n4\n\n1\n")
    env = {**os.environ, "TFPREP_HOME": str(tfprep_home), "COLUMNS": "72"}
    env.pop("FORCE_COLOR", None)
    fast = subprocess.run([sys.executable, "-c", NO_RICH, *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120)
    slow = subprocess.run([sys.executable, "-c", WITH_RICH, *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120)
    assert fast.returncode == slow.returncode == 0, fast.stderr + slow.stderr
    assert "RICH=False" in fast.stderr
    assert "Model answer" in fast.stdout and "Session summary" in fast.stdout
    assert {len(line) for line in fast.stdout.splitlines() if line.startswith("╰")} == {72}  # COLUMNS
    # the two runs differ only in when the sessions happened (ids are not printed)
    assert fast.stdout == slow.stdout


def test_status_lines_are_drawn_as_rich_draws_them():
    """The terminal quiz's status line: one line, never wrapped, cut with "…" at the width."""
    previews = {1: "1m", 2: "6m", 3: "10m", 4: "2d"}
    messages = [cardview.REVEAL_KEYS, f"[bold yellow] 12s[/] [yellow]note[/] · {cardview.REVEAL_KEYS}",
                "[yellow]rate with 1-4[/] · Rate " + "  ".join(f"[red]{r} x[/] ({iv})" for r, iv in previews.items()),
                "[green]3 Good[/] · next 10m", "", f"Answer {term.escape('[i]')} [bold] 30s[/] "]
    for width in (20, 40, 80, 200):
        for message in messages:
            for styles in (None, "colour", "mono"):
                buf = io.StringIO()
                Console(file=buf, width=width, color_system="standard" if styles else None, force_terminal=bool(styles),
                        no_color=styles == "mono", highlight=False, emoji=False).print(
                    RichText.from_markup(message, emoji=False), end="", no_wrap=True, overflow="ellipsis", crop=True)
                mine = term.render_line(term.markup(message), width, styles)
                assert cells(mine) == cells(buf.getvalue()) and SGR.sub("", mine) == SGR.sub("", buf.getvalue())
