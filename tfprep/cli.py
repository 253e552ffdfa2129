"""The `tfprep` command line: thin commands that parse options, call the core, render the result.

Nothing heavy is imported at module level: `tfprep --help` and the quiz never load numpy,
torch or triton (tests/test_imports.py proves it).
"""
from __future__ import annotations

import functools
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer

from tfprep import __version__, complete
from tfprep.errors import ExitStatus, TfprepError

app = typer.Typer(
    name="tfprep",
    help="Get ready for Transformer / LLM interviews: spaced-repetition questions and graded coding drills.\n\n"
         "Examples:\n\n\b\n  tfprep quiz                 review what is due, then new cards\n"
         "  tfprep drill attention      start (then grade) the attention drill\n"
         "  tfprep stats                progress, retention and what is due\n"
         "  tfprep bench flash-attention  time a flash-attention kernel (CUDA GPU)\n"
         "  tfprep paths                where your progress is kept (TFPREP_HOME)",
    invoke_without_command=True,  # `tfprep` alone is the home screen
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain Click help: rich's help renderer costs ~70 ms per start
    context_settings={"help_option_names": ["-h", "--help"]},
)
bank_app = typer.Typer(help="List, show and validate the question banks.\n\nExamples:\n\n\b\n  tfprep bank list\n"
                            "  tfprep bank show core-qkv-roles\n  tfprep bank check my_bank.yaml", no_args_is_help=True,
                     rich_markup_mode=None)
