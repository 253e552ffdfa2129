"""Drills: the ordered catalog, each drill's folder, and the learner's workspace.

A drill folder `drills/NAME/` has fixed file names: drill.yaml (title, statement, tier,
requires, tags, difficulty, time_limit, memory_mb, functions, hints), starter.py and the hidden
suite test_*.py. The curriculum order is drills/catalog.yaml. Nothing here imports numpy.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from tfprep import paths, store
from tfprep.errors import ExitStatus, TfprepError, did_you_mean

TIERS = ("numpy", "torch", "triton")
DEFAULT_TIME_LIMIT = 60
DEFAULT_MEMORY_MB = {"numpy": 2048, "torch": 8192, "triton": 16384}
# The extras of pyproject.toml, never one machine's wheels: torch alone for the PyTorch drills;
# torch and triton (and a CUDA GPU for speed) for the Triton drills, whose correctness also
# runs in Triton's CPU interpreter, for which `pip install triton` next to torch is enough.
INSTALL = {
    "numpy": "pip install 'numpy>=1.24'",
    "torch": "pip install 'tfprep[torch]'",
    "triton": "pip install 'tfprep[gpu]'",
}
TRITON_CPU_NOTE = "Triton's CPU interpreter, correctness only; on a Linux machine with a CUDA GPU: pip install 'tfprep[gpu]'"

CRASH_HINT = {"triton": "In a Triton kernel that is usually a load or store outside its tensor: check the mask= "
                        "of every tl.load and tl.store (rows and keys past N, lanes past the end of a row)."}


@dataclass
class Drill:
    name: str
    tier: str
    folder: Path
    title: str = ""
    statement: str = ""
    requires: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    difficulty: int = 1
    time_limit: float = DEFAULT_TIME_LIMIT
    memory_mb: int = 2048
    functions: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)  # ids of related bank questions
    minutes: int | None = None  # the time the drill is stated to take (default by difficulty)

    @property
    def module(self) -> str:
        return self.name.replace("-", "_")

    @property
    def starter(self) -> Path:
        return self.folder / "starter.py"

    @property
    def suite(self) -> Path:
        suites = sorted(self.folder.glob("test_*.py"))
        if len(suites) != 1:
            raise TfprepError(f"drill '{self.name}' must have exactly one test_*.py suite", ExitStatus.USAGE)
        return suites[0]

    @property
    def reference(self) -> Path:
        return paths.content("reference_impls") / f"{self.module}.py"


def _parse_yaml(path: Path):
    import yaml

    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _yaml(path: Path):
    """A shipped YAML file, parsed once and then read from the cache."""
    import zlib

    from tfprep import cache

    kind = f"yaml-{zlib.crc32(str(path.resolve()).encode()):08x}"  # zlib, not hashlib: see cache.fingerprint
    return cache.cached(kind, [path], lambda: _parse_yaml(path))


@lru_cache(maxsize=1)
def catalog() -> list[tuple[str, str]]:
    """(name, tier) for every drill of the curriculum, in order."""
    return [(d["name"], d["tier"]) for d in _yaml(paths.drills_dir() / "catalog.yaml")["drills"]]


def catalog_names() -> list[str]:
    return [name for name, _ in catalog()]


exists = paths.drill_exists


def available() -> list[str]:
    """Catalog names whose folder exists, in curriculum order."""
    root = paths.drills_dir()
    return [name for name in catalog_names() if (root / name / "drill.yaml").is_file()]


def load(name: str) -> Drill:
    names = available()
    if name not in names:
        planned = name in catalog_names()
        raise TfprepError(f"drill '{name}' is {'planned but not written yet' if planned else 'unknown'}",
                          hint=did_you_mean(name, names) or "run `tfprep drill` to list the drills")
    tier = dict(catalog())[name]
    folder = paths.drills_dir() / name
    meta = _yaml(folder / "drill.yaml") or {}
    return Drill(name=name, tier=tier, folder=folder, title=meta.get("title", name),
                 statement=meta.get("statement", ""), requires=list(meta.get("requires", [])),
                 tags=list(meta.get("tags", [])), difficulty=int(meta.get("difficulty", 1)),
                 time_limit=float(meta.get("time_limit", DEFAULT_TIME_LIMIT)),
                 memory_mb=int(meta.get("memory_mb", DEFAULT_MEMORY_MB[tier])),
                 functions=list(meta.get("functions", [])), hints=list(meta.get("hints", [])),
                 questions=list(meta.get("questions", [])), minutes=meta.get("minutes"))


# --- workspace ------------------------------------------------------------------------------

def workspace_file(drill: Drill, workspace: Path | None = None) -> Path:
    return (workspace or paths.workspace()) / f"{drill.module}.py"


def create_workspace_file(drill: Drill, target: Path) -> None:
    check_workspace(target.parent)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(drill.starter, "rb") as src, open(target, "xb") as dst:  # never over a learner's file
            shutil.copyfileobj(src, dst)
    except FileExistsError:
        pass
    except OSError as exc:
        raise TfprepError(f"cannot write {target}: {exc.strerror or exc}",
                          hint="choose another folder with --workspace or TFPREP_WORKSPACE") from None


def check_workspace(folder: Path) -> None:
    """The workspace must be a folder tfprep can create and write to."""
    if folder.exists() and not folder.is_dir():
        raise TfprepError(f"the workspace {folder} is a file, not a folder",
                          hint="pass a folder to --workspace (or TFPREP_WORKSPACE)")


def backup(target: Path, now: datetime) -> Path:
    """Keep `target` as NAME.py.YYYY-MM-DDTHH-MM-SS.bak beside it (-2, -3... when that second is
    taken); never overwrites anything. Returns the backup's path."""
    return paths.keep_as_bak(target, now)


