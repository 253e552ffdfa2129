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
