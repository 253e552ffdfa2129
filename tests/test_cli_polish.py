"""The drill list at any width, shell completion, watch mode on a real terminal, --json errors."""
import fcntl
import json
import os
import pty
import re
import select
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tfprep import banks, complete, drills
from conftest import ROOT, run_tfprep

CORRECT = ROOT / "tests" / "drill_cases" / "attention" / "correct_einsum.py"
NO_SCALE = ROOT / "drills" / "attention" / "bugs" / "no_scale.py"


class Terminal:
    """A command on a real pseudo-terminal of a given width: read its screen, type keys."""

    def __init__(self, args, env, columns=100):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the command, with the pty as its terminal
            os.environ.clear()
            os.environ.update({**env, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm"})
            os.execv(sys.executable, [sys.executable, "-m", "tfprep", *args])
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
        self.screen = b""
        self.status = None

    def read(self, timeout=0.2) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the child is gone and its output read
            return False
        self.screen += data
        return bool(data)

    def expect(self, text: str, count: int = 1, timeout: float = 90) -> None:
        """Wait until `text` has appeared `count` times on the screen (styles aside)."""
        end = time.monotonic() + timeout
        while self.plain().count(text) < count:
            if time.monotonic() > end or not self.read():
                raise AssertionError(f"{text!r} x{count} never appeared; screen:\n{self.text()[-3000:]}")

    def press(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def wait(self, timeout: float = 30) -> int:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                while self.read(0.05):
                    pass
                self.status = os.waitstatus_to_exitcode(status)
                return self.status
            self.read(0.1)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise AssertionError(f"still running after {timeout} s; screen:\n{self.text()[-3000:]}")

    def modes(self):
        """The terminal's local modes (ECHO, ICANON...) as the command left them."""
        return termios.tcgetattr(self.fd)[3]

    def text(self) -> str:
        return self.screen.decode(errors="replace")

    def plain(self) -> str:
        """What a terminal would have shown, as text: a tiny emulator of the sequences rich uses
        (carriage return, newline, erase line, cursor up, home, styles ignored). Each screen
        clear is kept as a form feed, with the screen before it, so the whole history is there."""
        done: list[str] = []
        lines, row, col = [""], 0, 0
        for token in re.split(r"(\x1b\[[0-9;?]*[A-Za-z]|\r|\n)", self.text()):
            if not token:
                continue
            if token == "\r":
                col = 0
            elif token == "\n":
                row, col = row + 1, 0
                lines.extend([""] * (row + 1 - len(lines)))
            elif token.startswith("\x1b["):
                arg, cmd = token[2:-1], token[-1]
                if token == "\x1b[2J":
                    done.append("\n".join(lines) + "\n\f")
                    lines, row, col = [""], 0, 0
                elif cmd == "H":
                    row, col = 0, 0
                elif cmd == "K" and arg == "2":
                    lines[row] = ""
                elif cmd == "A":
                    row = max(0, row - int(arg or 1))
            else:
                line = lines[row].ljust(col)
                lines[row] = line[:col] + token + line[col + len(token):]
                col += len(token)
        return "".join(done) + "\n".join(lines)

    def close(self) -> None:
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
        os.close(self.fd)


# --- the drill list ---------------------------------------------------------------------------

NAMES = drills.available()


def test_drill_list_at_80_columns_on_a_terminal_shows_every_name_whole(tfprep_home):
    longest = max(NAMES, key=len)
    assert len(longest) > 25  # the table has something to fit
    term = Terminal(["drill"], {**os.environ, "TFPREP_HOME": str(tfprep_home), "NO_COLOR": "1"}, columns=80)
    try:
        assert term.wait() == 0
        lines = term.plain().splitlines()
    finally:
        term.close()
    assert max(len(ln) for ln in lines) <= 80, "the table is wider than the terminal"
    cells = {cell.strip() for ln in lines for cell in ln.split("│")}
    assert set(NAMES) <= cells, sorted(set(NAMES) - cells)  # each name whole, in its own cell
    assert "…" not in term.plain()


def test_drill_list_keeps_the_topic_where_there_is_room(tfprep_home):
    term = Terminal(["drill"], {**os.environ, "TFPREP_HOME": str(tfprep_home), "NO_COLOR": "1"}, columns=160)
    try:
        assert term.wait() == 0
    finally:
        term.close()
    assert "topic" in term.text() and "Scaled dot-product attention" in term.text()
    narrow = Terminal(["drill"], {**os.environ, "TFPREP_HOME": str(tfprep_home), "NO_COLOR": "1"}, columns=80)
    try:
        assert narrow.wait() == 0
    finally:
        narrow.close()
    assert "topic" not in narrow.text()  # dropped first: the names matter more


def test_drill_list_piped_is_one_plain_line_per_drill(tfprep_home):
    env = {"COLUMNS": "80"}
    assert run_tfprep("drill", "attention", env=env).returncode == 0  # starts it
    graded = run_tfprep("drill", "attention", "--file", str(CORRECT), env=env)
    assert graded.returncode == 0
    res = run_tfprep("drill", env=env)
    assert res.returncode == 0
    lines = res.stdout.splitlines()
    assert [ln.split("\t")[0] for ln in lines] == NAMES
    rows = {ln.split("\t")[0]: ln.split("\t") for ln in lines}
    assert all(len(r) == 4 for r in rows.values())
    name, tier, status, due = rows["attention"]
    assert (tier, status) == ("numpy", "passed") and len(due) == 10 and due[4] == "-"
    assert rows["softmax-triton"][1:] == ["triton", "new", "-"]


def test_drill_help_describes_the_plain_form(cli):
    assert "NAME<TAB>tier<TAB>status<TAB>due" in " ".join(cli("drill", "--help").output.split())


# --- shell completion ---------------------------------------------------------------------------

def values(pairs):
    return [v for v, _ in pairs]


def test_completion_callbacks():
    assert values(complete.drill_names("fla")) == [n for n in NAMES if n.startswith("fla")]
    assert "flash-attention-triton-backward" in values(complete.drill_names("fla"))
    assert "next" in values(complete.drill_names(""))
    assert values(complete.drill_names("zzz")) == []
    all_banks = banks.load_all()
    assert set(values(complete.bank_names(""))) == set(all_banks) | {"all"}
    assert values(complete.bank_names("gr")) == ["grill60"]
    ids = [q.id for b in all_banks.values() for q in b.questions]
    assert values(complete.question_ids("core-q")) == [i for i in ids if i.startswith("core-q")]
    assert "core-qkv-roles" in values(complete.question_ids("core-q"))
    every_tag = {t for b in all_banks.values() for q in b.questions for t in q.tags}
    assert set(values(complete.tags(None, ""))) == every_tag

    class Ctx:  # what Click hands the callback: the values parsed so far
        params = {"bank": "core25"}

    core_tags = {t for q in all_banks["core25"].questions for t in q.tags}
    assert set(values(complete.tags(Ctx(), ""))) == core_tags != every_tag


def complete_bash(words: str, env=None):
    """Ask the real `tfprep` entry point for bash completions, the way bash's hook does."""
    exe = Path(sys.executable).with_name("tfprep")
    if not exe.exists():
        exe = shutil.which("tfprep")
    if exe is None:
        pytest.skip("the tfprep console script is not installed")
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    full = {**os.environ, **(env or {}), "_TFPREP_COMPLETE": "complete_bash", "COMP_WORDS": words,
            "COMP_CWORD": str(cword)}
    probe = ("import runpy, sys, atexit\n"
             "atexit.register(lambda: sys.__stderr__.write('HEAVY=' + ','.join(sorted({m.split('.')[0] for m in "
             "sys.modules} & {'numpy', 'torch', 'triton'})) + '\\n'))\n"
             f"sys.argv = [{str(exe)!r}]\n"
             f"runpy.run_path({str(exe)!r}, run_name='__main__')\n")
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=full, timeout=60)
    heavy = [ln for ln in res.stderr.splitlines() if ln.startswith("HEAVY=")]
    assert res.returncode == 0 and heavy == ["HEAVY="], res.stderr[-2000:]
    return res.stdout.split()


def test_completion_through_the_shell_protocol():
    assert complete_bash("tfprep drill fla") == [n for n in NAMES if n.startswith("fla")]
    assert complete_bash("tfprep quiz --bank gr") == ["grill60"]
    tags = complete_bash("tfprep quiz --bank core25 --tag ")
    assert tags and set(tags) == {t for q in banks.load_all()["core25"].questions for t in q.tags}
    assert complete_bash("tfprep bank show core-qkv-r") == ["core-qkv-roles"]
    assert complete_bash("tfprep card bury core-qkv-r") == ["core-qkv-roles"]


def test_completion_offers_the_learners_own_bank(tfprep_home):
    mine = tfprep_home / "banks"
    mine.mkdir(parents=True)
    (mine / "mine.yaml").write_text(
        "bank: mine\ntitle: Mine\nquestions:\n  - id: mine-one\n    question: What is one?\n    answer: One.\n"
        "    key_points: [one, uno, eins]\n    follow_ups: []\n    tags: [numbers]\n    difficulty: 1\n    drills: []\n"
        '    sources: [{title: "Attention Is All You Need", authors: "Vaswani et al.", year: 2017, arxiv: "1706.03762", where: "Section 3.2"}]\n')
    assert run_tfprep("bank", "check", env={"TFPREP_HOME": str(tfprep_home)}).returncode == 0
    assert complete_bash("tfprep quiz --bank mi", env={"TFPREP_HOME": str(tfprep_home)}) == ["mine"]
    assert complete_bash("tfprep bank show mine-", env={"TFPREP_HOME": str(tfprep_home)}) == ["mine-one"]


# --- watch mode on a real terminal ------------------------------------------------------------------

def test_watch_on_a_terminal(tfprep_home):
    env = {**os.environ, "TFPREP_HOME": str(tfprep_home), "NO_COLOR": "1"}
    assert run_tfprep("drill", "attention").returncode == 0  # writes the starter
    target = tfprep_home / "workspace" / "attention.py"
    term = Terminal(["drill", "attention", "--watch"], env, columns=200)
    try:
        term.expect("grading again on every save. h: next hint · q: quit")  # the starter graded
        assert "NOT IMPLEMENTED" in term.plain()
        assert term.screen.count(b"\x1b[2J") == 1
        before = term.modes()
        assert not before & termios.ICANON and not before & termios.ECHO  # cbreak: keys without Enter
        target.write_text(NO_SCALE.read_text())
        term.expect("FAILED attention:", 2)
        term.expect("grading again on every save", 2)
        second = [ln for ln in term.plain().split("\f")[-1].splitlines() if ln.strip()]
        assert second[0].startswith("FAILED attention:") and "1/sqrt(d_k)" in second[0]  # the bug, on the top line
        target.write_text(CORRECT.read_text())
        term.expect("tfprep drill next")
        assert term.screen.count(b"\x1b[2J") == 3  # cleared before each of the three gradings
        last = term.plain().rsplit("\f", 1)[1]
        assert "PASSED" in last and "FAILED" not in last
        top = [ln for ln in last.splitlines() if ln.strip()]
        assert top[0].startswith("PASSED attention:"), top[:3]  # the verdict first, then the report
        assert last.index("PASSED attention:") < last.index(f"attention: {target}") < last.index("tfprep drill next")
        term.expect("grading again on every save", 3)
        term.press("h")  # no Enter
        term.expect("Hint 1/")
        term.press("q")
        assert term.wait() == 0
        assert "Stopped watching" in term.text()
        after = term.modes()
        assert after & termios.ICANON and after & termios.ECHO  # the terminal is back as it was
    finally:
        term.close()
    conn = sqlite3.connect(tfprep_home / "progress.db")
    assert conn.execute("SELECT COUNT(*) FROM drill_events WHERE drill = 'attention' AND kind = 'hint'").fetchone()[0] == 1
    assert [r[0] for r in conn.execute("SELECT passed FROM drill_attempts ORDER BY id")] == [0, 0, 1]


def test_watch_restores_the_terminal_when_stopped(tfprep_home):
    """Ctrl-C and SIGTERM end the watch with the terminal's modes restored."""
    env = {**os.environ, "TFPREP_HOME": str(tfprep_home), "NO_COLOR": "1"}
    assert run_tfprep("drill", "attention").returncode == 0
    for stop in ("\x03", signal.SIGTERM):
        term = Terminal(["drill", "attention", "--watch"], env)
        try:
            term.expect("grading again on every save")
            if isinstance(stop, str):
                term.press(stop)  # Ctrl-C, typed on the terminal
            else:
                os.kill(term.pid, stop)
            code = term.wait()
            modes = term.modes()
        finally:
            term.close()
        assert code in (0, 143), term.text()[-1000:]
        assert modes & termios.ICANON and modes & termios.ECHO


def test_watch_from_a_pipe_reads_no_keys(tfprep_home):
    assert run_tfprep("drill", "attention").returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "tfprep", "drill", "attention", "--watch"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TFPREP_HOME": str(tfprep_home)})
    proc.stdin.write("hq\n")  # not keys: a pipe is not read
    proc.stdin.flush()
    deadline = time.monotonic() + 90
    conn = sqlite3.connect(tfprep_home / "progress.db")
    while not conn.execute("SELECT COUNT(*) FROM drill_attempts").fetchone()[0]:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.2)
    time.sleep(1.5)
    assert proc.poll() is None  # q from a pipe did not stop it
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Stopped watching" in out
    assert "\x1b[2J" not in out and "Ctrl-C stops" in out and out.index("FAILED attention:") < out.index("✗")
    assert conn.execute("SELECT COUNT(*) FROM drill_events WHERE kind = 'hint'").fetchone()[0] == 0


# --- --json errors ---------------------------------------------------------------------------------

def _damaged_store(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "progress.db").write_bytes(b"this is not a SQLite database at all" * 200)


@pytest.mark.parametrize("args, status, says", [
    (["drill", "no-such-drill", "--json"], 2, "unknown"),
    (["stats", "--json"], 2, "damaged"),
    (["plan", "--interview", "2026-02-30", "--json"], 2, "--interview must be a date"),
    (["bank", "show", "no-such-question", "--json"], 2, "no question"),
    (["interview", "--minutes", "5", "--json"], 2, "--minutes"),
    (["drill", "attention", "--file", "/no/such/file.py", "--json"], 2, "no such file"),
    (["--json"], 2, "damaged"),
])
def test_json_errors_are_json(tfprep_home, args, status, says):
    if args[0] in ("stats",) or args == ["--json"]:
        _damaged_store(tfprep_home)
    res = run_tfprep(*args)
    assert res.returncode == status, res.stderr
    data = json.loads(res.stdout)  # stdout is the JSON and nothing else
    assert set(data) == {"error", "hint", "status"} and data["status"] == status
    assert says in data["error"]
    assert " ".join(data["error"].split()) in " ".join(res.stderr.split())  # still there for a person
    if args[0] == "stats":
        assert "doctor --repair" in data["hint"]


@pytest.mark.parametrize("args, says", [
    (["drill", "gpt", "--play", "--seconds", "soon", "--json"], "'soon' is not a valid float"),
    (["drill", "attention", "--no-such-option", "--json"], "No such option: --no-such-option"),
    (["stats", "--json", "--plot"], "Option '--plot' requires an argument"),
    (["interview", "--minutes", "abc", "--json"], "'abc' is not a valid int"),
    (["plan", "--target", "high", "--json"], "'high' is not a valid float"),
])
def test_usage_errors_with_json_are_json(tfprep_home, args, says):
    """Click's own parsing errors, raised before any tfprep code runs: JSON on stdout as well."""
    res = run_tfprep(*args)
    assert res.returncode == 2, res.stderr
    data = json.loads(res.stdout)
    assert set(data) == {"error", "hint", "status"} and data["status"] == 2
    assert says in data["error"] and "--help" in data["hint"]
    assert says in res.stderr  # the person still sees Click's message (and its usage text)


def test_usage_errors_without_json_stay_text(tfprep_home):
    res = run_tfprep("quiz", "--new", "lots")
    assert res.returncode == 2 and res.stdout == "" and "'lots' is not a valid int" in res.stderr


def test_missing_capability_as_json(cli, monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "triton" else real(name, *a))
    f = tmp_path / "k.py"
    f.write_text("def softmax(x):\n    return x\n")
    res = cli("drill", "softmax-triton", "--file", str(f), "--json")
    assert res.exit_code == 3
    data = json.loads(res.stdout)
    assert data["status"] == 3 and "triton not installed" in data["error"] and "pip install" in data["hint"]


def test_without_json_errors_stay_text(tfprep_home):
    res = run_tfprep("drill", "no-such-drill")
    assert res.returncode == 2 and res.stdout == "" and "error: drill 'no-such-drill' is unknown" in res.stderr


# --- a drill that cannot be graded here says so on the first run ------------------------------------

def _without(module, monkeypatch):
    """Make `module` look uninstalled to tfprep's capability checks (as tests/test_cli.py does)."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == module else real(name, *a))


@pytest.mark.parametrize("name, module, install", [
    ("softmax-triton", "triton", "pip install triton"),
    ("gpt", "torch", "pip install 'tfprep[torch]'"),
])
def test_first_run_warns_when_the_drill_cannot_be_graded_here(cli, monkeypatch, tfprep_home, name, module, install):
    if drills.gpu_present() and module == "triton":
        install = "pip install 'tfprep[gpu]'"
    _without(module, monkeypatch)
    first = cli("drill", name)
    assert first.exit_code == 0
    target = drills.workspace_file(drills.load(name))
    assert target.is_file()  # the starter is written all the same
    assert "warning:" in first.stderr and f"{module} not installed" in first.stderr
    assert install in first.stderr and "exit status 3" in first.stderr
    assert "Your file:" in first.stdout
    graded = cli("drill", name)  # and grading says it again, with exit status 3
    assert graded.exit_code == 3 and install in graded.output


def test_first_run_of_a_drill_that_can_run_has_no_warning(cli):
    first = cli("drill", "attention")
    assert first.exit_code == 0 and "warning" not in first.stderr


def test_first_run_as_json(cli, monkeypatch):
    _without("triton", monkeypatch)
    data = json.loads(cli("drill", "softmax-triton", "--json").stdout)
    assert data["started"] is True and data["file"].endswith("softmax_triton.py")
    assert "triton not installed" in data["missing"] and data["install"].startswith("pip install")


def test_install_commands_name_the_extras():
    assert drills.install_command(["torch"], gpu=False) == "pip install 'tfprep[torch]'"
    assert drills.install_command(["triton"], gpu=True) == "pip install 'tfprep[gpu]'"
    cpu = drills.install_command(["triton"], gpu=False)
    assert cpu.startswith("pip install triton ") and "tfprep[gpu]" in cpu
    both = drills.install_command(["torch", "triton"], gpu=False)
    assert both.startswith("pip install 'tfprep[torch]' triton")
    assert drills.install_command([], gpu=False) is None


def test_no_message_points_at_one_machines_wheels():
    """`torch==2.13.0` is our CI's CPU wheel: the README's test command may name it, messages may not."""
    offenders = []
    for folder in ("tfprep", "drills", "question_bank", "reference_impls"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".yaml", ".md") and "torch==" in path.read_text(encoding="utf-8", errors="replace"):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.mark.parametrize("args, key", [
    (["drill", "attention", "--hint", "--json"], "hint"),
    (["drill", "attention", "--reset", "--yes", "--json"], "reset"),
    (["drill", "attention", "--solution", "--yes", "--json"], "solution"),
    (["drill", "next", "--json"], "why"),
])
def test_every_drill_action_with_json_prints_json(cli, args, key):
    res = cli(*args)
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert key in data and data["drill"] in NAMES


@pytest.mark.parametrize("args", [["drill", "attention", "--solution", "--json"],
                                  ["drill", "attention", "--watch", "--json"]])
def test_json_that_cannot_be_json_is_a_json_error(cli, args):
    assert cli("drill", "attention").exit_code == 0  # the workspace file exists
    res = cli(*args)
    data = json.loads(res.stdout)
    assert res.exit_code == 2 and data["status"] == 2 and "tfprep drill attention" in data["hint"]