def reset(drill: Drill, target: Path, conn: sqlite3.Connection, now: datetime | None = None) -> Path | None:
    """Restore the starter; the old file is kept under a unique backup name. Returns the backup."""
    now = now or datetime.now(timezone.utc)
    kept = backup(target, now) if target.exists() else None
    if kept is None:
        create_workspace_file(drill, target)
    else:
        tmp = target.with_name(f".{target.name}.starter-{os.getpid()}")
        shutil.copyfile(drill.starter, tmp)
        os.replace(tmp, target)  # the learner's file is never half-written; the backup holds the old one
    record_event(conn, drill.name, "reset", now, str(kept) if kept else None)
    return kept


# --- progress -------------------------------------------------------------------------------

def record_event(conn: sqlite3.Connection, drill: str, kind: str, now: datetime, detail: str | None = None) -> None:
    with store.transaction(conn):
        conn.execute("INSERT INTO drill_events (drill, kind, at, detail) VALUES (?, ?, ?, ?)",
                     (drill, kind, store.ts(now), detail))


def _events_since(conn: sqlite3.Connection, drill: str, kinds: tuple[str, ...], since: str | None) -> list[sqlite3.Row]:
    marks = ",".join("?" * len(kinds))
    return conn.execute(f"SELECT * FROM drill_events WHERE drill = ? AND kind IN ({marks}) AND at > ? ORDER BY at, id",
                        (drill, *kinds, since or "")).fetchall()


def hints_used(conn: sqlite3.Connection, drill: str) -> int:
    """Hints revealed in the current round of this drill (since its last passing review): on a
    review the hints start hidden again."""
    return len(_events_since(conn, drill, ("hint",), round_start(conn, drill)))


def next_hint(drill: Drill, conn: sqlite3.Connection, now: datetime | None = None) -> tuple[int, list[str]]:
    """Reveal (and record) the next hint; returns (number revealed now or 0 if none left, all revealed)."""
    used = hints_used(conn, drill.name)
    if used >= len(drill.hints):
        return 0, drill.hints
    record_event(conn, drill.name, "hint", now or datetime.now(timezone.utc), str(used + 1))
    return used + 1, drill.hints[: used + 1]


def record_attempt(conn: sqlite3.Connection, report, now: datetime | None = None,
                   hunt: str | None = None) -> "DrillReview":
    """Store a graded attempt and, in the same transaction, what it does to the drill's schedule.
    A bug hunt's attempt (`hunt`: the bug's name) is recorded as such and leaves the schedule alone."""
    import json

    now = now or datetime.now(timezone.utc)
    with store.transaction(conn):
        cur = conn.execute(
            "INSERT INTO drill_attempts (drill, attempted_at, day, passed, checks_passed, checks_total,"
            " duration_s, hints_used, file, report, hunt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (report.drill, store.ts(now), store.local_day(now), int(report.passed), report.checks_passed,
             len(report.checks), report.duration_s, hints_used(conn, report.drill), report.file,
             json.dumps(report.to_dict()), hunt))
        if hunt is not None:
            return DrillReview(False, reason="a bug hunt: the drill's own schedule is unchanged")
        return review_attempt(conn, load(report.drill), cur.lastrowid, report.passed, now)


