"""Warm grading children: a server that imports the heavy libraries once, then forks one fresh
grading child per run (`run_suite(..., warm=True)`: the content check, which grades ~550 cases,
and `tfprep drill --watch`, which grades again on every save; importing torch is most of the
time a PyTorch drill takes to grade).

The server imports pytest and numpy (torch for the PyTorch tier; torch and triton, in the CPU
interpreter only, for the Triton tier) and nothing of the grader, the suite or a submission:
the child it forks is what `python -m pytest ...` would be after those imports. It gets its own
session, the run's working directory, environment and limits, stdin on /dev/null and stdout
and stderr on the run's output file, the working directory first on sys.path (as `-m` puts
it), and runs pytest.main with the same arguments. The server is a child subreaper: whatever a
child leaves behind is killed when it ends. A single `tfprep drill` still starts a plain
`python -m pytest` child; tests/test_grader.py checks that both give the same verdicts.

Protocol, one JSON object per line: the server says {"ready": true} once imported; for each
request {"args", "cwd", "env", "output", "memory_mb"} it answers {"pid"} when the child has
started and {"rc"} (negative: killed by that signal) when it has ended.
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys

from tfprep.grading.runner import _kill_group, _limits

IMPORTS = {"numpy": ("pytest", "numpy"), "torch": ("pytest", "numpy", "torch"),
           "triton": ("pytest", "numpy", "torch", "triton", "triton.language")}


def usable(tier: str, env: dict[str, str]) -> bool:
    """A warm server for this run: a known tier, and Triton only in its CPU interpreter (a CUDA
    context cannot cross a fork)."""
    return tier in IMPORTS and (tier != "triton" or env.get("TRITON_INTERPRET") == "1")


# --- the runner's side -----------------------------------------------------------------------

class Server:
    def __init__(self, tier: str, env: dict[str, str]):
        self.proc = subprocess.Popen([sys.executable, "-m", "tfprep.grading.warm", tier], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
        if self._read(None) != {"ready": True}:
            self.close()
            raise RuntimeError("the warm grading server did not start")

    def _read(self, timeout: float | None) -> dict | None:
        """The server's next line, or None when `timeout` passed first."""
        if timeout is not None and not select.select([self.proc.stdout], [], [], max(0.0, timeout))[0]:
            return None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the warm grading server ended")
        return json.loads(line)

    def run(self, args: list[str], *, cwd: str, env: dict[str, str], output: str, memory_mb: int,
            time_limit: float) -> tuple[int, bool]:
        """Run one grading child; (its exit code, whether it ran past `time_limit`). The child's
        process group is killed when it ends or times out, as for a plain child."""
        request = {"args": args, "cwd": cwd, "env": env, "output": output, "memory_mb": memory_mb}
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        self.proc.stdin.flush()
        pid = self._read(None)["pid"]
        try:
            done = self._read(time_limit)
            timed_out = done is None
            if timed_out:
                _kill_group(pid)
                done = self._read(None)
        except RuntimeError:  # the server was killed mid-run: the child died with it (PDEATHSIG)
            _kill_group(pid)
            self.close()
            return -signal.SIGKILL, False
        except BaseException:
            _kill_group(pid)
            self.close()
            raise
        _kill_group(pid)  # what is left of its process group
        return int(done["rc"]), timed_out

    def close(self) -> None:
        _kill_group(self.proc.pid)
        self.proc.wait()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


_servers: dict[tuple, Server] = {}


def server(tier: str, env: dict[str, str]) -> Server:
    """The warm server for `tier` in this process, started on first use (and again if it died)."""
    key = (tier, env.get("TRITON_INTERPRET"), env.get("OMP_NUM_THREADS"))
    current = _servers.get(key)
    if current is None or not current.alive:
        current = _servers[key] = Server(tier, env)
    return current


# --- the server ------------------------------------------------------------------------------

def _child(request: dict) -> None:
    """In the forked child: become the run's `python -m pytest` and never return."""
    rc = 1
    try:
        os.setsid()  # die_with_parent comes with _limits, below
        os.chdir(request["cwd"])
        out = os.open(request["output"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        os.close(null)
        os.environ.clear()
        os.environ.update(request["env"])
        sys.dont_write_bytecode = os.environ.get("PYTHONDONTWRITEBYTECODE", "") != ""
        import tempfile

        tempfile.tempdir = None  # TMPDIR is the run's, not the server's
        _limits(int(request["memory_mb"]))()
        sys.path[0] = os.getcwd()
        sys.argv = ["pytest", *request["args"]]
        import pytest

        rc = int(pytest.main(request["args"]))
    except BaseException:  # noqa: BLE001 - whatever happens, the child ends here with a status
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(rc)


def serve(tier: str) -> None:
    import importlib

    from tfprep.grading.sandbox import Reaper, die_with_parent

    die_with_parent()  # the runner's process gone, the server goes too (and so its children)
    for name in IMPORTS[tier]:
        importlib.import_module(name)
    answer = sys.stdout.fileno()

    def say(obj: dict) -> None:
        os.write(answer, (json.dumps(obj) + "\n").encode())

    say({"ready": True})
    with Reaper() as reaper:
        for line in sys.stdin.buffer:
            request = json.loads(line)
            pid = os.fork()
            if pid == 0:
                _child(request)
            say({"pid": pid})
            _, status = os.waitpid(pid, 0)
            reaper.kill_all()  # what the child started and left behind
            say({"rc": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    serve(sys.argv[1])
