"""The quiz on a real pseudo-terminal: single keys without Enter, undo before the reveal,
suspend, bury, where (e), quit, Ctrl-C, a countdown redrawn in place, typed answers with
readline; and the terminal's modes restored whichever way the session ends."""
import fcntl
import os
import pty
import re
import select
import signal
import sqlite3
import struct
import sys
import termios
import time

import pytest

from tfprep import banks

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

FIRST, SECOND = "core-rnn-bottleneck", "core-original-architecture"  # core25's first cards, in order


class Screen:
    """`tfprep quiz ...` with a pseudo-terminal as its stdin and stdout."""

    def __init__(self, home, *args, columns=120, colour=False, code=None):
        """`code`: run `python -c code quiz ...` instead of `python -m tfprep quiz ...`."""
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ.update({"TFPREP_HOME": str(home), "NO_COLOR": "1", "COLUMNS": str(columns), "LINES": "40",
                               "TERM": "xterm"})
            if colour:
                del os.environ["NO_COLOR"]
            start = ["-c", code] if code else ["-m", "tfprep"]
            os.execv(sys.executable, [sys.executable, *start, "quiz", "--bank", "core25", *args])
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
        self.raw = b""
        self.code = None

    def _read(self, timeout):
        if not select.select([self.fd], [], [], timeout)[0]:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # the child has gone and all it wrote is read
            return False
        self.raw += data
        return bool(data)

    @property
    def raw_text(self) -> str:
        return self.raw.decode(errors="replace")

    @property
    def text(self) -> str:
        """The screen's text without styles (bold and dim stay on with NO_COLOR) or cursor moves."""
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]", "", self.raw_text)

    def expect(self, needle: str, count: int = 1, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while self.text.count(needle) < count:
            if time.monotonic() > end or not self._read(0.1):
                raise AssertionError(f"{needle!r} x{count} never came; screen:\n{self.text[-3000:]}")

    def press(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def modes(self) -> int:
        return termios.tcgetattr(self.fd)[3]

    def wait(self, timeout: float = 60) -> int:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                while self._read(0.05):
                    pass
                self.code = os.waitstatus_to_exitcode(status)
                return self.code
            self._read(0.1)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise AssertionError(f"still running after {timeout} s:\n{self.text[-3000:]}")

    def close(self) -> None:
        if self.code is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        os.close(self.fd)


@pytest.fixture
def screen(tfprep_home):
    opened = []

    def start(*args, **kw):
        s = Screen(tfprep_home, *args, **kw)
        opened.append(s)
        return s

    yield start
    for s in opened:
        s.close()


def reviews(home):
    conn = sqlite3.connect(home / "progress.db")
    return conn.execute("SELECT card_id, rating FROM reviews ORDER BY id").fetchall()


def flags(home, card):
    conn = sqlite3.connect(home / "progress.db")
    conn.row_factory = sqlite3.Row
    row = conn.execute("SELECT * FROM card_flags WHERE card_id = ?", (card,)).fetchone()
    return dict(row) if row else None


def cooked(modes: int) -> bool:
    return bool(modes & termios.ICANON and modes & termios.ECHO)


def test_single_keys_reveal_and_rate_without_enter(screen, tfprep_home):
    s = screen("--limit", "2")
    s.expect("Space reveal")
    assert not s.modes() & termios.ICANON and not s.modes() & termios.ECHO  # cbreak while it runs
    assert "2 new · 0 learning · 0 review" in s.text  # Anki's counts, on the card's bottom edge
    s.press(" ")
    s.expect("Model answer")
    s.expect("Rate 1 Again")
    s.press("3")  # no Enter
    s.expect("3 Good · next 10m")
    s.expect(SECOND)
    s.expect("1 new · 1 learning · 0 review")  # the Good card comes back in 10 minutes (the card's bottom edge)
    s.press("\r")  # Enter reveals too
    s.expect("Model answer", 2)
    s.press("4")
    s.expect(FIRST, 2)  # the learning card again
    s.press("q")
    assert s.wait() == 0
    assert "Session summary" in s.text and "Good 1  Easy 1" in s.text
    assert reviews(tfprep_home) == [(FIRST, 3), (SECOND, 4)]
    assert cooked(s.modes())  # the terminal is back as it was


def test_enter_does_not_accept_the_suggested_rating(screen, tfprep_home):
    s = screen("--limit", "1", "--type")
    s.expect("› ")
    s.press("the recurrence is sequential so there is no parallelism over time\r\r")
    s.expect("suggested rating:")
    s.expect("Rate 1 Again")
    s.press("\r")  # the suggestion is shown, not taken
    s.expect("Enter does not accept the suggestion")
    assert not (tfprep_home / "progress.db").exists() or reviews(tfprep_home) == []
    s.press("4")
    s.expect("Session summary")
    assert s.wait() == 0
    assert reviews(tfprep_home) == [(FIRST, 4)]


def test_undo_before_the_reveal_shows_the_last_card_again(screen, tfprep_home):
    s = screen("--limit", "2")
    s.expect("Space reveal")
    s.press(" ")
    s.expect("Rate 1 Again")
    s.press("4")
    s.expect(SECOND)
    s.press("u")  # before revealing the second card: undo the first card's rating
    s.expect(f"Undid {FIRST}")
    s.expect(FIRST, 3)  # its header again (the first header, `Undid`, and the new header)
    assert reviews(tfprep_home) == []
    s.press(" ")
    s.expect("Rate 1 Again", 2)
    s.press("1")
    s.expect(SECOND, 2)
    s.press("q")
    assert s.wait() == 0
    assert reviews(tfprep_home) == [(FIRST, 1)]
    assert cooked(s.modes())


def test_suspend_bury_and_undo_them(screen, tfprep_home):
    s = screen("--limit", "3")
    s.expect("Space reveal")
    s.press("s")  # suspend the first card, unrated
    s.expect(f"Suspended {FIRST}")
    s.expect(SECOND)
    assert flags(tfprep_home, FIRST)["suspended"] == 1
    s.press(" ")
    s.expect("Rate 1 Again")
    s.press("b")  # bury the second, after its reveal
    s.expect(f"Buried {SECOND} until")
    assert flags(tfprep_home, SECOND)["buried_until"]
    s.press("u")  # undo the bury: the card is back and shown again
    s.expect(f"Undid {SECOND}")
    assert not (flags(tfprep_home, SECOND) or {}).get("buried_until")
    s.expect(SECOND, 3)
    s.press("q")
    assert s.wait() == 0
    assert reviews(tfprep_home) == []
    assert flags(tfprep_home, FIRST)["suspended"] == 1  # the suspension stays
    # a new session does not show the suspended card
    again = screen("--limit", "1")
    again.expect("Space reveal")
    assert FIRST not in again.text and SECOND in again.text
    again.press("q")
    assert again.wait() == 0


def test_e_shows_the_bank_file_and_line(screen, tfprep_home):
    bank = banks.load_all()["core25"]
    s = screen("--limit", "1")
    s.expect("Space reveal")
    s.press("e")
    where = f"{bank.path}:{bank.id_lines[FIRST]}"
    s.expect(where)
    line = bank.path.read_text().splitlines()[bank.id_lines[FIRST] - 1]
    assert line.strip() == f"- id: {FIRST}"
    s.press(" ")  # still the same card
    s.expect("Rate 1 Again")
    s.press("e")
    s.expect(where, 2)
    s.press("q")
    assert s.wait() == 0


def test_countdown_redraws_in_place(screen, tfprep_home):
    s = screen("--limit", "1", "--timed", "3")
    s.expect("Time's up")
    s.expect("Model answer")  # revealed when the time ran out
    s.expect("Rate 1 Again")
    s.press("4")
    assert s.wait() == 0
    raw = re.sub(r"\x1b\[[0-9;]*m", "", s.raw_text)  # styles out; the redraws (\r, erase line) kept
    part = raw[:raw.index("Time's up")]
    part = part[part.index("\r\x1b[2K"):]  # from the first drawing of the status line
    clocks = re.findall(r"\r\x1b\[2K *(\d)s Space reveal", part)
    assert clocks == ["3", "2", "1"], part
    assert "\n" not in part  # every second redraws the one line: no line per second
    assert reviews(tfprep_home) == [(FIRST, 4)]


def test_ctrl_c_and_sigterm_restore_the_terminal(screen, tfprep_home):
    s = screen("--limit", "2")
    s.expect("Space reveal")
    s.press(" ")
    s.expect("Rate 1 Again")
    s.press("2")
    s.expect(SECOND)
    s.press("\x03")  # Ctrl-C, typed
    assert s.wait() == 130
    assert "Every rating already given is saved" in s.text and "Traceback" not in s.text
    assert cooked(s.modes())
    assert reviews(tfprep_home) == [(FIRST, 2)]
    t = screen("--limit", "1", "--cram")
    t.expect("Space reveal")
    os.kill(t.pid, signal.SIGTERM)
    assert t.wait() == 143
    assert cooked(t.modes())


def test_typed_answer_with_line_editing_sits_above_the_model_answer(screen, tfprep_home):
    s = screen("--limit", "1", "--type")
    s.expect("› ")
    # two lines; the first typed with a typo fixed by readline (Ctrl-A, then Ctrl-K to cut)
    s.press("typo here\x01\x0b")
    s.press("An RNN is sequential: no parallelism over time.\r")
    s.press("Gradients vanish along the O(n) path length.\r")
    s.press("\r")  # an empty line submits
    s.expect("Model answer")
    s.expect("Rate 1 Again")
    text = s.text
    panel = text.index("Your answer")
    assert panel < text.index("Model answer")
    shown = text[panel:text.index("Model answer")]
    assert "no parallelism over time" in shown and "O(n) path length" in shown and "typo" not in shown
    assert "You covered 2/5 key points; suggested rating: 2 Hard" in text
    s.press("2")  # Hard: back in 6 minutes, so the session goes on
    s.expect("› ", 2)
    s.press("q\r")
    assert s.wait() == 0
    assert reviews(tfprep_home) == [(FIRST, 2)]
    assert cooked(s.modes())


def test_a_command_typed_alone_and_the_typed_countdown(screen, tfprep_home):
    s = screen("--limit", "2", "--type", "--timed", "2")
    s.expect("› ")
    s.press("s\r")  # alone on the first line: suspend
    s.expect(f"Suspended {FIRST}")
    s.expect(SECOND)
    s.expect("Time's up")  # nothing typed in 2 s: the answer is cut off and revealed
    s.expect("Model answer")
    s.press("4")
    s.expect("Session summary")
    assert s.wait() == 0
    assert reviews(tfprep_home) == [(SECOND, 4)]
    assert cooked(s.modes())


def test_pipe_empty_line_at_the_rating_prompt_is_asked_again(cli, tfprep_home):
    """From a pipe, Enter alone no longer accepts the suggested rating: the prompt comes back."""
    from tfprep.banks import load_all

    q = load_all()["core25"].questions[0]
    result = cli("quiz", "--bank", "core25", "--limit", "1", "--type", input=". ".join(q.key_points) + "\n\n\n3\n")
    assert result.exit_code == 0
    assert "suggested rating: 4 Easy" in result.output and "(suggested: 4 Easy)" in result.output
    assert result.output.count("Type 1, 2, 3 or 4") == 2  # two empty lines, asked twice more
    assert [r[0] for r in sqlite3.connect(tfprep_home / "progress.db").execute("SELECT rating FROM reviews")] == [3]
    assert result.output.index("Your answer") < result.output.index("Model answer")


def test_session_counts_and_set_aside_without_a_terminal(tfprep_home):
    """The core under the keys: counts as Anki shows them, suspend/bury leave the queue and undo
    brings the card back first with its flags as they were."""
    from datetime import datetime, timezone

    from tfprep import cards, store
    from tfprep.quiz import QuizSession
    from tfprep.scheduler import Rating, Scheduler

    t = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    conn = store.connect()
    qs = banks.load_all()["core25"].questions[:3]
    session = QuizSession(conn, Scheduler(fuzz=False), list(qs), lambda: t)
    assert session.counts() == {"new": 3, "learning": 0, "review": 0}
    session.rate(qs[0], Rating.GOOD)  # learning, back within the session
    assert session.counts() == {"new": 2, "learning": 1, "review": 0}
    assert session.set_aside(qs[1], "suspend") is None
    back = session.set_aside(qs[2], "bury")
    assert back > t and qs[1] not in session.queue and qs[2] not in session.queue
    assert cards.hidden(conn, t) == {qs[1].id, qs[2].id}
    assert session.undo() == qs[2] and session.queue[0] == qs[2]
    assert cards.hidden(conn, t) == {qs[1].id}
    assert session.undo() == qs[1] and cards.hidden(conn, t) == set()
    assert session.undo() == qs[0] and session.seen == 0  # then the rating
    assert session.counts() == {"new": 3, "learning": 0, "review": 0}


RICH_FIRST = "import sys, tfprep.console; sys.argv = ['tfprep'] + sys.argv[1:]; from tfprep.cli import main; main()"
NO_RICH = ("import atexit, os, sys; atexit.register(lambda: open(os.environ['TFPREP_HOME'] + '/rich', 'w').write("
           "str('rich.console' in sys.modules))); sys.argv = ['tfprep'] + sys.argv[1:]; from tfprep.cli import main; main()")


@pytest.mark.parametrize("colour", [True, False])
def test_the_terminal_quiz_is_rich_free_and_shows_what_rich_shows(tmp_path, colour):
    """On a terminal the quiz's cards, status lines and summary are tfprep.term's (rich is never
    imported), and a terminal shows the same characters in the same styles as when rich draws."""
    from test_term import cells

    shown = []
    for code, name in ((NO_RICH, "term"), (RICH_FIRST, "rich")):
        home = tmp_path / name
        home.mkdir()
        s = Screen(home, "--limit", "2", "--cram", columns=70, colour=colour, code=code)
        s.expect("Space reveal")
        s.press("e")
        s.expect("core25.yaml")
        s.press(" ")
        s.expect("Rate 1 Again")
        s.press("x")
        s.expect("rate with 1-4")
        s.press("3")
        s.expect(SECOND)
        s.expect("Space reveal", 3)
        s.press("q")
        assert s.wait() == 0
        assert "Session summary" in s.text
        shown.append(s.raw_text.replace(str(home), "HOME"))
        if name == "term":
            assert (home / "rich").read_text() == "False"
    assert ("\x1b[34m" in shown[0]) == colour  # blue panel edges, unless NO_COLOR
    assert cells(shown[0]) == cells(shown[1])