# --- bug hunts ---------------------------------------------------------------------------------
#
# A drill's known-bug cases ship beside it, drills/NAME/bugs/BUG.py, each a complete solution with
# one classic mistake, its first line `# expect-bug: LABEL` (what the grader names). A hunt writes
# one into the workspace without that line and without comments (they would give it away), and
# grades it with the suite, the diagnosis hidden until it passes.

HUNT_BANNER = "# Bug hunt: this implementation has one classic bug. Find it and fix it, then grade it with\n" \
              "#   tfprep drill {name} --fix\n"


def bugs(drill: Drill) -> dict[str, Path]:
    """The drill's bug files by name (the file stem), in name order."""
    return {p.stem: p for p in sorted((drill.folder / "bugs").glob("*.py"))}


def bug_label(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    return first.removeprefix("# expect-bug:").strip()


def hunt_source(path: Path) -> str:
    """The bug file as the learner gets it: no `# expect-bug:` line, no comments, no runs of blank lines."""
    import io
    import re
    import tokenize

    text = path.read_text(encoding="utf-8")
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type != tokenize.COMMENT]
    code = tokenize.untokenize(tokens)
    lines = [line.rstrip() for line in code.splitlines()]
    return re.sub(r"\n{3,}", "\n\n\n", "\n".join(lines).strip("\n")) + "\n"


def hunt_file(drill: Drill, workspace: Path | None = None) -> Path:
    return (workspace or paths.workspace()) / f"{drill.module}_bug_hunt.py"


def hunts(conn: sqlite3.Connection, name: str) -> tuple[str | None, set[str]]:
    """(the bug of the hunt in progress or None, the bugs fixed so far) for a drill."""
    last = conn.execute("SELECT detail, at FROM drill_events WHERE drill = ? AND kind = 'hunt' ORDER BY at DESC, id DESC"
                        " LIMIT 1", (name,)).fetchone()
    fixed = {r[0] for r in conn.execute("SELECT DISTINCT hunt FROM drill_attempts WHERE drill = ? AND hunt IS NOT NULL"
                                        " AND passed = 1", (name,))}
    if last is None:
        return None, fixed
    done = conn.execute("SELECT 1 FROM drill_attempts WHERE drill = ? AND hunt = ? AND passed = 1 AND attempted_at > ?",
                        (name, last["detail"], last["at"])).fetchone()
    return (None if done else last["detail"]), fixed


def choose_bug(drill: Drill, conn: sqlite3.Connection, wanted: str | None = None, rng=None) -> str:
    """The bug to hunt: the one named, else a random one not fixed yet (any, once all are)."""
    import random

    available_bugs = bugs(drill)
    if not available_bugs:
        raise TfprepError(f"drill '{drill.name}' has no bug hunts")
    if wanted:
        if wanted not in available_bugs:
            raise TfprepError(f"drill '{drill.name}' has no bug hunt '{wanted}'",
                              hint=did_you_mean(wanted, list(available_bugs)) or
                              f"its hunts: {', '.join(available_bugs)}")
        return wanted
    _, fixed = hunts(conn, drill.name)
    left = [b for b in available_bugs if b not in fixed] or list(available_bugs)
    return (rng or random.Random()).choice(left)


def start_hunt(drill: Drill, bug: str, target: Path, conn: sqlite3.Connection, now: datetime) -> Path | None:
    """Write the bug file into the workspace (any file already there kept as a backup); returns the backup."""
    check_workspace(target.parent)
    kept = backup(target, now) if target.exists() else None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.hunt-{os.getpid()}")
    tmp.write_text(HUNT_BANNER.format(name=drill.name) + "\n" + hunt_source(bugs(drill)[bug]), encoding="utf-8")
    os.replace(tmp, target)
    record_event(conn, drill.name, "hunt", now, bug)
    return kept


def hide_diagnosis(report) -> None:
    """A hunt's failed report must not name the bug: drop the labels and the sentences naming them."""
    for c in report.checks:
        c.bug = None
        if c.message:
            c.message = c.message.split("\nLooks like the classic bug:")[0]
            c.message = c.message.split("\nOn this input it fits several classic bugs")[0]


