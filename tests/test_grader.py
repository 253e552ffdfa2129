"""Golden tests of the grader: each hostile or broken submission gets its expected verdict."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import run_tfprep
from tfprep import drills
from tfprep.grading import sandbox
from tfprep.grading.runner import run_suite

CASES = Path(__file__).parent / "grader_cases"
LANDLOCK = sandbox.landlock_abi() > 0


@pytest.fixture(params=[False, True], ids=["cold", "warm"])
def warm(request):
    """Each hostile case twice: in a plain `python -m pytest` child (what `tfprep drill` runs) and
    in one forked from the warm server (tfprep.grading.warm, what the content check uses)."""
    return request.param


def grade(case, tmp_path, time_limit=20, memory_mb=2048, env=None, tier="numpy", warm=False):
    """Grade a case as the attention drill (a NumPy drill: its rules apply unless `tier` says
    otherwise; "torch" is the tier without the NumPy rules that the warm server also serves)."""
    d = drills.load("attention")
    target = tmp_path / "attention.py"
    shutil.copyfile(CASES / case, target)
    return run_suite(d.suite, target, drill="attention", time_limit=time_limit, memory_mb=memory_mb,
                     extra_env=env, tier=tier, warm=warm)


def marked_processes(marker):
    """PIDs of live processes whose command line carries `marker` (zombies have none)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found


def messages(report):
    return " | ".join(filter(None, [report.problem] + [c.message for c in report.checks]))


@pytest.mark.parametrize("case,expected", [
    ("syntax_error.py", "SYNTAX ERROR in your file, line 3"),
    ("missing_function.py", "MISSING FUNCTION: no `scaled_dot_product_attention` in your file"),
    ("import_exit.py", "called sys.exit()"),
    ("keyboard_interrupt.py", "raised KeyboardInterrupt (line 2 of your file"),
    ("skips.py", "tests cannot be skipped or stopped from a submission"),
    ("returns_none.py", "should return a tuple of 2 values; it returned a NoneType"),
    ("returns_nan.py", "NaN/inf"),
    ("chatty.py", "MB of output (limit 1.0 MB)"),
    ("tamper_numpy.py", "rebinds `numpy.allclose` when your file is imported"),
    ("tamper_reference.py", "imports `reference_impls`, tfprep's own package"),
    ("exec_reference.py", "reads `"),
    ("import_tfprep.py", "imports `tfprep`, tfprep's own package"),
    ("uses_scipy.py", "imports `scipy`: NumPy drills are graded on NumPy and the standard library alone."),
    ("gc_reference.py", "your code calls tfprep's reference implementation"),
    ("frame_reference.py", "your code calls tfprep's reference implementation"),
    ("dirfd_reference.py", "part of tfprep's installed content"),
    ("subprocess_cat.py", "your code starts another process"),
])
def test_verdicts(case, expected, tmp_path, warm):
    report = grade(case, tmp_path, env={"ATTACK_ROOT": str(Path(drills.paths.content("reference_impls")).parent)},
                   warm=warm)
    assert not report.passed
    assert report.checks and report.checks_passed == 0
    assert expected in messages(report), messages(report)


def test_os_exit_is_a_failure(tmp_path, warm):
    report = grade("os_exit.py", tmp_path, warm=warm)
    assert not report.passed
    assert "ended early" in report.problem and "os._exit()" in report.problem
    assert "during the check" in report.problem


def test_infinite_loop_times_out(tmp_path, warm):
    start = time.monotonic()
    report = grade("infinite_loop.py", tmp_path, time_limit=3, warm=warm)
    assert time.monotonic() - start < 15
    assert not report.passed and "Time limit exceeded" in report.problem and "within 3 s" in report.problem


def test_memory_blowup_is_reported(tmp_path, warm):
    report = grade("memory_blowup.py", tmp_path, memory_mb=1024, warm=warm)
    assert not report.passed
    assert "used more than 1.0 GB of memory" in messages(report)


def test_segfault_is_reported(tmp_path, warm):
    report = grade("segfault.py", tmp_path, warm=warm)
    assert not report.passed and "crashed (SIGSEGV)" in report.problem


