"""Start-up stays light: --help and the quiz never import numpy, torch or triton."""
import subprocess
import sys

HEAVY = ("numpy", "torch", "triton")

PROBE = """
import atexit, sys
def report():
    heavy = sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'torch', 'triton'})
    sys.__stderr__.write('HEAVY=' + ','.join(heavy) + '\\n')
atexit.register(report)
sys.argv = ['tfprep'] + sys.argv[1:]
from tfprep.cli import main
main()
"""


def heavy_modules(args, stdin=""):
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], input=stdin, capture_output=True, text=True, timeout=60)
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("HEAVY=")]
    assert line, f"probe did not report: rc={proc.returncode} stderr={proc.stderr[-2000:]}"
    return [m for m in line[-1][len("HEAVY="):].split(",") if m], proc


def test_import_cli_is_light():
    code = "import sys, tfprep.cli; print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy','torch','triton'}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_help_is_light():
    heavy, proc = heavy_modules(["--help"])
    assert "quiz" in proc.stdout
    assert heavy == []


def test_quiz_is_light():
    heavy, proc = heavy_modules(["quiz", "--bank", "core25", "--limit", "1"], stdin="\n3\n")
    assert "Session summary" in proc.stdout
    assert heavy == []


def test_drill_list_is_light():
    heavy, proc = heavy_modules(["drill"])
    assert "attention" in proc.stdout
    assert heavy == []


def test_home_screen_and_plan_are_light():
    for args, expect in ((["--json"], '"next"'), ([], "Next:"), (["plan"], "Prep plan")):
        heavy, proc = heavy_modules(args)
        assert expect in proc.stdout, proc.stdout + proc.stderr
        assert heavy == []


def test_import_tfprep_is_light():
    """`import tfprep` in a notebook loads no array library and no rich: check/hint/start load
    tfprep.notebook only when called."""
    code = ("import sys, tfprep; assert all(callable(f) for f in (tfprep.check, tfprep.hint, tfprep.start)); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'torch', 'triton', 'rich'}), "
            "'tfprep.notebook' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] False"


# --- start-up: what loads only when it is needed ----------------------------------------------------

LOADED = """
import atexit, sys
watched = sys.argv[1].split(',')
atexit.register(lambda: sys.__stderr__.write('LOADED=' + ','.join(m for m in watched if m in sys.modules) + '\\n'))
sys.argv = ['tfprep'] + sys.argv[2:]
from tfprep.__main__ import main
main()
"""


def loaded(watched, args, stdin=""):
    """Which of `watched` the real entry point (tfprep.__main__) had imported when it exited."""
    proc = subprocess.run([sys.executable, "-c", LOADED, ",".join(watched), *args], input=stdin,
                          capture_output=True, text=True, timeout=60)
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("LOADED=")]
    assert line, f"probe did not report: rc={proc.returncode} stderr={proc.stderr[-2000:]}"
    return [m for m in line[-1][len("LOADED="):].split(",") if m], proc


def test_fsrs_loads_when_a_preview_needs_it():
    """A cram quiz schedules nothing, so FSRS (fsrs and typing_extensions) is never imported; a
    scheduled quiz imports it for the intervals the rating prompt shows. Panel titles are Text,
    so rich's emoji table is never loaded either."""
    watched = ["fsrs", "rich._emoji_codes"]
    mods, proc = loaded(watched, ["quiz", "--bank", "core25", "--limit", "1", "--cram"], "\n3\n")
    assert "Session summary" in proc.stdout and mods == []
    mods, proc = loaded(watched, ["quiz", "--bank", "core25", "--limit", "1"], "\n3\n")
    assert "Session summary" in proc.stdout and "10m" in proc.stdout  # Good on a new card: 10 minutes
    assert mods == ["fsrs"]


def test_home_screen_loads_no_scheduler_and_no_rich_console():
    mods, proc = loaded(["fsrs", "rich.console", "rich.table", "rich.panel"], [])
    assert "Next:" in proc.stdout and mods == []


def test_a_quiz_from_a_pipe_loads_no_rich_console():
    mods, proc = loaded(["rich.console", "rich.text", "rich.markdown"], ["quiz", "--bank", "core25", "--limit", "1"],
                        "\n3\n")
    assert "Session summary" in proc.stdout and mods == []


def test_the_store_is_closed_on_the_way_out(tfprep_home):
    """tfprep.__main__ closes the store itself before freezing the collector's objects: the WAL
    is checkpointed into progress.db and removed, as when the interpreter collected it."""
    from conftest import run_tfprep

    res = run_tfprep("quiz", "--bank", "core25", "--limit", "1", "--cram", input="\n3\n")
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in tfprep_home.iterdir() if p.name.startswith("progress")) == ["progress.db"]
    import sqlite3

    db = sqlite3.connect(f"file:{tfprep_home / 'progress.db'}?mode=ro", uri=True)
    try:
        assert db.execute("SELECT kind, rating FROM reviews").fetchall() == [("cram", 3)]
    finally:
        db.close()