def hunt_stats(conn: sqlite3.Connection) -> dict:
    started = conn.execute("SELECT COUNT(*) FROM drill_events WHERE kind = 'hunt'").fetchone()[0]
    fixed = conn.execute("SELECT COUNT(DISTINCT drill || '/' || hunt) FROM drill_attempts WHERE hunt IS NOT NULL"
                         " AND passed = 1").fetchone()[0]
    attempts = conn.execute("SELECT COUNT(*) FROM drill_attempts WHERE hunt IS NOT NULL").fetchone()[0]
    return {"started": started, "fixed": fixed, "attempts": attempts}


# --- drills on a schedule (FSRS) ----------------------------------------------------------------
#
# Each drill is one FSRS card, reviewed by graded attempts. A *round* runs from a drill's last
# passing review (or from the start) to its next pass. In a round, the first failed attempt is an
# Again review (later failures in the same round are attempts, not reviews), and the pass is the
# round's last review: Good at the first try without hints or the solution (Easy if it also came
# in under half the drill's stated time), Hard otherwise. Between rounds, before the drill is due,
# attempts are practice and leave the schedule alone; once it is due, a round needs a fresh
# starter (`--reset` or `tfprep drill next`): regrading the file that passed last time proves
# nothing about recall.

MINUTES_BY_DIFFICULTY = {1: 15, 2: 30, 3: 60}  # the time a drill is stated to take, unless drill.yaml says
EASY_SHARE = 0.5  # Easy: passed at the first try, no hints, in under this share of the stated time
FRESH_STARTS = ("start", "reset")  # events that put a starter in the workspace


def stated_minutes(drill: Drill) -> int:
    return drill.minutes or MINUTES_BY_DIFFICULTY.get(drill.difficulty, 30)


@dataclass
class DrillReview:
    counted: bool  # whether the attempt changed the schedule
    rating: int | None = None  # 1-4 when counted
    reason: str = ""  # why this rating, or why the attempt did not count
    due: datetime | None = None  # the drill's due time after the attempt


def drill_card(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM drill_cards WHERE card_id = ?", (name,)).fetchone()


def round_start(conn: sqlite3.Connection, name: str) -> str | None:
    """When the current round began: the time of the drill's last passing review (None: never passed)."""
    row = conn.execute("SELECT MAX(reviewed_at) FROM drill_reviews WHERE card_id = ? AND rating > 1", (name,)).fetchone()
    return row[0] if row else None


def _rating(failed_before: int, hints: int, solution: bool, minutes: float | None, stated: int) -> tuple[int, str]:
    from tfprep.scheduler import Rating

    helped = [what for what, used in (("the solution", solution), (f"{hints} hint{'s' * (hints != 1)}", hints),
                                      (f"{failed_before} failed attempt{'s' * (failed_before != 1)}", failed_before))
              if used]
    if helped:
        return int(Rating.HARD), "passed after " + ", ".join(helped)
    if minutes is not None and minutes <= EASY_SHARE * stated:
        return int(Rating.EASY), f"first try, no hints, {minutes:.0f} min (under half of the stated {stated} min)"
    took = f", {minutes:.0f} min" if minutes is not None else ""
    return int(Rating.GOOD), f"first try, no hints{took}"


def review_attempt(conn: sqlite3.Connection, drill: Drill, attempt_id: int, passed: bool, now: datetime,
                   scheduler=None) -> DrillReview:
    """What a graded attempt does to the drill's card (call inside the attempt's transaction)."""
    from tfprep.quiz import KIND_BY_STATE, _SEEDS
    from tfprep.scheduler import Rating, Scheduler

    scheduler = scheduler or Scheduler(steps=False)
    name, now_s = drill.name, store.ts(now)
    row = drill_card(conn, name)
    since = round_start(conn, name)
    in_round = conn.execute("SELECT * FROM drill_reviews WHERE card_id = ? AND reviewed_at > ? ORDER BY id",
                            (name, since or "")).fetchall()  # this round's reviews so far (an Again at most)
    due = store.parse_ts(row["due"]) if row else None
    if since is not None and not in_round:  # between rounds: the drill was passed and no round is open
        if row is not None and row["due"] > now_s:
            return DrillReview(False, reason=f"not due until {store.local_day(due)}: practice, the schedule is unchanged",
                               due=due)
        if needs_fresh_start(conn, name):
            return DrillReview(False, reason="due, but this is the file you passed with before: run "
                                             f"`tfprep drill {name} --reset` (or `tfprep drill next`) and write it again "
                                             "from the starter for the review to count", due=due)
    if not passed and in_round:
        return DrillReview(False, reason="failed again in this round: the round's Again is already recorded", due=due)
    if passed:
        failed_before = conn.execute("SELECT COUNT(*) FROM drill_attempts WHERE drill = ? AND attempted_at > ?"
                                     " AND passed = 0 AND hunt IS NULL AND id != ?", (name, since or "", attempt_id)).fetchone()[0]
        hints = len(_events_since(conn, name, ("hint",), since))
        solution = bool(_events_since(conn, name, ("solution",), since))
        starts = _events_since(conn, name, FRESH_STARTS, since)
        minutes = (now - store.parse_ts(starts[-1]["at"])).total_seconds() / 60 if starts else None
        rating, reason = _rating(failed_before, hints, solution, minutes, stated_minutes(drill))
    else:
        rating, reason = int(Rating.AGAIN), "failed"
    before = scheduler.load(row["fsrs"]) if row else scheduler.new_card(now)
    seed = _SEEDS.getrandbits(31)
    after = scheduler.review(before, Rating(rating), now, seed)
    kind = "new" if row is None else KIND_BY_STATE.get(row["state"], "review")
    conn.execute("INSERT INTO drill_reviews (card_id, attempt_id, rating, reviewed_at, day, kind, reason, before, after,"
                 " fuzz_seed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (name, attempt_id, rating, now_s, store.local_day(now), kind, reason, row["fsrs"] if row else None,
                  after.to_json(), seed))
    store.save_card(conn, "drill_cards", name, after, now,
                    lapse=rating == int(Rating.AGAIN) and row is not None and row["state"] == 2)
    return DrillReview(True, rating, reason, after.due)