def test_triton_drills_explain_a_crash():
    """A crash in a Triton drill comes with the likely cause (an unmasked load or store)."""
    d = drills.load("attention")
    report = run_suite(d.suite, CASES / "segfault.py", drill="attention", time_limit=30, memory_mb=2048,
                       crash_hint=drills.CRASH_HINT["triton"])
    assert "crashed (SIGSEGV)" in report.problem and "mask=" in report.problem


def test_output_flood_is_capped(tmp_path, warm):
    start = time.monotonic()
    report = grade("output_flood.py", tmp_path, warm=warm)
    assert time.monotonic() - start < 30
    assert not report.passed and "printed more than 64 MB of output" in messages(report)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("case", ["orphan.py", "fork_chain.py", "setsid_daemon.py"])
def test_nothing_outlives_grading(case, tmp_path, warm):
    """A grandchild in its own session, a chain of setsid forks, a double-forked daemon: none
    is alive once the grading returns (the grader is their subreaper and kills them all). Graded
    without the NumPy tier's rules, which would refuse to start the processes at all."""
    marker = f"tfprep-test-{uuid.uuid4()}"
    start = time.monotonic()
    report = grade(case, tmp_path, env={"TFPREP_TEST_MARKER": marker, "ATTACK_DB": str(tmp_path / "x.db")}, tier="torch",
                   warm=warm)
    assert time.monotonic() - start < 20
    assert not report.passed and "NOT IMPLEMENTED" in messages(report)
    assert marked_processes(marker) == []


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, killed and not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG and /proc")
def test_grading_dies_with_a_killed_tfprep(tmp_path, warm):
    """A tfprep killed with SIGKILL (no time limit, no reaper after it) takes its grading child
    with it, in an endless loop or not: the kernel kills the child (and the warm server) when
    its parent ends. The submission says where it runs through /dev/shm, which it may write."""
    pidfile = Path("/dev/shm") / f"tfprep-test-{uuid.uuid4()}"
    case = tmp_path / "attention.py"
    case.write_text("import os\n\n\ndef scaled_dot_product_attention(q, k, v, mask=None):\n"
                    f"    with open({str(pidfile)!r}, 'w') as f:\n        f.write(str(os.getpid()))\n"
                    "    while True:\n        pass\n")
    script = ("from pathlib import Path\nfrom tfprep import drills\nfrom tfprep.grading.runner import run_suite\n"
              f"d = drills.load('attention')\nrun_suite(d.suite, Path({str(case)!r}), drill='attention', time_limit=600, memory_mb=2048, tier='numpy', "
              f"warm={warm})\n")
    tfprep = subprocess.Popen([sys.executable, "-c", script])
    try:
        end = time.monotonic() + 120
        while not (pidfile.exists() and pidfile.read_text()):
            assert time.monotonic() < end and tfprep.poll() is None, "the submission never ran"
            time.sleep(0.05)
        child = int(pidfile.read_text())
        assert _alive(child)
        tfprep.kill()
        tfprep.wait()
        end = time.monotonic() + 30
        while _alive(child) and time.monotonic() < end:
            time.sleep(0.05)
        assert not _alive(child), "the grading child outlived the killed tfprep"
    finally:
        if tfprep.poll() is None:
            tfprep.kill()
        pidfile.unlink(missing_ok=True)


