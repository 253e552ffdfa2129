"""Golden tests of the grader: each hostile or broken submission gets its expected verdict."""
import os
import shutil
import time
from pathlib import Path

import pytest

from tfprep import drills
from tfprep.grading.runner import run_suite

CASES = Path(__file__).parent / "grader_cases"


def grade(case, tmp_path, time_limit=20, memory_mb=2048, env=None):
    d = drills.load("attention")
    target = tmp_path / "attention.py"
    shutil.copyfile(CASES / case, target)
    return run_suite(d.suite, target, drill="attention", time_limit=time_limit, memory_mb=memory_mb,
                     extra_env=env)


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
    ("tamper_reference.py", "rebinds `reference_impls.attention.scaled_dot_product_attention`"),
])
def test_verdicts(case, expected, tmp_path):
    report = grade(case, tmp_path)
    assert not report.passed
    assert report.checks and report.checks_passed == 0
    assert expected in messages(report), messages(report)


def test_os_exit_is_a_failure(tmp_path):
    report = grade("os_exit.py", tmp_path)
    assert not report.passed
    assert "ended early" in report.problem and "os._exit()" in report.problem
    assert "during the check" in report.problem


def test_infinite_loop_times_out(tmp_path):
    start = time.monotonic()
    report = grade("infinite_loop.py", tmp_path, time_limit=3)
    assert time.monotonic() - start < 15
    assert not report.passed and "Time limit exceeded" in report.problem and "within 3 s" in report.problem


def test_memory_blowup_is_reported(tmp_path):
    report = grade("memory_blowup.py", tmp_path, memory_mb=1024)
    assert not report.passed
    assert "used more than 1.0 GB of memory" in messages(report)


def test_segfault_is_reported(tmp_path):
    report = grade("segfault.py", tmp_path)
    assert not report.passed and "crashed (SIGSEGV)" in report.problem


def test_triton_drills_explain_a_crash():
    """A crash in a Triton drill comes with the likely cause (an unmasked load or store)."""
    d = drills.load("attention")
    report = run_suite(d.suite, CASES / "segfault.py", drill="attention", time_limit=30, memory_mb=2048,
                       crash_hint=drills.CRASH_HINT["triton"])
    assert "crashed (SIGSEGV)" in report.problem and "mask=" in report.problem


def test_output_flood_is_capped(tmp_path):
    start = time.monotonic()
    report = grade("output_flood.py", tmp_path)
    assert time.monotonic() - start < 30
    assert not report.passed and "printed more than 64 MB of output" in messages(report)


def test_orphaned_child_is_killed_and_does_not_hang(tmp_path):
    pid_file = tmp_path / "orphan.pid"
    start = time.monotonic()
    report = grade("orphan.py", tmp_path, env={"ORPHAN_PID_FILE": str(pid_file)})
    assert time.monotonic() - start < 20
    assert not report.passed and "NOT IMPLEMENTED" in messages(report)
    pid = int(pid_file.read_text())
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        try:  # reap it if it became our zombie
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    else:
        pytest.fail("the grandchild outlived the grading")


def test_reference_passes_and_starter_fails(tmp_path):
    d = drills.load("attention")
    ref = tmp_path / "ref.py"
    ref.write_text("from reference_impls.attention import *\n")
    ok = run_suite(d.suite, ref, drill="attention", time_limit=30, memory_mb=2048)
    assert ok.passed and ok.checks_passed == len(ok.checks) > 5
    starter = run_suite(d.suite, d.starter, drill="attention", time_limit=30, memory_mb=2048)
    assert not starter.passed and starter.checks_passed == 0
    assert all("NOT IMPLEMENTED" in c.message for c in starter.checks)


def test_no_memory_cap_when_zero(tmp_path):
    """memory_mb=0 (Triton kernels on a GPU: CUDA reserves huge address space) sets no RLIMIT_AS."""
    d = drills.load("attention")
    ref = tmp_path / "ref.py"
    ref.write_text("import resource\nassert resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY\n"
                   "from reference_impls.attention import *\n")
    assert run_suite(d.suite, ref, drill="attention", time_limit=30, memory_mb=0).passed
    capped = run_suite(d.suite, ref, drill="attention", time_limit=30, memory_mb=2048)
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