def needs_fresh_start(conn: sqlite3.Connection, name: str) -> bool:
    """Whether the drill's last round is closed (passed) with no fresh starter written since."""
    since = round_start(conn, name)
    if since is None:
        return False
    in_round = conn.execute("SELECT COUNT(*) FROM drill_reviews WHERE card_id = ? AND reviewed_at > ?",
                            (name, since)).fetchone()[0]
    return not in_round and not _events_since(conn, name, FRESH_STARTS, since)


def schedule(conn: sqlite3.Connection) -> dict[str, sqlite3.Row]:
    """Every drill card by name."""
    return {r["card_id"]: r for r in conn.execute("SELECT * FROM drill_cards")}


def next_drill(conn: sqlite3.Connection, now: datetime) -> tuple[str | None, str]:
    """(drill, why) for `tfprep drill next`: the most overdue drill, else the first drill of the
    catalog never done whose requirements are installed, else the one due soonest."""
    cards = schedule(conn)
    now_s = store.ts(now)
    due = sorted((r for r in cards.values() if r["due"] <= now_s and exists(r["card_id"])), key=lambda r: r["due"])
    if due:
        return due[0]["card_id"], "due for review"
    for name in available():
        if name not in cards and missing_capability(load(name)) is None:
            return name, "next new drill in the catalog"
    upcoming = sorted((r for r in cards.values() if exists(r["card_id"])), key=lambda r: r["due"])
    if upcoming:
        return upcoming[0]["card_id"], f"nothing is due; due soonest ({store.local_day(store.parse_ts(upcoming[0]['due']))})"
    return None, "every drill here needs torch or triton, which are not installed"


def resolve(name: str) -> str:
    """A drill name, or its number in the `tfprep drill` list (1-based)."""
    if name.isdigit():
        names = available()
        i = int(name)
        if not 1 <= i <= len(names):
            raise TfprepError(f"there is no drill number {i}: the list has {len(names)}",
                              hint="run `tfprep drill` to see the numbers")
        return names[i - 1]
    return name


def progress(conn: sqlite3.Connection) -> dict[str, dict]:
    """Per drill: attempts, passed, best checks passed/total, hints used (bug hunts not counted)."""
    out: dict[str, dict] = {}
    for r in conn.execute(
        "SELECT drill, COUNT(*) AS attempts, MAX(passed) AS passed,"
        " MAX(CAST(checks_passed AS REAL) / MAX(checks_total, 1)) AS best FROM drill_attempts"
        " WHERE hunt IS NULL GROUP BY drill"
    ):
        out[r["drill"]] = {"attempts": r["attempts"], "passed": bool(r["passed"]), "best": r["best"]}
    for r in conn.execute("SELECT drill, COUNT(*) AS n FROM drill_events WHERE kind = 'hint' GROUP BY drill"):
        out.setdefault(r["drill"], {"attempts": 0, "passed": False, "best": None})["hints"] = r["n"]
    for d in out.values():
        d.setdefault("hints", 0)
        d["status"] = "passed" if d["passed"] else ("attempted" if d["attempts"] else "new")
    return out