def test_a_grading_whose_warm_server_is_killed_fails_and_the_next_one_starts_a_new_server(tmp_path):
    """The warm server killed mid-grading (from outside: the submission's own attempts are stopped
    by Landlock's signal scope where the kernel has it) ends that grading as a killed test process,
    never a crash of tfprep, and the next grading gets a fresh server."""
    import threading

    from tfprep.grading import warm

    pidfile = Path("/dev/shm") / f"tfprep-test-{uuid.uuid4()}"
    case = tmp_path / "attention.py"
    case.write_text("import os\n\n\ndef scaled_dot_product_attention(q, k, v, mask=None):\n"
                    f"    with open({str(pidfile)!r}, 'w') as f:\n        f.write(str(os.getpid()))\n"
                    "    while True:\n        pass\n")
    d = drills.load("attention")
    result = {}
    worker = threading.Thread(target=lambda: result.update(report=run_suite(
        d.suite, case, drill="attention", time_limit=120, memory_mb=2048, tier="torch", warm=True)))
    worker.start()
    try:
        end = time.monotonic() + 120
        while not (pidfile.exists() and pidfile.read_text()):
            assert time.monotonic() < end and worker.is_alive(), "the submission never ran"
            time.sleep(0.05)
        (server,) = [s for s in warm._servers.values() if s.alive and s.proc.args[-1] == "torch"]
        os.kill(server.proc.pid, signal.SIGKILL)
        worker.join(60)
        assert not worker.is_alive()
        report = result["report"]
        assert not report.passed and "killed" in report.problem
        child, end = int(pidfile.read_text()), time.monotonic() + 30
        while _alive(child) and time.monotonic() < end:
            time.sleep(0.05)
        assert not _alive(child)  # the child died with its server
    finally:
        pidfile.unlink(missing_ok=True)
    assert run_suite(d.suite, d.reference, drill="attention", time_limit=30, memory_mb=2048, trusted=True,
                     tier="torch", warm=True).passed


def test_reference_passes_and_starter_fails(tmp_path):
    d = drills.load("attention")
    ref = tmp_path / "ref.py"
    ref.write_text("from tfprep.content.reference_impls.attention import *\n")
    ok = run_suite(d.suite, ref, drill="attention", time_limit=30, memory_mb=2048, trusted=True)
    assert ok.passed and ok.checks_passed == len(ok.checks) > 5
    lazy = run_suite(d.suite, ref, drill="attention", time_limit=30, memory_mb=2048, tier="numpy")
    assert not lazy.passed and lazy.checks_passed == 0
    assert lazy.bugs == ["refused: uses tfprep's own reference implementations or content"]
    starter = run_suite(d.suite, d.starter, drill="attention", time_limit=30, memory_mb=2048)
    assert not starter.passed and starter.checks_passed == 0
    assert all("NOT IMPLEMENTED" in c.message for c in starter.checks)


def test_no_memory_cap_when_zero(tmp_path):
    """memory_mb=0 (Triton kernels on a GPU: CUDA reserves huge address space) sets no RLIMIT_AS."""
    d = drills.load("attention")
    ref = tmp_path / "ref.py"
    ref.write_text("import resource\nassert resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY\n"
                   "from tfprep.content.reference_impls.attention import *\n")
    assert run_suite(d.suite, ref, drill="attention", time_limit=30, memory_mb=0, trusted=True).passed
    capped = run_suite(d.suite, ref, drill="attention", time_limit=30, memory_mb=2048, trusted=True)
    assert not capped.passed and "AssertionError" in capped.checks[0].message


def test_suite_notes_reach_the_report(tmp_path):
    suite = tmp_path / "test_noted.py"
    suite.write_text("from tfprep.grading import checks as C\n\nC.note('measured on nothing')\n\n"
                     "def test_one(sub):\n    assert sub.fn('f')() == 1\n")
    sub = tmp_path / "s.py"
    sub.write_text("def f():\n    return 1\n")
    report = run_suite(suite, sub, drill="noted", time_limit=30, memory_mb=2048)
    assert report.passed and report.notes == ["measured on nothing"]


def test_memory_cap_is_lifted_only_for_triton_on_a_gpu(monkeypatch):
    monkeypatch.setattr(drills, "gpu_present", lambda: False)
    assert drills.memory_cap(drills.load("attention")) == 2048
    assert drills.memory_cap(drills.load("flash-attention-triton")) == 16384
    monkeypatch.setattr(drills, "gpu_present", lambda: True)
    assert drills.memory_cap(drills.load("flash-attention-triton")) == 0
    assert drills.memory_cap(drills.load("attention")) == 2048


# --- the learner's state is out of the submission's reach -----------------------------------

