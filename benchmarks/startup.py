"""Start-up benchmark: median wall time of tfprep commands, as ratios to `import typer, rich`.

    python benchmarks/startup.py [--runs 15]

Reports `tfprep --version`, `tfprep --help`, `tfprep` alone (the home screen), a scripted
one-card quiz (--cram: nothing is scheduled) from a pipe and on a pseudo-terminal (keys pressed
as soon as their prompt shows), a scheduled one (a new card rated Good: fsrs is loaded for the
intervals shown, the review is committed to disk), and the time a scheduled quiz takes to show
its first card on a terminal, each divided by the median of
`python -c "import typer, rich"`, run interleaved with them (target: <= 1.5), then a
quiz start, `tfprep stats` and the home screen on a store of 10,000 cards and 100,000 reviews, divided by the
same commands on an empty store (target: <= 2.0).
"""
from __future__ import annotations

import argparse
import itertools
import os
import pty
import select
import shutil
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

BIN = Path(sys.executable).with_name("tfprep")


ON_A_TERMINAL = [(b"reveal", b" "), (b"1 Again", b"3")]  # a key pressed when its prompt shows


FIRST_CARD = [(b"reveal", b"q")]  # quit as soon as the first card is drawn


def on_a_terminal(cmd: list[str], env: dict, keys=ON_A_TERMINAL) -> float:
    """Run `cmd` with a pseudo-terminal as stdin and stdout, pressing each key once its prompt
    has been drawn, until it exits; returns the seconds until the first prompt was drawn."""
    start = time.perf_counter()
    first = None
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(cmd[0], cmd, env)
    seen, pressed = b"", 0
    try:
        while select.select([fd], [], [], 30)[0]:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the child has gone and everything it wrote is read
                break
            if not data:
                break
            seen += data
            while pressed < len(keys) and keys[pressed][0] in seen:
                first = first or time.perf_counter() - start
                os.write(fd, keys[pressed][1])
                pressed += 1
    finally:
        os.close(fd)
        os.waitpid(pid, 0)
    if pressed < len(keys):
        raise RuntimeError(f"{' '.join(cmd)} on a terminal never showed {keys[pressed][0]!r}: {seen[-500:]!r}")
    return first


def median_times(jobs: dict[str, tuple[list[str], str | None, dict]], runs: int) -> dict[str, float]:
    """Median wall time of each job (command, stdin, env; stdin None: on a pseudo-terminal, the
    keys pressed as ON_A_TERMINAL says; stdin a list: those keys, and the time is until the
    first prompt shows; env a function: called, untimed, before each run for that run's env),
    the jobs interleaved run by run so a change in the machine's load moves them all alike
    (their ratios are what is reported)."""
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(runs):
        for name, (cmd, stdin, env) in jobs.items():
            env = env() if callable(env) else env
            start = time.perf_counter()
            if isinstance(stdin, list):
                times[name].append(on_a_terminal(cmd, env, stdin))
                continue
            if stdin is None:
                on_a_terminal(cmd, env)
            else:
                subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env, check=False)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def fill_store(home: Path, n_cards: int = 10_000, n_reviews: int = 100_000) -> None:
    from tfprep import store

    conn = store.connect(home / "progress.db")
    rnd = random.Random(0)
    now = datetime.now(timezone.utc)
    with store.transaction(conn):
        for i in range(n_cards):
            due = now + timedelta(days=rnd.uniform(-5, 60))
            conn.execute("INSERT INTO cards VALUES (?, 2, ?, ?, 5.0, '{}', ?, ?, 3, 0)",
                         (f"bench-{i}", store.ts(due), rnd.uniform(1, 90), store.ts(now), store.ts(now)))
        for j in range(n_reviews):
            t = now - timedelta(days=rnd.uniform(0, 365))
            conn.execute("INSERT INTO reviews (card_id, rating, reviewed_at, day, kind) VALUES (?, ?, ?, ?, 'review')",
                         (f"bench-{j % n_cards}", rnd.randint(1, 4), store.ts(t), store.local_day(t)))
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    # As installed for a user: bytecode caches written once and reused (a machine that sets
    # PYTHONDONTWRITEBYTECODE would otherwise recompile tfprep's sources on every start).
    base_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    base_env["NO_COLOR"] = "1"
    with tempfile.TemporaryDirectory() as empty, tempfile.TemporaryDirectory() as big:
        env_empty = {**base_env, "TFPREP_HOME": empty}
        env_big = {**base_env, "TFPREP_HOME": big}
        os.environ["TFPREP_HOME"] = big
        fill_store(Path(big))
        quiz = [str(BIN), "quiz", "--bank", "core25", "--limit", "1", "--cram"]
        # warm the bank caches so each measurement is a steady-state start
        for env in (env_empty, env_big):
            for warm in (quiz, [str(BIN)], [str(BIN), "stats", "--json"]):
                subprocess.run(warm, input="\n3\n", capture_output=True, text=True, env=env)
        base = [sys.executable, "-c", "import typer, rich"]
        # a scheduled quiz rates a new card (and loads fsrs for the intervals it shows): each run
        # starts from a copy of the warmed empty home, so each has the same new card to rate
        copies = itertools.count()

        def fresh_home() -> dict:
            home = Path(big).parent / f"tfprep-bench-{os.getpid()}-{next(copies)}"
            shutil.copytree(empty, home)
            return {**base_env, "TFPREP_HOME": str(home)}

        t = median_times({"baseline": (base, "", env_empty),
                          "tfprep --version": ([str(BIN), "--version"], "", env_empty),
                          "tfprep --help": ([str(BIN), "--help"], "", env_empty),
                          "tfprep (home screen)": ([str(BIN)], "", env_empty),
                          "one-card quiz (scripted)": (quiz, "\n3\n", env_empty),
                          "scheduled one-card quiz": (quiz[:-1], "\n3\n", fresh_home),
                          "one-card quiz (terminal)": (quiz, None, {**env_empty, "TERM": "xterm",
                                                                    "COLUMNS": "80"}),
                          "first card (terminal)": (quiz[:-1], FIRST_CARD, {**env_empty, "TERM": "xterm",
                                                                            "COLUMNS": "80"})}, args.runs)
        for n in range(next(copies)):
            shutil.rmtree(Path(big).parent / f"tfprep-bench-{os.getpid()}-{n}", ignore_errors=True)
        baseline = t.pop("baseline")
        print(f"baseline `python -c 'import typer, rich'`: {baseline * 1000:.0f} ms (median of {args.runs}, "
              "interleaved with the commands)")
        print(f"{'command':<28}{'median ms':>10}{'ratio':>8}   target <= 1.5")
        for name, value in t.items():
            print(f"{name:<28}{value * 1000:>10.0f}{value / baseline:>8.2f}")
        print()
        print(f"{'10k cards / 100k reviews':<28}{'empty ms':>10}{'big ms':>9}{'ratio':>8}   target <= 2.0")
        for name, cmd, stdin in (("quiz start (one card)", quiz, "\n3\n"),
                                 ("tfprep stats --json", [str(BIN), "stats", "--json"], ""),
                                 ("tfprep (home screen)", [str(BIN)], "")):
            both = median_times({"empty": (cmd, stdin, env_empty), "big": (cmd, stdin, env_big)}, args.runs)
            print(f"{name:<28}{both['empty'] * 1000:>10.0f}{both['big'] * 1000:>9.0f}{both['big'] / both['empty']:>8.2f}")

if __name__ == "__main__":
    main()
