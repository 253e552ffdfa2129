"""Reading the learner's keys on a terminal: single keys without Enter, and typed answers with
line editing.

Only for a terminal (stdin and stdout both ttys); from a pipe the quiz reads lines as it always
has. `Terminal` puts the terminal in cbreak mode (keys arrive one by one, not echoed; Ctrl-C
still interrupts) and restores the saved mode on every way out: a normal return, an exception,
Ctrl-C, SIGTERM. Typed answers go through `input()` with the standard library's readline
(emacs-style editing, history with the arrow keys) in the terminal's own cooked mode.

No rendering here beyond the raw bytes a prompt or a countdown needs; tfprep.console draws.
"""
from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import time

ENTER, SPACE, ESC, EOF = "enter", "space", "esc", "eof"


def interactive() -> bool:
    """Whether the quiz talks to a person at a terminal (single keys) rather than to a pipe."""
    try:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            return False
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False
    try:
        import termios  # noqa: F401  (POSIX only: elsewhere the quiz reads lines)
    except ImportError:
        return False
    return True


class TimeUp(Exception):
    """The countdown of a typed answer ran out (raised inside input() by SIGALRM)."""


class Terminal:
    """Cbreak mode for the duration of a `with` block; `cooked()` lends the normal mode back
    (readline does its own editing in it)."""

    def __init__(self, fd: int | None = None):
        self.fd = sys.stdin.fileno() if fd is None else fd
        self._saved = None
        self._old_term = None

    def __enter__(self) -> "Terminal":
        import termios

        self._saved = termios.tcgetattr(self.fd)
        self._cbreak()
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:  # `kill`: restore, then exit as killed
            self._old_term = signal.signal(signal.SIGTERM, self._terminated)
        return self

    def __exit__(self, *exc) -> None:
        self.restore()
        if self._old_term is not None:
            signal.signal(signal.SIGTERM, self._old_term)
            self._old_term = None

    def _terminated(self, signum, frame) -> None:
        raise SystemExit(128 + signum)

    def _cbreak(self) -> None:
        import termios

        mode = termios.tcgetattr(self.fd)
        mode[3] &= ~(termios.ECHO | termios.ICANON)  # lflag: no echo, no line buffering; ISIG stays
        mode[6][termios.VMIN], mode[6][termios.VTIME] = 1, 0
        termios.tcsetattr(self.fd, termios.TCSANOW, mode)

    def restore(self) -> None:
        import termios

        if self._saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)

    @contextlib.contextmanager
    def cooked(self):
        """The terminal's saved mode for the block (line editing by readline), cbreak after."""
        self.restore()
        try:
            yield
        finally:
            self._cbreak()

    def key(self, timeout: float | None = None) -> str | None:
        """The next key: a character ("u", "3"), or ENTER, SPACE, ESC (arrow keys and other
        escape sequences), EOF (the terminal went away, or Ctrl-D); None when `timeout`
        seconds pass first."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return None
        data = os.read(self.fd, 1)
        if not data or data == b"\x04":
            return EOF
        if data == b"\x1b":
            while select.select([self.fd], [], [], 0.03)[0]:  # the rest of an escape sequence
                if not os.read(self.fd, 16):
                    break
            return ESC
        if data in (b"\r", b"\n"):
            return ENTER
        if data == b" ":
            return SPACE
        need = 1 if data[0] >= 0xC0 else 0  # UTF-8: a multi-byte character's continuation bytes
        need += (data[0] >= 0xE0) + (data[0] >= 0xF0)
        if need:
            data += os.read(self.fd, need)
        return data.decode("utf-8", errors="replace").lower()

    def lines(self, prompt, more, seconds: float | None = None, tick=None,
              commands: frozenset = frozenset()) -> tuple[list[str], bool]:
        """Lines typed with readline until an empty line (or Ctrl-D), or at once when the first
        line is one of `commands`; with `seconds`, until the time runs out too, keeping what was
        typed so far. `prompt`/`more`: text, or a function of the deadline giving it. `tick(left, buffer)` is called about
        once a second while a line is being edited (to redraw a countdown). Returns the lines
        and whether the time ran out."""
        try:
            import readline  # line editing and history for input()
        except ImportError:  # a Python built without it: plain input(), no editing
            readline = None

        def buffer() -> str:
            return readline.get_line_buffer() if readline is not None else ""

        deadline = time.monotonic() + seconds if seconds else None
        lines: list[str] = []
        timed_out = False
        previous = None
        if deadline is not None:
            def on_alarm(signum, frame):
                left = deadline - time.monotonic()
                if left <= 0.05:
                    raise TimeUp()
                if tick is not None:
                    tick(left, buffer())

            previous = signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, min(1.0, seconds) or 1.0, 1.0)
        try:
            with self.cooked():
                while True:
                    try:
                        line = input(prompt(deadline) if callable(prompt) else prompt) if not lines else \
                            input(more(deadline) if callable(more) else more)
                    except EOFError:
                        sys.stdout.write("\n")
                        break
                    except TimeUp:
                        partial = buffer()
                        if partial.strip():
                            lines.append(partial)
                        sys.stdout.write("\n")
                        timed_out = True
                        break
                    if not line.strip():
                        break
                    lines.append(line)
                    if len(lines) == 1 and line.strip().lower() in commands:
                        break
                    if deadline is not None and deadline - time.monotonic() <= 0.05:
                        timed_out = True
                        break
        finally:
            if deadline is not None:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
        sys.stdout.flush()
        return lines, timed_out


def write(text: str) -> None:
    """Raw bytes to the terminal, now (a redraw that must not wait for a newline)."""
    sys.stdout.write(text)
    sys.stdout.flush()


class KeyReader:
    """Keys for `tfprep drill NAME --watch`: `live` when stdin is a terminal (cbreak mode for
    the block, restored however it ends, SIGTERM included); `wait(seconds)` waits up to that
    long and yields the characters typed meanwhile (nothing from a pipe, which is never read)."""

    def __init__(self):
        self.live = False
        self._terminal: Terminal | None = None

    def __enter__(self) -> "KeyReader":
        try:
            self.live = sys.stdin.isatty()
        except (AttributeError, ValueError):
            self.live = False
        if self.live:
            self._terminal = Terminal()
            self._terminal.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._terminal is not None:
            self._terminal.__exit__(*exc)
            self._terminal = None

    def wait(self, seconds: float):
        if self._terminal is None:
            time.sleep(seconds)
            return
        fd = self._terminal.fd
        if not select.select([fd], [], [], seconds)[0]:
            return
        data = os.read(fd, 1024)
        if not data:
            yield "\x04"  # the terminal went away: like Ctrl-D
            return
        yield from data.decode("utf-8", errors="replace")