def probe(report):
    msg = next(c.message for c in report.checks if c.message and "PROBE" in c.message)
    return dict(part.split("=", 1) for part in msg.split("PROBE ", 1)[1].split(" (line")[0].split())


def test_child_runs_in_a_private_directory(tmp_path, monkeypatch, warm):
    """cwd, HOME and TMPDIR are one private folder, gone afterwards; TFPREP_HOME is not inherited."""
    monkeypatch.setenv("TFPREP_WORKSPACE", str(tmp_path / "ws"))
    seen = probe(grade("env_probe.py", tmp_path, warm=warm))
    assert seen["tfprep_home"] == "None" and seen["workspace"] == "None"
    box = Path(seen["cwd"])
    assert Path(seen["home"]).parent == box and Path(seen["tmp"]).parent == box
    assert str(tmp_path) not in seen["cwd"] and os.environ["TFPREP_HOME"] not in seen["cwd"]
    assert not box.exists()


def _store_snapshot(home):
    conn = sqlite3.connect(home / "progress.db")
    try:
        return (conn.execute("PRAGMA integrity_check").fetchone()[0],
                conn.execute("SELECT card_id, rating, reviewed_at FROM reviews ORDER BY id").fetchall(),
                conn.execute("SELECT passed, file FROM drill_attempts ORDER BY id").fetchall())
    finally:
        conn.close()


def test_submission_cannot_forge_or_delete_the_store(tfprep_home, tmp_path):
    """A file that writes a passed attempt into progress.db and then deletes TFPREP_HOME, told
    exactly where it is: with Landlock both fail and the store is as it was, plus one honest
    failed attempt. Without Landlock the test says so and checks what still holds."""
    assert run_tfprep("quiz", "--bank", "core25", "--limit", "2", input="\n3\n\n4\n").returncode == 0
    integrity, reviews, attempts = _store_snapshot(tfprep_home)
    assert integrity == "ok" and len(reviews) == 2 and attempts == []
    target = tmp_path / "attack.py"
    shutil.copyfile(CASES / "attack_store.py", target)
    res = run_tfprep("drill", "attention", "--file", str(target), "--json", env={"ATTACK_HOME": str(tfprep_home)})
    assert res.returncode == 1, res.stdout + res.stderr
    report = json.loads(res.stdout)
    attack = next(c["message"] for c in report["checks"] if "ATTACK" in (c["message"] or ""))
    if not LANDLOCK:
        assert report["sandbox"], "the report must say the write fence was not in force"
        pytest.skip(f"Landlock is not available here ({report['sandbox']}): the private directory and the "
                    f"environment without TFPREP_HOME still hold (test_child_runs_in_a_private_directory); {attack}")
    assert report["sandbox"] is None
    assert "forge failed" in attack and "delete failed" in attack, attack
    after = _store_snapshot(tfprep_home)
    assert after[0] == "ok" and after[1] == reviews
    assert after[2] == [(0, str(target))]  # the one attempt the parent recorded, failed


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_daemon_cannot_rewrite_the_attempt_after_tfprep_exits(tfprep_home, tmp_path):
    marker = f"tfprep-test-{uuid.uuid4()}"
    target = tmp_path / "daemon.py"
    shutil.copyfile(CASES / "setsid_daemon.py", target)
    res = run_tfprep("drill", "attention", "--file", str(target), "--json",
                     env={"ATTACK_DB": str(tfprep_home / "progress.db"), "TFPREP_TEST_MARKER": marker})
    assert res.returncode == 1
    assert marked_processes(marker) == []
    time.sleep(2.0)  # past the moment the daemon would have written
    assert _store_snapshot(tfprep_home)[2] == [(0, str(target))]


# --- memory is measured as the process really uses it ---------------------------------------

MEMORY_SUITE = '''
from tfprep.grading import checks as C

def test_budget(sub):
    fn = sub.fn("build")
    with C.peak_memory() as mem:
        fn(256 * 2**20)
    C.expect(mem["peak"] <= 64 * 2**20, f"used {C.fmt_bytes(mem['peak'])} (rss {C.fmt_bytes(mem['rss'])}, "
             f"traced {C.fmt_bytes(mem['traced'])}, {mem['how']})")
'''