app.add_typer(bank_app, name="bank")
card_app = typer.Typer(help="Keep cards out of the quiz: suspend (until unsuspended) or bury (until tomorrow).\n\n"
                            "Examples:\n\n\b\n  tfprep card suspend core-qkv-roles\n  tfprep card bury core-qkv-roles\n"
                            "  tfprep card unsuspend core-qkv-roles", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(card_app, name="card")


def now() -> datetime:
    return datetime.now(timezone.utc)


def _json_requested(kwargs: dict) -> bool:
    """Whether the running command was given --json (its `as_json`, or the option named --json of
    the current Click context: the home screen's is on the group)."""
    if kwargs.get("as_json"):
        return True
    try:
        from typer._click.globals import get_current_context  # typer 0.26-0.28 bundle their Click
    except ImportError:  # pragma: no cover - a typer on the real Click
        from click import get_current_context
    ctx = get_current_context(silent=True)
    if ctx is None:
        return False
    return any("--json" in getattr(p, "opts", ()) and ctx.params.get(p.name) for p in ctx.command.params)


def _dumps(value, **kwargs) -> str:
    """json.dumps, imported when a command prints JSON (json is ~1 ms of every start otherwise)."""
    import json

    return json.dumps(value, **kwargs)


def handled(fn):
    """Turn TfprepError into a message and its exit status; never a traceback for bad input.
    With --json the error is JSON on stdout too, {"error", "hint", "status"}, and nothing else is
    (the message also goes to stderr, as always)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TfprepError as exc:
            from tfprep import console

            if _json_requested(kwargs):
                typer.echo(_dumps({"error": exc.message, "hint": exc.hint, "status": int(exc.status)}))
            console.error(exc.message, exc.hint)
            raise typer.Exit(int(exc.status)) from None
        except KeyboardInterrupt:
            raise typer.Exit(130) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tfprep {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
    as_json: bool = typer.Option(False, "--json", help="With no command: print the home screen as JSON."),
) -> None:
    """Get ready for Transformer / LLM interviews.

    Run `tfprep` alone for today's home screen: what is due, today's plan, the next command.
    """
    if ctx.invoked_subcommand is None:
        _home(as_json)


@handled
def _home(as_json: bool) -> None:
    from tfprep import banks as banks_mod, config, home, plan as plan_mod, store

    settings = config.load()
    conn = store.connect(write=False)
    all_banks = banks_mod.load_all()
    t = now()
    new = plan_mod.new_allowance(conn, t, settings["new_per_day"].value)  # as the quiz's default
    data = home.compute(conn, all_banks, t, new_per_day=new, plan_day=plan_mod.today(conn, all_banks, t),
                        reviews_per_day=settings["reviews_per_day"].value)
    if as_json:
        typer.echo(_dumps(data, indent=2))
        return
    from tfprep import cardview, paths

    cardview.home(data, home.later(t, data["next_card_due"]), str(paths.home()))


# --- quiz -----------------------------------------------------------------------------------

DEFAULT_NEW = 10  # new cards a day when neither --new, config.toml's new_per_day nor the plan asks for more

@app.command()
@handled
def quiz(
    bank: str = typer.Option("all", "--bank", "-b", help="core25, grill60, probing, all, a bank of yours (TFPREP_HOME/banks), or a bank file (.yaml).",
                             autocompletion=complete.bank_names),
    tag: Optional[str] = typer.Option(None, "--tag", "-t", help="Only questions with this tag.", autocompletion=complete.tags),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", min=1, help="At most this many cards."),
    new: Optional[int] = typer.Option(None, "--new", min=0, help="New cards allowed today (default: new_per_day of `tfprep config`, 10, or what the plan has due by today if more)."),
    cram: bool = typer.Option(False, "--cram", help="Practise any cards without touching the schedule."),
    type_answer: bool = typer.Option(False, "--type", help="Type your answer; tfprep marks the key points it covers and suggests a rating."),
    timed: Optional[float] = typer.Option(None, "--timed", min=1, help="Seconds of countdown before the reveal."),
    retention: Optional[float] = typer.Option(None, "--retention", help="FSRS desired retention (0.70-0.99; default: desired_retention of `tfprep config`, 0.9)."),
) -> None:
    """Review interview questions as spaced-repetition flashcards (FSRS).

    Due cards come first, then up to --new new cards a day. After each answer rate your recall 1-4 (Again, Hard, Good, Easy); `u` undoes the last rating, `q` or Ctrl-C ends the session. Every rating is saved the moment it is given. Works from a pipe, too (one line per step).

    On a terminal, single keys: Space or Enter reveals, 1-4 rate, u undoes the last rating (before a reveal too: that card comes back), s suspends and b buries the card, e shows its bank file and line, q quits. With --type, write your answer over several lines (readline editing; an empty line submits it); the key points it covers and a suggested rating are shown, and you still press the rating yourself.

    Examples:

    \b
      tfprep quiz --bank core25 --limit 10
      tfprep quiz --tag attention --type
      tfprep quiz --cram --timed 60
    """
    from tfprep import banks as banks_mod, cardview, config, interactive, quiz as quiz_mod, stats, store
    from tfprep.scheduler import Scheduler

    settings = config.load()  # flags override it for this run
    scheduler = Scheduler(settings["desired_retention"].value if retention is None else retention)
    all_banks, bank = banks_mod.with_file(banks_mod.load_all(), bank)
    questions = banks_mod.select(all_banks, bank, tag)
    conn = store.connect()
    if bank == "all" and tag is None:
        from tfprep import plan

        questions = plan.in_plan_order(questions)  # due cards first, then new cards in the plan's order
        if new is None:
            new = plan.new_allowance(conn, now(), settings["new_per_day"].value)
    new = settings["new_per_day"].value if new is None else new
    reviews_cap = settings["reviews_per_day"].value
    queue = quiz_mod.choose(conn, questions, now(), limit=limit, new_per_day=new, cram=cram,
                            reviews_per_day=reviews_cap)
    if not queue:
        due = conn.execute("SELECT MIN(due) FROM cards").fetchone()[0]
        capped = quiz_mod.review_allowance(conn, now(), reviews_cap) == 0
        cardview.info("Nothing due right now" + (f"; next card due {cardview.when(store.parse_ts(due))}." if due else ".")
                     + (f" Today's {reviews_cap} reviews (reviews_per_day) are done." if capped else "")
                     + " Try --new N for more new cards, or --cram to practise anyway.")
        return
    session = quiz_mod.QuizSession(conn, scheduler, queue, now, cram=cram,
                                   leech_threshold=settings["leech_threshold"].value)
    where = {q.id: f"{b.path}:{b.id_lines.get(q.id, 0)}" for b in all_banks.values() for q in b.questions}
    interrupted = interactive.run(session, type_answers=type_answer, timed=timed, where=where)
    cardview.summary({"seen": session.seen, "ratings": {int(r): n for r, n in session.ratings.items() if n},
                     "next_due": session.next_due(), "streak": stats.streak(conn, now().astimezone().date()),
                     "cram": cram})
    if interrupted:
        raise typer.Exit(130)


# --- stats ----------------------------------------------------------------------------------

@app.command("stats")
@handled
def stats_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    plot: Optional[Path] = typer.Option(None, "--plot", metavar="PNG", dir_okay=False,
                                        help="Also draw the charts into this PNG file (needs matplotlib: "
                                             "pip install 'tfprep[plot]')."),
) -> None:
    """Reviews, retention, due forecast, streak, mastery per bank and tag, drills, with charts.

    The charts: cards due on each of the next 30 days, reviews per day over the last year (a
    square a day, darker for more), retention per week over the last 26 weeks and drills passed
    per tier. They fit 80 columns and shade with characters when colour is off (NO_COLOR or a
    pipe). --plot draws the same four into one PNG; --json has their series too
    (forecast_30_days, reviews_per_day, retention_by_week, drills_by_tier).

    Examples:

    \b
      tfprep stats
      tfprep stats --json | jq .retention
      tfprep stats --plot progress.png
    """
    from tfprep import banks as banks_mod, stats, store

    if plot is not None:
        from tfprep import plot as plot_mod

        plot_mod.require()  # exit 3 with the install command before any work
    data = stats.compute(store.connect(write=False), banks_mod.load_all(), now())
    if as_json:
        typer.echo(_dumps(data, indent=2))
    else:
        from tfprep import console

        console.stats(data)
    if plot is not None:
        written = plot_mod.write(data, plot)
        typer.echo(f"Charts written to {written}", err=as_json)


# --- banks ----------------------------------------------------------------------------------

@bank_app.command("list")
@handled
def bank_list() -> None:
    """The banks with their question counts, new cards and cards due now.

    Example:

    \b
      tfprep bank list
    """
    from tfprep import banks as banks_mod, console, quiz as quiz_mod, store

    conn = store.connect(write=False)
    rows = []
    t = store.ts(now())
    for b in banks_mod.load_all().values():
        cards = quiz_mod.card_rows(conn, [q.id for q in b.questions])
        rows.append({"bank": b.name, "title": b.title, "questions": len(b.questions),
                     "new": len(b.questions) - len(cards), "due": sum(r["due"] <= t for r in cards.values())})
    console.bank_list(rows)


@bank_app.command("show")
@handled
def bank_show(
    qid: str = typer.Argument(..., help="The question's id (as `e` shows in the quiz, or in the bank file).",
                              autocompletion=complete.question_ids),
    as_json: bool = typer.Option(False, "--json", help="Print the question and its card's state as JSON."),
) -> None:
    """Show one question with its model answer, key points, follow-ups, drills and sources, and
    the card's state: due, reviews, lapses, suspended, buried, leech.

    Example:

    \b
      tfprep bank show core-qkv-roles
      tfprep bank show core-qkv-roles --json
    """
    from tfprep import banks as banks_mod, cardview, cards, console, store

    q = banks_mod.find(banks_mod.load_all(), qid)
    if as_json:
        try:
            status = cards.status(store.connect(write=False), q.id, now())
            card = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in status.items()}
        except TfprepError:  # an unusable store: the question is still worth showing
            card = None
        typer.echo(_dumps({**q._asdict(), "card": card}, indent=2))
        return
    cardview.question(q, 1, 1)
    cardview.reveal(q)
    try:
        status = cards.status(store.connect(write=False), q.id, now())
    except TfprepError:  # an unusable store: the question is still worth showing
        return
    console.card_status(status)


@bank_app.command("search")
@handled
def bank_search(
    text: list[str] = typer.Argument(..., help="Words to look for; a question must contain every one (in its text, tags or answer)."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="At most this many results."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Search every bank (yours in TFPREP_HOME/banks too) by question, answer and tags.

    Case-insensitive; every word must appear somewhere (parts of words count: `cache` finds
    `KV-cache`). Best first: more of the words in the question text, then in the tags, then in
    the answer.

    Examples:

    \b
      tfprep bank search kv cache
      tfprep bank search rope --limit 5 --json
    """
    from tfprep import banks as banks_mod

    words = " ".join(text)
    rows = banks_mod.search(banks_mod.load_all(), words, limit)
    if as_json:
        typer.echo(_dumps(rows, indent=2))
        return
    from tfprep import console

    console.search_results(rows, words)


@bank_app.command("check")
@handled
def bank_check(
    files: Optional[list[Path]] = typer.Argument(None, help="Bank files to check (default: every shipped bank and yours in TFPREP_HOME/banks)."),
) -> None:
    """Validate bank files: YAML, fields, ids unique across banks, difficulty, drill names.

    Every problem is printed as file:line and the exit status is 2 if there is any. A question that
    names a drill of the catalog not written yet gets a warning (not an error).

    Examples:

    \b
      tfprep bank check
      tfprep bank check question_bank/grill60.yaml
    """
    from tfprep import banks as banks_mod, console

    shipped = banks_mod.bank_files()
    every = shipped + banks_mod.user_bank_files()
    if files:
        missing = [f for f in files if not f.is_file()]
        if missing:
            raise TfprepError(f"cannot read {missing[0]}: no such file")
        chosen = [f.resolve() for f in files]
        # ids must stay unique across the shipped banks (and the learner's own) too
        paths = [p for p in every if p.resolve() not in chosen] + chosen
    else:
        chosen = paths = every
    banks, found = banks_mod.check(paths)
    found = [p for p in found if Path(p.file).resolve() in {c.resolve() for c in chosen}]
    if found:
        console.problems(found, chosen)
        raise typer.Exit(int(ExitStatus.USAGE))
    mine = [b for b in banks if b.path.resolve() in {c.resolve() for c in chosen}]
    console.warnings(banks_mod.unwritten_drills(mine))
    if not files:  # the shipped banks: the plan must cover every question and drill
        from tfprep import plan

        gaps = plan.problems({b.name: b for b in banks if b.path in shipped})  # the learner's banks are on no day
        if gaps:
            console.problem_lines(gaps)
            raise typer.Exit(int(ExitStatus.USAGE))
    n = sum(len(b.questions) for b in mine)
    console.info(f"[green]ok[/]: {len(chosen)} file(s), {n} questions, no problems"
                 + ("; the plan covers every question and drill" if not files else ""))


@bank_app.command("export")
@handled
def bank_export(
    out: Path = typer.Option(..., "--out", "-o", help="The .apkg file to write (anki), or the folder for one BANK.md per bank (md)."),
    fmt: str = typer.Option("anki", "--format", "-f", help="anki (a package for Anki, one deck per bank) or md (printable study sheets)."),
    bank: str = typer.Option("all", "--bank", "-b", help="core25, grill60, probing or all."),
    force: bool = typer.Option(False, "--force", help="Replace existing files; each old one is kept beside it as a .bak."),
) -> None:
    """Export the questions for Anki or as printable Markdown study sheets.

    anki: one deck per bank (tfprep::core25, ...) of notes with the question, the answer (HTML,
    math for MathJax), key points, follow-ups and sources; tagged with the question's tags and
    tfprep::BANK. Note ids come from the question ids, so importing a newer export updates the
    notes instead of duplicating them. Needs genanki: pip install 'tfprep[anki]'.

    md: one BANK.md per bank in the --out folder: every question as a heading with its answer,
    key points, follow-ups and sources.

    An existing file is only replaced with --force, and then kept beside it under a .bak name.

    Examples:

    \b
      tfprep bank export --out tfprep.apkg
      tfprep bank export --bank core25 --out core25.apkg --force
      tfprep bank export --format md --out study-sheets
    """
    from tfprep import banks as banks_mod, console, export

    result = export.export(banks_mod.load_all(), fmt, out, bank=bank, force=force, now=now())
    console.exported(result)


# --- cards ----------------------------------------------------------------------------------

CARD_ID_HELP = "The question's id (as the quiz shows it, or `tfprep bank search` finds it)."


def _card(qid: str):
    from tfprep import banks as banks_mod, cards, store

    conn = store.connect()
    return conn, cards.resolve(conn, banks_mod.load_all(), qid)


@card_app.command("suspend")
@handled
def card_suspend(qid: str = typer.Argument(..., help=CARD_ID_HELP, autocompletion=complete.question_ids)) -> None:
    """Keep a card out of the quiz until `tfprep card unsuspend ID` (its schedule is kept).

    Example:

    \b
      tfprep card suspend core-qkv-roles
    """
    from tfprep import cards, console

    conn, card_id = _card(qid)
    cards.suspend(conn, card_id, now())
    console.plain(f"Suspended {card_id}: the quiz will not show it until `tfprep card unsuspend {card_id}`.")


@card_app.command("unsuspend")
@handled
def card_unsuspend(qid: str = typer.Argument(..., help=CARD_ID_HELP, autocompletion=complete.question_ids)) -> None:
    """Bring a suspended (or buried) card back into the quiz; a leech keeps its tag.

    Example:

    \b
      tfprep card unsuspend core-qkv-roles
    """
    from tfprep import cards, console

    conn, card_id = _card(qid)
    was = cards.unsuspend(conn, card_id, now())
    console.plain(f"{card_id} is back in the quiz." if was else f"{card_id} was not suspended or buried.")


@card_app.command("bury")
@handled
def card_bury(qid: str = typer.Argument(..., help=CARD_ID_HELP, autocompletion=complete.question_ids)) -> None:
    """Skip a card until the next day (local time).

    Example:

    \b
      tfprep card bury core-qkv-roles
    """
    from tfprep import cards, console

    conn, card_id = _card(qid)
    until = cards.bury(conn, card_id, now())
    console.plain(f"Buried {card_id} until {console.when(until)}.")


# --- drills ---------------------------------------------------------------------------------

@app.command()
@handled
def drill(
    name: Optional[str] = typer.Argument(None, help="The drill; omit to list them all.", autocompletion=complete.drill_names),
    file: Optional[Path] = typer.Option(None, "--file", "-f", help="Grade this file instead of the workspace file."),
    hint: bool = typer.Option(False, "--hint", help="Reveal the next hint (recorded)."),
    solution: bool = typer.Option(False, "--solution", help="Show the reference implementation (recorded)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (with --solution or --reset)."),
    reset: bool = typer.Option(False, "--reset", help="Restore the starter (asks first); every old file is kept as a backup."),
    watch: bool = typer.Option(False, "--watch", "-w", help="Re-grade every time the file is saved (Ctrl-C stops)."),
    as_json: bool = typer.Option(False, "--json", help="Print the grading report as JSON, and nothing else."),
    workspace: Optional[Path] = typer.Option(None, "--workspace", help="Folder for drill files (default: env TFPREP_WORKSPACE, else `tfprep config workspace`, else TFPREP_HOME/workspace)."),
    bug: Optional[str] = typer.Argument(None, help="With --fix: the bug to hunt (default: a random one not fixed yet)."),
    fix: bool = typer.Option(False, "--fix", help="Bug hunt: get a solution with one classic bug to find and fix (a random one, or BUG); run again to grade it."),
    play: bool = typer.Option(False, "--play", help="gpt only: once your file passes, train your GPT on text and let it write."),
    seconds: float = typer.Option(60.0, "--seconds", help="With --play: how long to train (1-3600 s)."),
    temperature: float = typer.Option(0.8, "--temperature", help="With --play: sampling temperature (> 0)."),
    top_k: Optional[int] = typer.Option(None, "--top-k", help="With --play: sample among the k most likely characters."),
) -> None:
    """Coding drills graded by a hidden test suite: NumPy, PyTorch and Triton.

    The first run writes the starter file and prints the task; every later run grades your file.
    Exit status: 0 passed, 1 graded and failed, 2 usage error, 3 missing torch/triton/GPU.
    The list (no NAME) is a table on a terminal; piped, it is one line per drill:
    NAME<TAB>tier<TAB>status<TAB>due (due: YYYY-MM-DD, or - when not scheduled).
    --watch on a terminal: the screen is cleared before each grading, the verdict comes first,
    and the keys h (the next hint) and q (quit) work without Enter.

    Examples:

    \b
      tfprep drill                      list the drills with your status
      tfprep drill attention            start, then grade, the attention drill
      tfprep drill attention --hint     reveal the next hint
      tfprep drill attention --file my_attn.py --json
      tfprep drill gpt --play --top-k 10   train your own GPT for a minute, then sample
      tfprep drill attention --fix      a bug hunt: find and fix the classic bug (again to grade)
      tfprep drill attention --fix no_scale   hunt that bug
    """
    from tfprep import drills as drills_mod, store

    conn = store.connect()
    if name is None:
        from tfprep import console

        rows = drills_mod.listing(conn)
        if as_json:
            typer.echo(_dumps(rows, indent=2))
        else:
            console.drill_list(rows)
        return
    if name == "next":
        _drill_next(conn, workspace, as_json)
        return
    d = drills_mod.load(drills_mod.resolve(name))
    if bug is not None and not fix:
        raise TfprepError(f"unexpected extra argument '{bug}'", hint=f"to hunt that bug: tfprep drill {d.name} --fix {bug}")
    if fix:
        _bug_hunt(d, conn, bug, workspace, as_json)
        return
    if play:
        _check_play(d.name, seconds, temperature, top_k)
    target = file or drills_mod.workspace_file(d, workspace)
    if file is None:
        drills_mod.check_workspace(target.parent)
    if hint or solution or reset:
        from tfprep import console

        result: dict = {"drill": d.name}  # what --json prints
        if as_json and not yes and (solution or (reset and target.exists())):
            raise TfprepError("--json cannot ask for confirmation: add --yes to reset or to show the solution",
                              hint=f"tfprep drill {d.name} {'--reset' if reset else '--solution'} --yes --json")
        if hint:
            index, revealed = drills_mod.next_hint(d, conn, now())
            if as_json:
                result["hint"] = {"revealed_now": index or None, "total": len(d.hints), "hints": revealed}
            else:
                console.hints(revealed, index, len(d.hints))
        if reset:
            if target.exists() and not yes and not console.confirm(
                    f"Replace {target} with the starter? Your file is kept as a backup beside it."):
                console.info("Not reset: your file is unchanged.")
                return
            backup = drills_mod.reset(d, target, conn, now())
            if as_json:
                result["reset"] = {"file": str(target), "kept": str(backup) if backup else None}
            else:
                console.plain(f"Restored the starter in {target}" + (f"; your old file is {backup}" if backup else ""))
        if solution:
            if not yes and not console.confirm(f"Show the reference solution of '{name}'? It is recorded in your progress."):
                console.info("Not shown.")
                return
            drills_mod.record_event(conn, d.name, "solution", now())
            source = d.reference.read_text(encoding="utf-8")
            if as_json:
                result["solution"] = {"path": str(d.reference), "source": source}
            else:
                console.solution(source, d.reference)
        if as_json:
            typer.echo(_dumps(result, indent=2))
        return
    if file is None and not target.exists():
        from tfprep import console

        drills_mod.create_workspace_file(d, target)
        drills_mod.record_event(conn, d.name, "start", now())
        missing = drills_mod.capability_error(d)
        if as_json:
            typer.echo(_dumps({"drill": d.name, "started": True, "file": str(target),
                                   "missing": missing.message if missing else None,
                                   "install": missing.hint.removeprefix("install it with: ") if missing else None}))
        else:
            console.statement(d, target)
        if missing:
            _warn_missing(missing)
        return
    if watch:
        if as_json:
            raise TfprepError("--watch re-grades until you stop it, so it cannot print one JSON report",
                              hint=f"grade once with: tfprep drill {d.name} --json")
        _watch(d, target, conn)
        return
    report = _grade(d, target, live=not as_json)
    review = drills_mod.record_attempt(conn, report, now())
    played = _play(target, seconds, temperature, top_k, as_json) if play and report.passed else None
    if as_json:
        data = {**report.to_dict(), "schedule": _review_dict(review)}
        typer.echo(_dumps(data if played is None else {"report": data, "play": played}, indent=2))
    else:
        from tfprep import console

        console.report(report)
        console.drill_review(review)
        if played is not None:
            console.play_result(played)
        elif play:
            console.info("--play needs a passing GPT: fix the failures above first.")
    raise typer.Exit(int(ExitStatus.OK if report.passed else ExitStatus.FAILED))


def _bug_hunt(d, conn, wanted: Optional[str], workspace: Optional[Path], as_json: bool) -> None:
    """Start a bug hunt (a named bug, or a random one when none is in progress), or grade the one
    in progress; the bug is named only once the file passes."""
    from tfprep import console, drills as drills_mod

    target = drills_mod.hunt_file(d, workspace)
    current, fixed = drills_mod.hunts(conn, d.name)
    if wanted is not None or current is None or not target.exists():
        bug = drills_mod.choose_bug(d, conn, wanted or None)
        kept = drills_mod.start_hunt(d, bug, target, conn, now())
        if as_json:
            typer.echo(_dumps({"hunt": "started", "drill": d.name, "file": str(target), "kept": str(kept) if kept else None}))
            return
        console.plain(f"This implementation of {d.name} has one classic bug; find and fix it.")
        console.plain(f"File: {target}" + (f" (the old one is kept as {kept})" if kept else ""))
        console.plain(f"Grade it with: tfprep drill {d.name} --fix")
        return
    report = _grade(d, target, live=not as_json)
    label = drills_mod.bug_label(drills_mod.bugs(d)[current])
    if not report.passed:
        drills_mod.hide_diagnosis(report)
    drills_mod.record_attempt(conn, report, now(), hunt=current)
    if as_json:
        data = {**report.to_dict(), "hunt": current, "bug": label if report.passed else None}
        typer.echo(_dumps(data, indent=2))
    else:
        console.report(report)
        if report.passed:
            from tfprep import banks as banks_mod

            related = d.questions or [q.id for b in banks_mod.load_all().values() for q in b.questions
                                      if d.name in q.drills]
            console.hunt_solved(label, related[:3], len(fixed | {current}), len(drills_mod.bugs(d)))
        else:
            console.info("Not fixed yet: the failing checks above say what is still wrong (the bug is named once it passes).")
    raise typer.Exit(int(ExitStatus.OK if report.passed else ExitStatus.FAILED))


def _review_dict(review) -> dict:
    return {"counted": review.counted, "rating": review.rating, "reason": review.reason,
            "due": review.due.isoformat() if review.due else None}


def _drill_next(conn, workspace: Optional[Path], as_json: bool = False) -> None:
    """Open the most due drill (a fresh starter if it was passed before; the old file is kept),
    else the next new one in the catalog."""
    from tfprep import console, drills as drills_mod

    name, why = drills_mod.next_drill(conn, now())
    if name is None:
        if as_json:
            typer.echo(_dumps({"drill": None, "why": why}))
        else:
            console.info(f"No drill to open: {why}.")
        return
    d = drills_mod.load(name)
    target = drills_mod.workspace_file(d, workspace)
    drills_mod.check_workspace(target.parent)
    kept = None
    if not as_json:
        console.info(f"Next: {name} ({why}).")
    if not target.exists():
        drills_mod.create_workspace_file(d, target)
        drills_mod.record_event(conn, d.name, "start", now())
    elif drills_mod.needs_fresh_start(conn, name):
        kept = drills_mod.reset(d, target, conn, now())
        if not as_json:
            console.plain(f"A fresh starter is in {target}; the file you passed with is kept as {kept}.")
    missing = drills_mod.capability_error(d)
    if as_json:
        typer.echo(_dumps({"drill": name, "why": why, "file": str(target), "kept": str(kept) if kept else None,
                               "missing": missing.message if missing else None}, indent=2))
    else:
        console.statement(d, target)
    if missing:
        _warn_missing(missing)


def _warn_missing(missing: TfprepError) -> None:
    """A drill written to the workspace that cannot be graded here yet: say so now, with the fix."""
    from tfprep import console

    console.missing_warning(f"{missing.message}: your file is ready, but it cannot be graded here (exit "
                            "status 3) until you install it with:", missing.hint.removeprefix("install it with: "))


def _check_play(name: str, seconds: float, temperature: float, top_k: Optional[int]) -> None:
    if name != "gpt":
        raise TfprepError(f"--play works with the gpt drill only, not '{name}'", hint="tfprep drill gpt --play")
    if not 1 <= seconds <= 3600:
        raise TfprepError(f"--seconds must be between 1 and 3600, got {seconds:g}")
    if not temperature > 0:
        raise TfprepError(f"--temperature must be greater than 0, got {temperature:g}")
    if top_k is not None and top_k < 1:
        raise TfprepError(f"--top-k must be at least 1, got {top_k}")


def _play(target: Path, seconds: float, temperature: float, top_k: Optional[int], as_json: bool) -> dict:
    """Train the learner's (passing) GPT on the banks' answers in a child process; the events,
    shown live on a terminal, summed up as {"steps": [...], "sample": ..., "error": ...}."""
    import tempfile

    from tfprep import console, play as play_mod

    with tempfile.TemporaryDirectory(prefix="tfprep-play-") as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text(play_mod.corpus_text(), encoding="utf-8")
        events = play_mod.run(target, corpus, seconds=seconds, temperature=temperature, top_k=top_k)
        return console.play_live(events, seconds, live=not as_json)


def _grade(d, target: Path, live: bool, warm: bool = False):
    """Grade in the child process, with a spinner and the elapsed time on a terminal."""
    from tfprep import drills as drills_mod

    if not live:
        return drills_mod.grade(d, target, warm)
    from tfprep import console

    with console.grading_status(f"Grading {d.name}", d.time_limit):
        return drills_mod.grade(d, target, warm)


def _watch(d, target: Path, conn) -> None:
    """Grade on every save: on a terminal the screen is cleared first and the verdict is the top
    line; keys h (the next hint, recorded) and q (quit) work without Enter when stdin is a
    terminal (cbreak mode, restored however the watch ends). From a pipe: Ctrl-C stops."""
    from tfprep import console, drills as drills_mod
    from tfprep.keys import KeyReader

    last = None
    try:
        with KeyReader() as keys:
            if not console.out.is_terminal:  # on a terminal the first grading clears the screen at once
                console.plain(f"Watching {target}; grading on every save. Ctrl-C stops.")
            while True:
                try:
                    st = target.stat()
                    stamp = (st.st_mtime_ns, st.st_size, st.st_ino)  # an editor may replace the file
                except OSError:
                    stamp = None
                if stamp is not None and stamp != last:
                    last = stamp
                    console.clear_screen()
                    report = _grade(d, target, live=True, warm=True)
                    review = drills_mod.record_attempt(conn, report, now())
                    console.verdict(report)
                    console.report(report)
                    console.drill_review(review)
                    console.watch_footer(target, keys.live, report.passed)
                for key in keys.wait(0.5):
                    if key in "qQ\x04":
                        console.info("Stopped watching.")
                        return
                    if key in "hH":
                        index, revealed = drills_mod.next_hint(d, conn, now())
                        console.hints(revealed, index, len(d.hints))
    except KeyboardInterrupt:
        console.info("Stopped watching.")


# --- viz ------------------------------------------------------------------------------------
# `tfprep viz attention | gpt`: heatmaps of attention computed by the learner's own code. The core
# is tfprep/viz.py (the learner's code runs in `python -m tfprep.vizchild`), the drawing
# tfprep/heatmap.py; nothing here imports numpy, torch or matplotlib.

viz_app = typer.Typer(help="See attention: heatmaps of weights computed by your own drill code.\n\nExamples:\n\n\b\n"
                           "  tfprep viz attention\n  tfprep viz attention --png attention.png\n  tfprep viz gpt",
                      no_args_is_help=True, rich_markup_mode=None)
app.add_typer(viz_app, name="viz")


@viz_app.command("attention")
@handled
def viz_attention(
    file: Optional[Path] = typer.Option(None, "--file", "-f", help="Your attention file (default: the workspace's attention.py, as `tfprep drill attention` keeps it)."),
    workspace: Optional[Path] = typer.Option(None, "--workspace", help="Folder of your drill files (default: env TFPREP_WORKSPACE, else `tfprep config workspace`, else TFPREP_HOME/workspace)."),
    png: Optional[Path] = typer.Option(None, "--png", metavar="PATH", dir_okay=False, help="Also draw the heatmaps into this PNG (needs matplotlib: pip install 'tfprep[plot]'); a file already there is kept as PATH.<time>.bak."),
    as_json: bool = typer.Option(False, "--json", help="Print the example (tokens, q, k, v) and each panel's weights as JSON."),
) -> None:
    """Your scaled_dot_product_attention on a labelled 9-token sentence, drawn as heatmaps.

    The queries and keys are fixed and built so the pattern means something: each token looks
    for a related one (sat and it look for the animal, mat for its preposition...). Rows are
    queries, columns keys. Panels: full (no mask), causal (your attention with a causal mask),
    sliding window (your sliding_window_mask as the mask, once your sliding-window drill file
    exists) and ALiBi (your alibi_bias, once your alibi file exists: since the drill's signature
    takes a boolean mask only, the bias is folded exactly into extra columns of q and k, as the
    output says). Each panel is checked against tfprep's own softmax. Exit status: 0 shown; 1
    your code failed (raised, wrong shapes, NaN, rows not summing to 1); 2 bad input (no such
    file); 3 numpy or matplotlib missing.

    Examples:

    \b
      tfprep viz attention
      tfprep viz attention --file my_attention.py --png attention.png
      tfprep viz attention --json | jq '.panels[0].weights'
    """
    from tfprep import viz

    if as_json:
        data = viz.attention(file, workspace, png)
        typer.echo(_dumps(data, indent=2))
    else:
        from tfprep import console, heatmap

        with console.grading_status("Running your attention", viz.ATTENTION_TIMEOUT):
            data = viz.attention(file, workspace, png)
        heatmap.attention(data)
    if data["png"]:
        typer.echo(f"Heatmaps written to {data['png']}" + (f" (the old file is kept as {data['png_kept']})"
                                                           if data["png_kept"] else ""), err=as_json)
    if data["failed"]:
        raise typer.Exit(int(ExitStatus.FAILED))


@viz_app.command("gpt")
@handled
def viz_gpt(
    text: Optional[str] = typer.Option(None, "--text", "-t", help="The text to run it on, 2 to 64 characters of its training alphabet (default: a sentence of its training text)."),
    png: Optional[Path] = typer.Option(None, "--png", metavar="PATH", dir_okay=False, help="Also draw every head into this PNG (needs matplotlib: pip install 'tfprep[plot]'); a file already there is kept as PATH.<time>.bak."),
    as_json: bool = typer.Option(False, "--json", help="Print every head's weights and numbers as JSON."),
) -> None:
    """Every head of the GPT that `tfprep drill gpt --play` trained: a heatmap each, and its numbers.

    The saved model (TFPREP_HOME/play/gpt/model.pt) is rebuilt from the copy of your source saved
    with it and run on the text; the weights are the results of the softmax calls of its forward
    pass with shape (B, H, T, T) (or one (B, T, T) per head), so your code needs no changes. Per
    head: entropy (nats, mean over queries 1..T-1; uniform: the same for a head spreading evenly
    over the keys each query sees; ln T is the most a row can reach), the mean weight on the
    previous token, on the token itself and on the first token (queries 2..T-1), and a reading,
    the first that applies: previous-token (prev >= 0.5), self (self >= 0.5), first-token/sink
    (first >= 0.5), uniform (entropy >= 0.9 x uniform), sharp (entropy <= 0.3 x uniform), else
    mixed. Exit status: 2 no saved model or bad --text; 1 the model failed; 3 torch missing.

    Examples:

    \b
      tfprep drill gpt --play           train your GPT (it is saved)
      tfprep viz gpt
      tfprep viz gpt --text "The KV cache grows." --png heads.png
      tfprep viz gpt --json | jq '.heads[] | {layer, head, reading}'
    """
    from tfprep import viz

    if as_json:
        data = viz.gpt(text, png)
        typer.echo(_dumps(data, indent=2))
    else:
        from tfprep import console, heatmap

        with console.grading_status("Running your GPT", viz.GPT_TIMEOUT):
            data = viz.gpt(text, png)
        heatmap.gpt(data)
    if data["png"]:
        typer.echo(f"Heatmaps written to {data['png']}" + (f" (the old file is kept as {data['png_kept']})"
                                                           if data["png_kept"] else ""), err=as_json)


# --- interview ------------------------------------------------------------------------------

@app.command()
@handled
def interview(
    minutes: int = typer.Option(45, "--minutes", "-m", help="Length of the round (20-120)."),
    drill_name: Optional[str] = typer.Option(None, "--drill", help="The drill to do (default: the weakest or most due)."),
    workspace: Optional[Path] = typer.Option(None, "--workspace", help="Folder for the round's drill file (default: TFPREP_HOME/workspace/interview)."),
    as_json: bool = typer.Option(False, "--json", help="Print the scorecard as JSON on stdout (the round itself goes to stderr)."),
) -> None:
    """A mock interview round: warm-up questions, a drill without hints under a timer, probing questions.

    The shape is shown first and scales with --minutes (45: two warm-ups, a 25-minute drill, two
    probing questions). Questions are chosen from what is weak or due. Every self-rating and the
    drill's grade are ordinary reviews; the scorecard is saved and shown by `tfprep stats`.
    Works from a pipe: answer lines, an empty line, then the rating; Enter (or a file path) submits the drill.

    Examples:

    \b
      tfprep interview
      tfprep interview --minutes 30 --drill attention
    """
    from tfprep import banks as banks_mod, console, drills as drills_mod, interactive, interview as iv, store
    from tfprep.scheduler import Scheduler

    iv.shape(minutes)  # validates the length
    if drill_name is not None:
        drill_name = drills_mod.load(drills_mod.resolve(drill_name)).name
    if as_json:
        console.to_stderr()
    conn = store.connect()
    all_banks = banks_mod.load_all()
    started = now()
    items = iv.choose(conn, all_banks, started, minutes, drill_name)
    drill = drills_mod.load(next(i.id for i in items if i.kind == "drill"))
    missing = drills_mod.capability_error(drill)
    if missing:
        raise missing
    from tfprep import paths as paths_lib

    folder = workspace or (paths_lib.workspace() / "interview")

    def start_drill(item):
        d = drills_mod.load(item.id)
        target = folder / f"{d.module}.py"
        drills_mod.check_workspace(folder)
        if target.exists():
            drills_mod.reset(d, target, conn, now())  # a fresh starter; the old file is kept as a backup
        else:
            drills_mod.create_workspace_file(d, target)
            drills_mod.record_event(conn, d.name, "start", now())
        return d, target

    console.interview_plan(items, minutes)
    finished, interrupted = interactive.run_interview(conn, Scheduler(), all_banks, items, now, folder, start_drill)
    card = iv.save(conn, started, minutes, items, finished)
    if as_json:
        typer.echo(_dumps(card, indent=2))
    else:
        console.scorecard(card)
    if interrupted:
        raise typer.Exit(130)


# --- plan -----------------------------------------------------------------------------------

@app.command()
@handled
def plan(
    interview: Optional[str] = typer.Option(None, "--interview", help="Your interview date, YYYY-MM-DD (remembered)."),
    target: float = typer.Option(0.9, "--target", help="Recall to reach on the day, 0.70-0.99 (with an interview date)."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """The 14-day prep plan: topics, questions and drills for each day, with your progress.

    With an interview date, the plan is fitted to the days left, and the daily load and the
    predicted recall on the day (per bank and drill tier, FSRS) are shown; cards that would
    fall below --target by then are brought forward. The date is remembered: `tfprep`, the
    quiz and later `tfprep plan` runs follow it.

    Examples:

    \b
      tfprep plan
      tfprep plan --interview 2026-12-14
      tfprep plan --interview 2026-12-14 --target 0.95 --json
    """
    from datetime import date

    from tfprep import banks as banks_mod, plan as plan_mod, store

    if not 0.7 <= target <= 0.99:
        raise TfprepError(f"--target must be between 0.70 and 0.99, got {target:g}")
    t = now()
    day = None
    if interview is not None:
        try:
            day = date.fromisoformat(interview)
        except ValueError:
            raise TfprepError(f"--interview must be a date such as 2026-12-14, got {interview!r}") from None
        if day <= t.astimezone().date():
            raise TfprepError(f"the interview date {day.isoformat()} is not after today")
    conn = store.connect()
    all_banks = banks_mod.load_all()
    if day is not None:
        plan_mod.set_interview(conn, day, t.astimezone().date())
    day = day or plan_mod.interview_day(conn)
    if day is not None and day <= t.astimezone().date():
        day = None  # the remembered interview has passed: show the plan itself
    data = plan_mod.overview(conn, all_banks, t)
    if day is not None:
        data["forecast"] = plan_mod.forecast(conn, all_banks, t, day, target)
    if as_json:
        typer.echo(_dumps(data, indent=2))
        return
    from tfprep import console

    console.plan(data)


# --- bench ----------------------------------------------------------------------------------

@app.command()
@handled
def bench(
    kernel: str = typer.Argument(..., help="What to benchmark: flash-attention."),
    file: Optional[Path] = typer.Option(None, "--file", "-f", help="Your kernel file (default: tfprep's reference kernel)."),
    n: str = typer.Option("1024,2048,4096,8192,16384", "--n", help="Sequence lengths, comma-separated."),
    d: str = typer.Option("64,128", "--d", help="Head dims, comma-separated (16, 32, 64, 128)."),
    backward: bool = typer.Option(True, "--backward/--forward-only", help="Also time the backward pass (needs autograd)."),
    as_json: bool = typer.Option(False, "--json", help="Print the measurements as JSON, and nothing else."),
    smoke: bool = typer.Option(False, "--smoke", hidden=True, help="CPU plumbing check with tiny shapes (tests)."),
) -> None:
    """Time a flash-attention kernel against PyTorch's SDPA and tfprep's reference, on a CUDA GPU.

    Fp16, B=4, H=32, causal and not, forward (and backward when your function is differentiable):
    TFLOP/s for each, your speed relative to SDPA's FLASH and default backends and to the
    reference, and the fraction of the card's measured bf16 matmul rate. Without a GPU it exits
    with status 3; correctness can be checked anywhere with `tfprep drill flash-attention-triton`.

    Examples:

    \b
      tfprep bench flash-attention                         the reference kernel's table
      tfprep bench flash-attention --file my_flash.py      your kernel (forward and backward)
      tfprep bench flash-attention -f my_flash.py --n 4096 --d 64 --forward-only
    """
    from tfprep import bench as bench_mod
    from tfprep.errors import did_you_mean

    if kernel not in bench_mod.KERNELS:
        raise TfprepError(f"no benchmark for '{kernel}'", hint=did_you_mean(kernel, list(bench_mod.KERNELS))
                          or f"choose one of: {', '.join(bench_mod.KERNELS)}")
    ns = bench_mod.parse_ints(n, "--n")
    ds = bench_mod.parse_ints(d, "--d", bench_mod.HEAD_DIMS)
    result = bench_mod.flash_attention(file, ns=ns, ds=ds, backward=backward, smoke=smoke)
    if as_json:
        typer.echo(_dumps(result, indent=2))
    else:
        from tfprep import console

        console.bench_table(result)


# --- doctor ---------------------------------------------------------------------------------

@app.command()
@handled
def doctor(
    repair: bool = typer.Option(False, "--repair", help="Keep a damaged progress store aside and rebuild it from its log."),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
) -> None:
    """What works here, one line each, and the command that fixes what does not.

    Python, numpy, torch (version, CPU or CUDA build, CUDA available), triton (a tiny kernel run
    in the CPU interpreter, and on the GPU when there is one), the GPU and its driver, the
    progress store (integrity, schema, size), the drill workspace, the grader's sandbox and the
    optional extras. Each status is ok, missing or broken. numpy, torch and triton are checked
    in child processes with a time limit (TFPREP_DOCTOR_TIMEOUT, default 60 s each), so a broken
    install is reported, never a crash. --json: a list of {name, status, detail, fix, optional}.

    Exit status: 0 when everything installed works (a missing optional extra or GPU is no
    failure); 1 when something is broken, or numpy or Python is not right; 2 when the progress
    store cannot be used.

    With --repair, a damaged store is copied aside under a new name (never overwritten) and a
    sound one is rebuilt from whatever of its review log and drill attempts can still be read;
    card states are replayed from the log.

    Examples:

    \b
      tfprep doctor
      tfprep doctor --json
      tfprep doctor --repair
    """
    from tfprep import diagnose

    if repair:
        from tfprep import store

        result = store.repair(now=now())
        if as_json:
            typer.echo(_dumps(result, indent=2))
        else:
            from tfprep import console

            console.repair_result(result)
        return
    if as_json:
        findings = diagnose.findings()
        typer.echo(_dumps(findings, indent=2))
    else:
        from tfprep import console

        with console.grading_status("Checking numpy, torch and triton in child processes", diagnose.timeout_s()):
            findings = diagnose.findings()
        console.findings(findings)
    failed = diagnose.failures(findings)
    if any(f["name"] == diagnose.STORE for f in failed):
        raise typer.Exit(int(ExitStatus.USAGE))
    if failed:
        raise typer.Exit(int(ExitStatus.FAILED))


# --- config ---------------------------------------------------------------------------------

@app.command(context_settings={"ignore_unknown_options": True})  # a negative VALUE is a value, not an option
@handled
def config(
    key: Optional[str] = typer.Argument(None, help="The setting to show, or to set with VALUE."),
    value: Optional[str] = typer.Argument(None, help="Its new value (written to TFPREP_HOME/config.toml)."),
    unset: Optional[str] = typer.Option(None, "--unset", metavar="KEY", help="Remove a setting from config.toml (back to its default)."),
    as_json: bool = typer.Option(False, "--json", help="Print the settings as JSON."),
) -> None:
    """Settings that stick, kept in TFPREP_HOME/config.toml.

    \b
      new_per_day        new cards a day, 0-1000 (default 10; the plan may allow more)
      reviews_per_day    most reviews of cards in review a day, 0-100000 (default 0: no cap)
      desired_retention  FSRS desired retention, 0.70-0.99 (default 0.9)
      leech_threshold    lapses that make a card a leech (tagged, suspended), 1-100 (default 8)
      workspace          folder for drill files (default TFPREP_HOME/workspace)

    Where a value comes from, first to last: a flag, for one run (quiz --new, quiz --retention,
    drill --workspace); the environment (TFPREP_WORKSPACE, for workspace); config.toml; the
    default. `tfprep config` shows each value and where it comes from. Other lines and comments
    in config.toml are kept when a setting is written.

    Examples:

    \b
      tfprep config
      tfprep config new_per_day 20
      tfprep config desired_retention 0.85
      tfprep config --unset new_per_day
    """
    from tfprep import config as config_mod, console

    if unset is not None:
        if key is not None:
            raise TfprepError("give either --unset KEY or KEY VALUE, not both")
        s = config_mod.unset(unset)
        console.plain(f"Removed {unset} from {config_mod.path()}" + (f"; it is now {s.value} ({s.source})." if s else "."))
        return
    if value is not None:
        s = config_mod.set_value(key, value)
        console.plain(f"{key} = {s.value} (written to {config_mod.path()})"
                      + ("" if s.source == config_mod.FILE else f"; {s.source} still overrides it"))
        return
    settings = config_mod.load()
    if key is not None:
        config_mod.key_of(key)  # an unknown key: exit 2, with a "did you mean"
        settings = {key: settings[key]}
    rows = [{"key": s.key, "value": str(s.value) if isinstance(s.value, Path) else s.value, "source": s.source,
             "allowed": config_mod.KEYS[s.key].allowed()} for s in settings.values()]
    if as_json:
        typer.echo(_dumps({r["key"]: {k: v for k, v in r.items() if k != "key"} for r in rows}, indent=2))
    elif key is not None:
        typer.echo(str(rows[0]["value"]))
    else:
        console.settings_table(rows, str(config_mod.path()))


# --- paths ----------------------------------------------------------------------------------

@app.command()
@handled
def paths() -> None:
    """Where tfprep keeps your progress, your drill files and its content.

    Set TFPREP_HOME to move all of your state somewhere else.

    Example:

    \b
      TFPREP_HOME=/tmp/tfprep tfprep paths
    """
    from tfprep import console, paths as p

    console.paths_table([("home (TFPREP_HOME)", str(p.home())), ("progress database", str(p.db_path())),
                         ("drill workspace", str(p.workspace())), ("question banks", str(p.bank_dir())),
                         ("drills", str(p.drills_dir())), ("reference implementations", str(p.content("reference_impls")))])


def _app_for(args: list[str]) -> typer.Typer:
    """`app` with only what `args` runs built: the command (or group) they name, or none for the
    home screen (`tfprep` alone). Typer makes a Click command of every registered command at each
    start (~5 ms, nearly all of it for commands that do not run). The root callback, its options
    and the command itself are the same objects, so the command's help, errors and behaviour do
    not change; anything else (an option or a typo first, shell completion) gets the whole app,
    so `tfprep --help`, "No such command" and completion see every command."""
    import os

    if any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return app
    if args and args[0].startswith("-"):
        return app
    from copy import copy
    from typer.main import get_command_name

    wanted = args[0] if args else None
    commands = [c for c in app.registered_commands if (c.name or get_command_name(c.callback.__name__)) == wanted]
    groups = [g for g in app.registered_groups if g.name == wanted]
    if args and not commands and not groups:
        return app
    one = copy(app)
    one.registered_commands, one.registered_groups = commands, groups
    return one


def main() -> None:
    args = sys.argv[1:]
    if "--json" not in args:
        _app_for(args)()
        return
    # --json: Click's own usage errors (a bad option value, an unknown option) are JSON on stdout
    # too, like every error a command reports (`handled`); the usage text still goes to stderr.
    try:
        from typer._click import exceptions as click_errors  # typer 0.26-0.28 bundle their Click
    except ImportError:  # pragma: no cover - a typer on the real Click
        from click import exceptions as click_errors
    try:
        status = _app_for(args)(standalone_mode=False)
    except click_errors.ClickException as exc:
        hint = f"see `{exc.ctx.command_path} --help`" if getattr(exc, "ctx", None) else "see `tfprep --help`"
        typer.echo(_dumps({"error": exc.format_message(), "hint": hint, "status": exc.exit_code}))
        exc.show()
        sys.exit(exc.exit_code)
    except click_errors.Abort:  # end of input at a prompt
        typer.echo(_dumps({"error": "aborted", "hint": None, "status": 1}))
        typer.echo("Aborted!", err=True)
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)  # commands return None; typer.Exit gives its code


if __name__ == "__main__":
    sys.exit(main())
