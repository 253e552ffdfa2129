"""Grading benchmark: wall time to grade a drill (default `attention`) vs. a bare pytest run.

    python benchmarks/grading.py [--runs 9] [--drill NAME]

Reports the median wall time of `tfprep drill NAME --file <a correct file> --json` and of
`python -m pytest -q` on a single trivial test file, and their ratio (target <= 2.0, and under
2 s absolute). Both run as fresh processes, as a learner would run them.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def median_time(cmd: list[str], runs: int, env: dict, cwd: str) -> tuple[float, int]:
    times, rc = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        rc = subprocess.run(cmd, capture_output=True, env=env, cwd=cwd).returncode
        times.append(time.perf_counter() - start)
    return statistics.median(times), rc


ROOT = Path(__file__).resolve().parents[1]


def learner_file(drill: str, module: str) -> str:
    """A correct file a learner could submit: the reference's own source where it stands alone
    (a submission may not import tfprep's packages), else the drill's first alternative solution."""
    source = (ROOT / "reference_impls" / f"{module}.py").read_text()
    if "tfprep.content" not in source:
        return source
    return sorted((ROOT / "tests" / "drill_cases" / drill).glob("correct_*.py"))[0].read_text()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--drill", default="attention", help="grade this drill's reference (e.g. flash-attention-triton)")
    args = parser.parse_args()
    module = args.drill.replace("-", "_")
    tfprep = str(Path(sys.executable).with_name("tfprep"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TFPREP_HOME": tmp, "NO_COLOR": "1"}
        submission = Path(tmp) / f"{module}.py"
        submission.write_text(learner_file(args.drill, module))
        trivial = Path(tmp) / "test_trivial.py"
        trivial.write_text("def test_one():\n    assert 1 + 1 == 2\n")
        t_pytest, rc_p = median_time([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(trivial)],
                                     args.runs, env, tmp)
        t_grade, rc_g = median_time([tfprep, "drill", args.drill, "--file", str(submission), "--json"],
                                    args.runs, env, tmp)
    assert rc_p == 0 and rc_g == 0, (rc_p, rc_g)
    print(f"python -m pytest (one trivial test): {t_pytest * 1000:7.0f} ms")
    print(f"tfprep drill {args.drill} (graded): {t_grade * 1000:7.0f} ms")
    target = "; target <= 2.0 and < 2000 ms" if args.drill == "attention" else ""
    print(f"ratio {t_grade / t_pytest:.2f}  (median of {args.runs}{target})")


if __name__ == "__main__":
    main()