@pytest.mark.parametrize("how", [
    "import numpy as np\n\ndef build(n):\n    a = np.ones(n // 8)\n    return float(a.sum())\n",
    "import mmap\n\ndef build(n):\n    m = mmap.mmap(-1, n)\n    for i in range(0, n, 4096):\n        m[i] = 1\n"
    "    return len(m)\n",
    "import torch\n\ndef build(n):\n    return float(torch.ones(n // 8, dtype=torch.float64).sum())\n",
], ids=["numpy", "mmap", "torch"])
def test_peak_memory_sees_every_library(how, tmp_path, warm):
    """256 MiB built with NumPy, an anonymous mmap (invisible to tracemalloc) or torch: all seen."""
    if "torch" in how:
        pytest.importorskip("torch")
    suite = tmp_path / "test_memory.py"
    suite.write_text(MEMORY_SUITE)
    sub = tmp_path / "s.py"
    sub.write_text(how)
    report = run_suite(suite, sub, drill="memory", time_limit=60, memory_mb=4096, tier="torch", warm=warm)
    assert not report.passed
    used = report.checks[0].message
    assert used.startswith("used ") and float(used.split()[1]) >= 250 and used.split()[2] == "MB", used


def test_peak_memory_passes_a_small_footprint(tmp_path):
    suite = tmp_path / "test_memory.py"
    suite.write_text(MEMORY_SUITE)
    sub = tmp_path / "s.py"
    sub.write_text("import numpy as np\n\ndef build(n):\n    return float(np.ones(1024).sum())\n")
    assert run_suite(suite, sub, drill="memory", time_limit=60, memory_mb=4096).passed


# --- the report ------------------------------------------------------------------------------

def test_report_prints_text_as_is_and_collapses_identical_failures(tmp_path):
    res = run_tfprep("drill", "attention", "--file", str(CASES / "markup_message.py"), env={"COLUMNS": "400"})
    assert res.returncode == 1
    assert "pairs (x[i], x[i + d/2]) and [bold]not bold[/bold]" in res.stdout, res.stdout
    assert res.stdout.count("raised ValueError") == 1 and "checks: " in res.stdout, res.stdout
    assert "FAILED 0/" in res.stdout


def test_report_puts_the_diagnosis_first():
    bug = Path(__file__).parents[1] / "drills" / "attention" / "bugs" / "no_scale.py"
    res = run_tfprep("drill", "attention", "--file", str(bug), env={"COLUMNS": "200"})
    assert res.returncode == 1
    out = res.stdout
    assert "Diagnosis: looks like the classic bug: missing 1/sqrt(d_k) scaling" in out
    assert out.index("Diagnosis") < out.index("✗") < out.index("FAILED")


def test_spinner_on_a_terminal_only(tmp_path):
    """A live spinner with elapsed time and the limit on a terminal (a real pty); nothing when piped."""
    import pty

    starter = drills.load("attention").starter
    piped = run_tfprep("drill", "attention", "--file", str(starter))
    assert "Grading attention" not in piped.stdout
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update({"COLUMNS": "100", "TERM": "xterm"})
        os.environ.pop("NO_COLOR", None)
        os.execv(sys.executable, [sys.executable, "-m", "tfprep", "drill", "attention", "--file", str(starter)])
    chunks = []
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.waitpid(pid, 0)
    screen = b"".join(chunks).decode(errors="replace")
    assert "Grading attention" in screen and "(limit 60 s)" in screen, screen[-2000:]
    assert "FAILED" in screen


def test_solution_wraps_long_lines(tmp_path):
    """At 50 columns, no character of the reference is cropped."""
    res = run_tfprep("drill", "attention", "--solution", "--yes", env={"COLUMNS": "50"})
    assert res.returncode == 0
    printed = "".join(ch for ch in res.stdout if not ch.isspace() and ch not in "│╭╮╰╯─")
    source = (Path(__file__).resolve().parents[1] / "reference_impls" / "attention.py").read_text()
    assert "".join(ch for ch in source if not ch.isspace()) in printed
