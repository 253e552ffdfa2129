"""Run a hidden suite against a learner's file in a child process and decide the verdict.

The child is `python -m pytest` with the `tfprep.grading.plugin` plugin, in its own session,
with a memory cap, a file-size cap on its output, stdin closed and stdout going to a file (so a
grandchild holding the stream open cannot hang us). It runs in a private directory that is its
working directory, HOME and TMPDIR, without TFPREP_HOME in its environment, and (Landlock,
applied by the plugin) may write nowhere else. We are its child subreaper while it runs, so
everything it starts dies with it, even what called setsid(). The verdict comes only from the
plugin's records: a pass needs every collected check to report a pass and the session to finish.
With `warm=True` the child is forked instead by a server that keeps the libraries imported
(tfprep.grading.warm), under the same rules (its own session, the private directory, the caps,
the environment); the server is then its subreaper.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tfprep.grading import sandbox
from tfprep.grading.sandbox import Reaper

OUTPUT_FILE_CAP = 64 * 1024 * 1024  # bytes the child may write to any file (stdout included)
PRINT_CAP = 1_000_000  # bytes of printed output per check before it counts as a failure


@dataclass
class Check:
    id: str
    title: str
    passed: bool
    message: str | None = None
    bug: str | None = None
    duration: float = 0.0


@dataclass
class Report:
    drill: str
    file: str
    passed: bool
    checks: list[Check] = field(default_factory=list)
    problem: str | None = None  # what went wrong with the run as a whole, in plain words
    duration_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    sandbox: str | None = None  # why the write fence (Landlock) was not in force, None when it was

    @property
    def checks_passed(self) -> int:
        return sum(c.passed for c in self.checks)

    @property
    def bugs(self) -> list[str]:
        return sorted({c.bug for c in self.checks if c.bug})

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(checks_passed=self.checks_passed, checks_total=len(self.checks), bugs=self.bugs)
        return d


def _limits(memory_mb: int):
    """What the child runs before pytest (between fork and exec: no imports there, which could
    deadlock on a lock another thread held at the fork)."""
    import resource

    if sys.platform.startswith("linux"):
        sandbox._libc()  # loaded here, in the parent

    def apply() -> None:
        sandbox.die_with_parent()
        if memory_mb > 0:  # 0: no address-space cap (CUDA reserves far more address space than it uses)
            limit = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_FILE_CAP, OUTPUT_FILE_CAP))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _read_records(path: Path) -> list[dict]:
    records = []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return records
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def _tail(path: Path, n: int = 4000) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - n))
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _signal_name(rc: int) -> str:
    try:
        return signal.Signals(-rc).name
    except ValueError:
        return f"signal {-rc}"


# Variables of the learner's own environment a submission must not see or inherit.
_PRIVATE_ENV = ("TFPREP_HOME", "TFPREP_WORKSPACE", "TFPREP_TRUSTED", "TFPREP_SANDBOX", "TFPREP_TIER",
                "PYTEST_ADDOPTS")


def _run_child(cmd: list[str], box: Path, env: dict[str, str], output: Path, memory_mb: int,
               time_limit: float) -> tuple[int, bool]:
    """Run the grading child `cmd`; (its exit code, whether it ran past `time_limit`)."""
    with open(output, "wb") as out, Reaper() as reaper:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                cwd=box, env=env, start_new_session=True, preexec_fn=_limits(memory_mb))
        timed_out = False
        try:
            rc = proc.wait(timeout=time_limit)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc.pid)
            rc = proc.wait()
        except BaseException:
            _kill_group(proc.pid)
            proc.wait()
            raise
        finally:
            _kill_group(proc.pid)  # what is left of its process group
            reaper.kill_all()  # and every descendant that left the group
    return rc, timed_out


def run_suite(suite: Path, submission: Path, *, drill: str, time_limit: float, memory_mb: int,
              markers: str | None = None, extra_env: dict[str, str] | None = None,
              crash_hint: str | None = None, tier: str = "", trusted: bool = False, warm: bool = False) -> Report:
    """Grade `submission` with the pytest file `suite`; never raises for anything the submission does.

    `tier` turns on that tier's rules (NumPy drills refuse other array libraries); `trusted`
    (our own reference implementations only) lets the submission import tfprep's packages;
    `warm` forks the child from a server that has imported the tier's libraries already
    (tfprep.grading.warm: for many gradings in a row, as the content check does)."""
    start = time.monotonic()
    report = Report(drill=drill, file=str(submission), passed=False)
    with tempfile.TemporaryDirectory(prefix="tfprep-grade-") as tmp_name:
        tmp = Path(tmp_name)
        box = tmp / "sandbox"  # the only place the child may write
        for sub in ("home", "tmp"):
            (box / sub).mkdir(parents=True)
        results, output, ini = tmp / "results.jsonl", tmp / "output.txt", tmp / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        cmd = [sys.executable, "-m", "pytest", str(suite), "-p", "tfprep.grading.plugin",
               "-p", "no:cacheprovider", "-p", "no:stepwise", "-q", "--no-header", "-rN", "--tb=no",
               "--import-mode=importlib", "-c", str(ini), "--rootdir", str(box),
               "--confcutdir", str(suite.parent), "-W", "ignore::DeprecationWarning"]
        if markers:
            cmd += ["-m", markers]
        env = {k: v for k, v in os.environ.items() if k not in _PRIVATE_ENV}
        env.update({"TFPREP_SUBMISSION": str(submission.resolve()), "TFPREP_RESULTS": str(results),
                    "TFPREP_MEMORY_MB": str(memory_mb), "TFPREP_OUTPUT_CAP": str(PRINT_CAP),
                    "TFPREP_FILE_CAP": str(OUTPUT_FILE_CAP), "TFPREP_SANDBOX": str(box), "TFPREP_TIER": tier,
                    "HOME": str(box / "home"), "TMPDIR": str(box / "tmp"), "TMP": str(box / "tmp"),
                    "TEMP": str(box / "tmp"), "PYTHONDONTWRITEBYTECODE": "1",
                    # only our plugin: third-party pytest plugins could alter outcomes, and cost start-up time
                    "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **(extra_env or {})})
        if trusted:
            env["TFPREP_TRUSTED"] = "1"
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")  # small inputs: threads only cost start-up time
        from tfprep.grading import warm as _warm

        if warm and _warm.usable(tier, env):
            output.touch()
            rc, timed_out = _warm.server(tier, env).run(cmd[3:], cwd=str(box), env=env, output=str(output),
                                                        memory_mb=memory_mb, time_limit=time_limit)
        else:
            rc, timed_out = _run_child(cmd, box, env, output, memory_mb, time_limit)
        records = _read_records(results)
        tail = _tail(output)
    report.duration_s = time.monotonic() - start
    _decide(report, records, rc, timed_out, tail, time_limit, memory_mb, crash_hint)
    return report


def _too_much(memory_mb: int) -> str:
    return f"more than {memory_mb / 1024:.1f} GB of memory" if memory_mb > 0 else "more memory than the machine has"


def _decide(report: Report, records: list[dict], rc: int, timed_out: bool, tail: str,
            time_limit: float, memory_mb: int, crash_hint: str | None = None) -> None:
    collected = next((r for r in records if r.get("event") == "collected"), None)
    if collected is None:
        report.problem = ("The grader could not start the hidden suite. Output:\n" + tail[-1500:]).strip()
        return
    titles = collected.get("titles", {})
    results = {r["id"]: r for r in records if r.get("event") == "result"}
    started = [r["id"] for r in records if r.get("event") == "start"]
    running = started[-1] if started and started[-1] not in results else None
    tamper = next((r["message"] for r in records if r.get("event") == "tamper"), None)
    report.notes += list(dict.fromkeys(r["text"] for r in records if r.get("event") == "note" and r.get("text")))
    finished = any(r.get("event") == "finish" for r in records)
    fence = next((r for r in records if r.get("event") == "sandbox"), None)
    report.sandbox = "no write fence was requested" if fence is None else fence.get("why")

    for node in collected["ids"]:
        r = results.get(node)
        title = titles.get(node, node)
        if r is None:
            message = "not run: the grading stopped before this check" if node != running else None
            report.checks.append(Check(node, title, False, message))
        else:
            ok = r.get("outcome") == "passed"
            msg = r.get("message")
            if r.get("outcome") == "skipped":
                msg = "this check was skipped; every check must run and pass"
            report.checks.append(Check(node, title, ok, None if ok else (msg or "failed"), r.get("bug"),
                                       float(r.get("duration") or 0.0)))

    where = f" during the check '{titles.get(running, running)}'" if running else ""
    if timed_out:
        report.problem = (f"Time limit exceeded: the checks did not finish within {time_limit:g} s{where}. "
                          "Look for an infinite loop or a far too slow algorithm.")
    elif rc < 0 or not finished:
        sig = _signal_name(rc) if rc < 0 else None
        if sig == "SIGXFSZ":
            report.problem = f"Your code printed more than {OUTPUT_FILE_CAP // 2**20} MB of output{where}."
        elif sig == "SIGKILL":
            report.problem = f"The test process was killed{where}: most likely it used {_too_much(memory_mb)}."
        elif sig in ("SIGSEGV", "SIGBUS", "SIGABRT", "SIGILL", "SIGFPE"):
            report.problem = f"The Python interpreter crashed ({sig}){where}." + (f" {crash_hint}" if crash_hint else "")
        elif sig:
            report.problem = f"The test process was stopped by {sig}{where}."
        elif "MemoryError" in tail:
            report.problem = f"Your code used {_too_much(memory_mb)}{where}."
        else:
            report.problem = (f"The test process ended early with exit code {rc}{where}: does your file call "
                              "os._exit() or sys.exit()? A submission must return its results.")
    if tamper:
        report.problem = tamper
    for check in report.checks:
        if check.message is None and not check.passed:
            check.message = report.problem or "no result was reported for this check"
    report.passed = (finished and not timed_out and tamper is None and rc == 0 and bool(report.checks)
                     and all(c.passed for c in report.checks))