def listing(conn: sqlite3.Connection) -> list[dict]:
    prog = progress(conn)
    cards = schedule(conn)
    rows = []
    for name in available():
        d = load(name)
        p = prog.get(name, {"status": "new", "attempts": 0, "best": None, "hints": 0})
        card = cards.get(name)
        rows.append({"name": name, "tier": d.tier, "title": d.title, "tags": d.tags, "difficulty": d.difficulty,
                     "status": p["status"], "attempts": p["attempts"], "best": p["best"], "hints": p["hints"],
                     "due": card["due"] if card else None, "minutes": stated_minutes(d)})
    return rows


# --- grading --------------------------------------------------------------------------------

def missing_requirements(drill: Drill) -> list[str]:
    """The drill's requirements (numpy, torch, triton) that are not installed; nothing is imported."""
    import importlib.util

    return [req for req in drill.requires if req in INSTALL and importlib.util.find_spec(req) is None]


def install_command(missing: list[str], gpu: bool | None = None) -> str | None:
    """The one command that installs what is missing: the torch extra for torch alone; for triton,
    the gpu extra on a machine with a GPU, else triton itself (next to torch) for the CPU interpreter."""
    if not missing:
        return None
    if "triton" in missing:
        if not sys.platform.startswith("linux"):
            return f"{INSTALL['triton']}   (Triton runs on Linux only: use a Linux machine, or WSL on Windows)"
        if gpu_present() if gpu is None else gpu:
            return INSTALL["triton"]
        extra = "'tfprep[torch]' triton" if "torch" in missing else "triton"
        return f"pip install {extra}   ({TRITON_CPU_NOTE})"
    if "torch" in missing:
        return INSTALL["torch"]
    return INSTALL[missing[0]]


def missing_capability(drill: Drill) -> str | None:
    """The install command for what the drill needs and is not installed, or None."""
    return install_command(missing_requirements(drill))


def capability_error(drill: Drill) -> TfprepError | None:
    """The exit-3 error for a drill whose requirements are not installed, or None."""
    missing = missing_requirements(drill)
    if not missing:
        return None
    return TfprepError(f"drill '{drill.name}' needs {', '.join(drill.requires)} ({', '.join(missing)} not installed)",
                       ExitStatus.MISSING, hint=f"install it with: {install_command(missing)}")


def check_source(file: Path) -> None:
    """A file to grade must be a readable Python source file: say plainly what it is otherwise."""
    import stat

    try:
        mode = file.stat().st_mode
    except FileNotFoundError:
        raise TfprepError(f"cannot read {file}: no such file") from None
    except OSError as exc:
        raise TfprepError(f"cannot read {file}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise TfprepError(f"{file} is a folder, not a Python file", hint="pass the .py file to grade")
    if not stat.S_ISREG(mode):
        raise TfprepError(f"{file} is not a regular file (a pipe or a device?)", hint="pass the .py file to grade")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise TfprepError(f"cannot read {file}: {exc.strerror or exc}") from None
    if b"\0" in data[:1 << 20]:
        raise TfprepError(f"{file} is a binary file, not Python source", hint="pass the .py file to grade")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise TfprepError(f"{file}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x})",
                          hint="save the file as UTF-8") from None


def grade(drill: Drill, file: Path, warm: bool = False):
    """Run the hidden suite on `file` in a child process and return the Report; `warm`: fork the
    child from a server that keeps the tier's libraries imported (watch mode grades again on
    every save: torch's import is then paid once, not each time)."""
    from tfprep.grading.runner import run_suite

    check_source(file)
    missing = capability_error(drill)
    if missing:
        raise missing
    return run_suite(drill.suite, file, drill=drill.name, time_limit=drill.time_limit, memory_mb=memory_cap(drill),
                     crash_hint=CRASH_HINT.get(drill.tier), tier=drill.tier, warm=warm)


def gpu_present() -> bool:
    """Whether an NVIDIA GPU is here, without importing torch (the driver's control device)."""
    return Path("/dev/nvidiactl").exists()


def memory_cap(drill: Drill) -> int:
    """The child's address-space cap in MB; none (0) for kernels on a GPU, since initialising CUDA
    reserves far more address space than any cap a grader would set."""
    if drill.tier == "triton" and gpu_present():
        return 0
    return drill.memory_mb
