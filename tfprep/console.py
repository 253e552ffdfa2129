"""Everything that draws on the terminal with rich, the only module that imports it for drawing.

The home screen and the quiz's screens are described in tfprep.cardview, which lays them out
with tfprep.term (no rich: a pipe or a terminal) and hands them to `out` here where term does not
draw (a notebook, a dumb terminal, an answer with a table)."""
from __future__ import annotations

import os
from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.text import Text

# names the quiz's screens (tfprep.cardview) and this module's both use
from tfprep.cardview import RATING_NAME, ask, when

# Panel, Table and box are imported by the functions that draw them: the one-line messages
# need only Text, and rich.table (with fractions and decimal) is ~4 ms.

# emoji=False: no `:name:` codes in our text, and their table (~2 ms) is then never loaded (a
# Panel's title is rendered with emoji codes on when it is a str: titles are Text here)
out = Console(highlight=False, emoji=False, no_color=bool(os.environ.get("NO_COLOR")) or None)
err = Console(stderr=True, highlight=False, emoji=False, no_color=bool(os.environ.get("NO_COLOR")) or None)


def error(message: str, hint: str | None = None) -> None:
    err.print(Text("error: ", style="bold red") + Text(message))
    if hint:
        err.print(Text(hint, style="dim"), soft_wrap=True)  # never broken: a command in it can be copied whole


def info(message: str) -> None:
    """Our own message, with Rich markup; text from files, banks or users goes through `plain` or `esc`."""
    out.print(message)


def plain(message: str) -> None:
    out.print(Text(message))


esc = escape


def plan(data: dict) -> None:
    """The plan's days with progress marks; with an interview date, the load and the recall forecast."""
    from rich.table import Table

    t = Table(title=Text(f"Prep plan from {data['start']}" + (f" to the interview on {data['interview']}"
                                                             if data.get("interview") else "")), title_justify="left")
    for col in ("day", "date", "topic", "cards seen", "drills"):
        t.add_column(col, justify="right" if col in ("day", "cards seen") else "left", overflow="fold")
    for d in data["days"]:
        drills_text = ", ".join(x["name"] + (" ✓" if x["done"] else "") for x in d["drills"]) or "—"
        t.add_row(str(d["day"]), d["date"] + (" ◀" if d["today"] else ""), Text(d["title"]),
                  f"{d['seen']}/{d['questions']}", Text(drills_text), style="bold" if d["today"] else None)
    out.print(t)
    f = data.get("forecast")
    if not f:
        out.print("Set your interview date to fit the plan to it: [bold]tfprep plan --interview YYYY-MM-DD[/]")
        return
    first = f["days"][0]
    out.print(Text.assemble(("Today: ", "bold"), f"{first['new_cards']} new cards, {first['card_reviews']} card reviews, "
                            f"{first['drill_reviews']} drill reviews; new drills: ", (", ".join(first["new_drills"]) or "none")))
    load = Table(title=f"Daily load to {f['interview']} (every review rated Good)", title_justify="left")
    for col in ("date", "roadmap days", "new cards", "card reviews", "new drills", "drill reviews", "brought forward", "total"):
        load.add_column(col, justify="left" if col in ("date", "roadmap days") else "right")
    for d in f["days"]:
        load.add_row(d["date"], ",".join(map(str, d["roadmap_days"])) or "—", str(d["new_cards"]), str(d["card_reviews"]),
                     str(len(d["new_drills"])), str(d["drill_reviews"]), str(d["brought_forward"]), str(d["load"]))
    out.print(load)
    recall = Table(title=f"Predicted recall on {f['interview']} (target {f['target']:.0%})", title_justify="left")
    for col in ("", "if you stop now", "following the plan"):
        recall.add_column(col, justify="right" if col else "left")
    for kind in ("banks", "tiers"):
        for name, value in f["recall"]["before"][kind].items():
            after = f["recall"]["after"][kind][name]
            label = name if kind == "banks" else f"{name} drills"
            recall.add_row(Text(label), f"{value:.0%}" if value is not None else "—", f"{after:.0%}" if after is not None else "—")
    out.print(recall)


def problem_lines(lines: list[str]) -> None:
    for line in lines:
        out.print(Text(line, style="red"))
    out.print(Text(f"{len(lines)} problem(s)", style="bold red"))


# --- stats, banks, paths --------------------------------------------------------------------

def stats(data: dict) -> None:
    from rich.table import Table

    t = Table(title="Reviews", show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column()
    ret = f"{data['retention']:.1%}" if data["retention"] is not None else "— (no review cards yet)"
    for k, v in [("Today", data["reviews_today"]), ("All time", data["reviews_total"]), ("Retention", ret),
                 ("Due today", data["due_today"]), ("Streak", f"{data['streak_days']} days"),
                 ("Cards in the schedule", data["cards_total"])]:
        t.add_row(k, str(v))
    out.print(t)
    width, colour = min(out.width, CHART_WIDTH), not colourless(out)
    if data.get("forecast_30_days"):
        _print_chart(forecast_chart(data["forecast_30_days"], width), width)
    else:  # figures without the 30-day series
        f = Table(title="Due in the next 7 days", title_justify="left")
        for d in data["due_next_7_days"]:
            f.add_column(d["day"][5:], justify="right")
        f.add_row(*[str(d["due"]) for d in data["due_next_7_days"]])
        out.print(f)
    if data.get("reviews_per_day"):
        _print_chart(heatmap_chart(data["reviews_per_day"], colour, width), width)
    if data.get("retention_by_week"):
        _print_chart(retention_chart(data["retention_by_week"], width), width)
        out.print()
    for title, key in (("Mastery by bank", "banks"), ("Mastery by tag", "tags")):
        m = Table(title=title, title_justify="left")
        for col in ("", "questions", "seen", "mature (≥21d)", "mastery"):
            m.add_column(col, justify="left" if not col else "right")
        for name, v in data[key].items():
            m.add_row(name, str(v["questions"]), str(v["seen"]), str(v["mature"]), f"{v['mastery']:.0%}")
        out.print(m)
    d = data["drills"]
    out.print(f"[bold]Drills[/]: {d['passed']} passed, {d['attempted']} attempted, {d['attempts']} gradings")
    if data.get("drills_by_tier"):
        _print_chart(drills_chart(data["drills_by_tier"], width), width, gap=False)
    h = data.get("bug_hunts") or {}
    if h.get("started"):
        out.print(f"[bold]Bug hunts[/]: {h['fixed']} fixed, {h['started']} started, {h['attempts']} gradings")
    iv = data.get("interviews") or {}
    if iv.get("rounds"):
        last = iv["last"]
        rated = [i["rating"] for i in last["items"] if i["rating"]]
        drill = {True: "drill passed", False: "drill failed", None: "drill not reached"}[last["drill_passed"]]
        out.print(Text.assemble(("Mock interviews", "bold"), f": {iv['rounds']}; the last on {last['started'][:10]}: "
                                f"{len(rated)} questions rated {'/'.join(map(str, rated)) or '—'}, {drill}"
                                + (f"; revisit {', '.join(last['revisit'])}" if last["revisit"] else "")))


# --- the stats charts: lines of rich Text, CHART_WIDTH columns at most -------------------------

CHART_WIDTH = 80
EIGHTHS = " ▁▂▃▄▅▆▇█"
SHADES = "·░▒▓█"  # heatmap levels 0-4 where no colour reaches the reader
HEAT_COLOURS = ("grey30", "#0e4429", "#006d32", "#26a641", "#39d353")  # GitHub's greens, levels 0-4
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def colourless(console: Console) -> bool:
    """Whether no colour reaches the reader (NO_COLOR, or not a terminal and colour not forced):
    the charts then shade with characters alone."""
    return console.no_color or console.color_system is None


def _print_chart(lines: list[Text], width: int, gap: bool = True) -> None:
    """Print a chart's lines at most `width` wide: titles wrap, chart rows are cropped."""
    if gap:
        out.print()
    for line in lines:
        if line.no_wrap:
            out.print(line, width=width, overflow="crop", no_wrap=True)
        else:
            out.print(line, width=width)


def _bars(heights: list[float | None], rows: int, cell: int, styles: list[str]) -> list[Text]:
    """A vertical bar chart, top row first: each height (a share of the full height; None: no
    bar) is a column one character wide drawn in eighths, then cell - 1 spaces. Any height above
    nothing shows at least one eighth; None shows a dim '·' on the bottom row."""
    eighths = [None if h is None else max(1, round(h * rows * 8)) for h in heights]
    lines = []
    for r in range(rows - 1, -1, -1):
        line = Text(no_wrap=True)
        for e, style in zip(eighths, styles):
            if e is None:
                line.append("·" if r == 0 else " ", "dim")
            else:
                line.append(EIGHTHS[min(8, max(0, e - 8 * r))], style)
            line.append(" " * (cell - 1))
        lines.append(line)
    return lines


def _axes(bars: list[Text], top: str, bottom: str, n: int, cell: int, labels: list[tuple[int, str]]) -> list[Text]:
    """The bars with a y axis (`top` and `bottom` marked) and an x axis with `labels` at columns."""
    gutter = max(len(top), len(bottom))
    lines = []
    for i, row in enumerate(bars):
        mark = top if i == 0 else bottom if i == len(bars) - 1 else ""
        line = Text(no_wrap=True)  # dim as a span, not the line's base style: the bars keep theirs
        line.append(f"{mark:>{gutter}} {'┤' if mark else '│'}", "dim")
        lines.append(line + row)
    lines.append(Text(" " * gutter + " └" + "─" * (n * cell), "dim", no_wrap=True))
    axis = [" "] * (n * cell + 10)
    for col, label in labels:
        axis[col * cell:col * cell + len(label)] = label
    lines.append(Text(" " * (gutter + 2) + "".join(axis).rstrip(), "dim", no_wrap=True))
    for line in lines:
        line.rstrip()
    return lines


def forecast_chart(forecast: list[dict], width: int = CHART_WIDTH) -> list[Text]:
    """Cards due per day, today first (overdue included): one bar a day, 6 rows tall."""
    counts = [d["due"] for d in forecast]
    peak, total = max(counts, default=0), sum(counts)
    head = Text.assemble((f"Due in the next {len(counts)} days", "bold"), f": {total} cards, {counts[0]} of them"
                         " today (overdue included)")
    if not peak:
        return [head, Text("  nothing is scheduled", "dim")]
    gutter = len(str(peak)) + 2
    cell = 2 if gutter + 2 * len(counts) <= width else 1
    counts = counts[:max(1, width - gutter)]
    bars = _bars([c / peak if c else None for c in counts], 6, cell,
                 ["yellow" if i == 0 else "cyan" for i in range(len(counts))])
    labels = [(i, "today" if i == 0 else forecast[i]["day"][5:]) for i in range(0, len(counts), 7)]
    lines = [head] + _axes(bars, str(peak), "0", len(counts), cell, labels)
    lines.append(Text("  next 7 days: " + " ".join(str(c) for c in counts[1:8]), "dim"))
    return lines


def heat_scale(counts: list[int]) -> int:
    """The count that gets the darkest shade: the 90th percentile of the days with reviews, so
    one marathon day does not wash out the rest of the year."""
    busy = sorted(n for n in counts if n > 0)
    return busy[min(len(busy) - 1, len(busy) * 9 // 10)] if busy else 0


def heat_level(n: int, scale: int) -> int:
    """0 for no review, else 1-4: the quarter of `scale` that n reaches (4 at or above it)."""
    return 0 if n <= 0 else min(4, -(-4 * n // scale))


def heatmap_chart(per_day: list[dict], colour: bool, width: int = CHART_WIDTH) -> list[Text]:
    """GitHub's year of squares: a column per week (Monday to Sunday), a row per weekday, shaded
    by the day's reviews; month names above. Without colour the shades are characters."""
    from datetime import date, timedelta

    counts = {d["day"]: d["reviews"] for d in per_day}
    first, last = date.fromisoformat(per_day[0]["day"]), date.fromisoformat(per_day[-1]["day"])
    peak = max(counts.values(), default=0)
    active = sum(1 for n in counts.values() if n)
    head = Text.assemble(("Reviews per day", "bold"), f", the last year: {sum(counts.values())} on {active} days")
    if peak:
        busiest = max(per_day, key=lambda d: d["reviews"])["day"]
        head.append(f", at most {peak} ({busiest})")
    scale = heat_scale(list(counts.values()))
    weeks = max(1, min(53, width - 4))
    monday = last - timedelta(days=last.weekday())
    starts = [monday - timedelta(weeks=weeks - 1 - c) for c in range(weeks)]

    def square(level: int) -> tuple[str, str]:
        return ("■", HEAT_COLOURS[level]) if colour else (SHADES[level], "")

    # a month's name over the column holding its 1st; the first column's month where there is room
    marks = [(c, (s + timedelta(days=6)).month) for c, s in enumerate(starts)
             if s.day == 1 or (s + timedelta(days=6)).month != s.month]
    if not marks or marks[0][0] >= 4:
        marks.insert(0, (0, starts[0].month))
    months, free = [" "] * (weeks + 4), 0
    for c, month in marks:
        if c >= free:
            months[c:c + 3] = MONTHS[month - 1]
            free = c + 4
    lines = [head, Text("    " + "".join(months).rstrip(), "dim", no_wrap=True)]
    for weekday in range(7):
        line = Text(no_wrap=True)
        line.append(f"{WEEKDAYS[weekday]} ", "dim")
        for s in starts:
            day = s + timedelta(days=weekday)
            if first <= day <= last:
                line.append(*square(heat_level(counts.get(day.isoformat(), 0), scale)))
            else:
                line.append(" ")
        line.rstrip()
        lines.append(line)
    legend = Text(no_wrap=True)
    legend.append("    less ", "dim")
    for level in range(5):
        legend.append(*square(level))
    legend.append(" more", "dim")
    lines.append(legend)
    return lines


def retention_chart(per_week: list[dict], width: int = CHART_WIDTH) -> list[Text]:
    """Each week's retention (review cards rated Hard or better) as a bar, 4 rows from the lowest
    week's tenth up to 100%; a week without such reviews is a dim '·'."""
    import math

    values = [w["retention"] for w in per_week]
    present = [v for v in values if v is not None]
    reviews = sum(w["reviews"] for w in per_week)
    head = Text.assemble((f"Retention by week, the last {len(per_week)} weeks", "bold"))
    if not present:
        return [head, Text("  no reviews of cards in the review state yet", "dim")]
    head.append(f": {sum(w['recalled'] for w in per_week) / reviews:.0%} of {reviews} reviews recalled")
    lo = min(0.9, math.floor(min(present) * 10 + 1e-9) / 10)
    gutter = 6
    cell = 2 if gutter + 2 * len(values) <= width else 1
    values = values[-max(1, width - gutter):]
    weeks = per_week[-len(values):]
    bars = _bars([None if v is None else (v - lo) / (1 - lo) for v in values], 4, cell,
                 ["" if v is None else "green" if v >= 0.9 else "yellow" if v >= 0.8 else "red" for v in values])
    labels = [(i, weeks[i]["week"][5:]) for i in range(0, len(values), 7)]
    lines = [head] + _axes(bars, "100%", f"{lo:.0%}", len(values), cell, labels)
    lines.append(Text("  a bar per week, Monday to Sunday, named by its Monday; · no review that week", "dim"))
    return lines


def drills_chart(by_tier: dict[str, dict], width: int = CHART_WIDTH) -> list[Text]:
    """A bar per tier, a character per drill (scaled down past `room`): passed, attempted, not yet."""
    tiers = [(t, v) for t, v in by_tier.items() if v["total"] or v["attempted"]]
    if not tiers:
        return []
    room = max(10, min(40, width - 36))
    most = max(max(v["total"], v["attempted"]) for _, v in tiers)
    scale = min(1.0, room / most)
    lines = [Text.assemble(("  by tier", "bold"), ("  █ passed  ▒ attempted  ░ not yet", "dim"))]
    for tier, v in tiers:
        total = max(v["total"], v["attempted"])
        passed, attempted, n = round(v["passed"] * scale), round(v["attempted"] * scale), round(total * scale)
        line = Text(f"  {tier:<7}", no_wrap=True)
        line.append("█" * passed, "green")
        line.append("▒" * (attempted - passed), "yellow")
        line.append("░" * (n - attempted), "dim")
        line.append(" " * (room - n) + f" {v['passed']}/{total} passed, {v['attempted']} attempted")
        lines.append(line)
    return lines


def bank_list(rows: list[dict]) -> None:
    from rich.table import Table

    t = Table(title="Question banks", title_justify="left")
    for col in ("bank", "title", "questions", "new", "due now"):
        t.add_column(col, justify="right" if col in ("questions", "new", "due now") else "left")
    for r in rows:
        t.add_row(Text(r["bank"]), Text(r["title"]), str(r["questions"]), str(r["new"]), str(r["due"]))
    out.print(t)


def search_results(rows: list[dict], text: str) -> None:
    """`bank search`: id, bank and question of each match, best first."""
    from rich.table import Table

    if not rows:
        out.print(Text(f"No question matches {text!r}."))
        return
    t = Table(title=Text(f"Questions matching {text!r}"), title_justify="left")
    t.add_column("id", no_wrap=True)
    t.add_column("bank", no_wrap=True)
    t.add_column("question", overflow="fold")
    for r in rows:
        t.add_row(Text(r["id"]), Text(r["bank"]), Text(" ".join(r["question"].split())))
    out.print(t)


def card_status(s: dict) -> None:
    """A card's place in the schedule and its flags (`bank show`)."""
    flags = []
    if s["suspended"]:
        flags.append("suspended")
    if s["buried_until"]:
        flags.append(f"buried until {when(s['buried_until'])}")
    if s["leech"]:
        flags.append("leech")
    due = when(s["due"]) if s["due"] else "new (never reviewed)"
    out.print(Text.assemble(("Card", "bold"), f": {', '.join(flags) or 'active'}; due {due}; "
                            f"{s['reps']} reviews, {s['lapses']} lapses"))


def settings_table(rows: list[dict], config_file: str) -> None:
    """`tfprep config`: each setting, its value, where the value comes from, what is allowed."""
    from rich.table import Table

    t = Table(title=Text(f"Settings ({config_file})"), title_justify="left")
    for col in ("setting", "value", "from", "allowed"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["key"], Text(str(r["value"])), Text(r["source"]), Text(r["allowed"]))
    out.print(t)


def warnings(lines: list[str]) -> None:
    for line in lines:
        err.print(Text.assemble(("warning: ", "yellow"), line), highlight=False)


def missing_warning(message: str, command: str) -> None:
    """A drill written that cannot be graded here yet: what is missing, then the command on a line
    of its own, never wrapped (so it can be copied whole)."""
    err.print(Text.assemble(("warning: ", "yellow"), message), highlight=False)
    err.print(Text(f"  {command}", style="bold"), soft_wrap=True, highlight=False)


def problems(found: list, files: list) -> None:
    for p in found:
        err.print(Text.assemble((f"{p.file}:{p.line}", "bold"), f": {p.message}"), highlight=False)
    if found:
        err.print(f"[red]{len(found)} problem(s)[/] in {len(files)} file(s)")


FINDING_STYLE = {"ok": "green", "missing": "yellow", "broken": "bold red"}


def findings(rows: list[dict]) -> None:
    """`tfprep doctor`: one row per capability (status, name, what was found, the fix), then the verdict."""
    from rich import box
    from rich.table import Table

    t = Table(show_header=False, box=box.SIMPLE)
    t.add_column(no_wrap=True)
    t.add_column(style="bold", no_wrap=True)
    t.add_column(overflow="fold")
    for f in rows:
        detail = Text(f["detail"])
        if f.get("fix"):
            detail.append(f"\nfix: {f['fix']}", style="yellow" if f["status"] != "ok" else "dim")
        t.add_row(Text(f["status"], style=FINDING_STYLE.get(f["status"], "")), f["name"], detail)
    out.print(t)
    bad = [f for f in rows if f["status"] == "broken" or (f["status"] == "missing" and not f.get("optional"))]
    if bad:
        out.print(Text(f"Not working: {', '.join(f['name'] for f in bad)}. Run the fix under each.", style="bold red"))
    else:
        skipped = [f["name"] for f in rows if f["status"] == "missing"]
        out.print(Text("Everything installed works." + (f" Not here (optional): {', '.join(skipped)}." if skipped
                                                        else ""), style="green"))


def repair_result(r: dict) -> None:
    if r.get("ok"):
        plain(f"{r['path']}: " + ("no store yet; nothing to repair." if r.get("missing") else "sound; nothing to repair."))
        return
    rec = r["recovered"]
    plain(f"Kept the damaged store as {r['kept']}.")
    plain(f"Rebuilt {r['path']}: {rec['reviews']} reviews, {rec['drill_attempts']} drill attempts and "
          f"{rec['drill_events']} drill events recovered; {r['cards']} card states replayed from the review log.")
    if r["lost_ranges"]:
        out.print(Text(f"{r['lost_ranges']} damaged range(s) could not be read: what they held is only in the "
                       "kept copy.", style="yellow"))


def paths_table(rows: list[tuple[str, str]]) -> None:
    from rich.table import Table

    t = Table(show_header=False)
    t.add_column(style="bold")
    t.add_column()
    for k, v in rows:
        t.add_row(k, v)
    out.print(t)


def exported(result) -> None:
    """What `tfprep bank export` wrote (an export.ExportResult), and where replaced files are kept."""
    banks = ", ".join(f"{name} {n}" for name, n in result.counts.items())
    if result.format == "anki":
        out.print(Text.assemble(("Wrote ", "green"), (str(result.written[0]), "bold"),
                                f": {result.total} notes in {len(result.counts)} deck(s) ({banks})."))
        out.print(Text("Import it in Anki with File > Import; importing a newer export updates these notes.",
                       style="dim"))
    else:
        out.print(Text.assemble(("Wrote ", "green"), f"{len(result.written)} study sheet(s), {result.total} questions:"))
        for path in result.written:
            out.print(Text(f"  {path}"))
    for old, kept in result.kept:
        out.print(Text(f"The old {old.name} is kept as {kept}.", style="yellow"))


# --- drills ---------------------------------------------------------------------------------

STATUS_STYLE = {"new": "dim", "attempted": "yellow", "passed": "green"}


DRILL_COLUMNS = ("#", "drill", "tier", "topic", "status", "due", "best", "hints")
DROP_WHEN_NARROW = ("topic", "hints", "best", "tier", "due")  # first dropped first; never the name
TOPIC_MIN = 24  # the topic column is shown only with at least this much room (it wraps)


def drill_list(rows: list[dict]) -> None:
    """The drill table on a terminal: every name whole (never wrapped or cut), the other columns
    dropped, topic first, when the terminal is too narrow. Piped: one plain line per drill,
    NAME<TAB>tier<TAB>status<TAB>due (YYYY-MM-DD, or - when not scheduled)."""
    from rich.table import Table

    from tfprep import store

    days = [store.local_day(store.parse_ts(r["due"])) if r.get("due") else None for r in rows]
    if not out.is_terminal:
        for r, day in zip(rows, days):
            print(f"{r['name']}\t{r['tier']}\t{r['status']}\t{day or '-'}", file=out.file)
        return
    today = datetime.now().astimezone().strftime("%Y-%m-%d")
    cells = []
    for i, (r, day) in enumerate(zip(rows, days), 1):
        due = Text("—") if day is None else Text("now" if day <= today else day,
                                                 style="bold yellow" if day <= today else "")
        cells.append({"#": Text(str(i)), "drill": Text(r["name"]), "tier": Text(r["tier"]), "topic": Text(r["title"]),
                      "status": Text(r["status"], style=STATUS_STYLE[r["status"]]), "due": due,
                      "best": Text(f"{r['best']:.0%}" if r["best"] is not None else "—"), "hints": Text(str(r["hints"]))})
    width = {c: max([len(c)] + [row[c].cell_len for row in cells]) for c in DRILL_COLUMNS}
    shown = list(DRILL_COLUMNS)

    def needed(cols: list[str]) -> int:  # the table's width: cells, one space either side, the borders
        return sum(TOPIC_MIN if c == "topic" else width[c] for c in cols) + 3 * len(cols) + 1

    for col in DROP_WHEN_NARROW:
        if needed(shown) <= out.width:
            break
        shown.remove(col)
    t = Table(title="Drills (tfprep drill NAME or NUMBER to start one; tfprep drill next)", title_justify="left")
    for col in shown:
        if col == "topic":
            t.add_column(col, overflow="fold", ratio=1)
        else:
            t.add_column(col, justify="right" if col in ("#", "best", "hints") else "left", no_wrap=True,
                         min_width=width[col] if col == "drill" else None)
    for row in cells:
        t.add_row(*(row[c] for c in shown))
    out.print(t)


def hunt_solved(label: str, questions: list[str], fixed: int, total: int) -> None:
    out.print(Text.assemble(("Fixed. ", "bold green"), "The bug was: ", (label, "bold"), "."))
    if questions:
        out.print(Text("The questions that explain it: " + ", ".join(f"tfprep bank show {q}" for q in questions)))
    out.print(Text(f"Bug hunts fixed in this drill: {fixed} of {total}."))


def drill_review(review) -> None:
    """One line on what the attempt did to the drill's schedule."""
    if review.counted:
        out.print(Text(f"Review: {RATING_NAME[review.rating]} ({review.reason}); next review {when(review.due)}.",
                       style="dim"))
    else:
        out.print(Text(f"Schedule unchanged: {review.reason}.", style="dim"))


def statement(drill, path, hints: bool = True) -> None:
    from rich.markdown import Markdown
    from rich.panel import Panel

    out.print(Panel(Markdown(drill.statement.strip()), title=Text.assemble((drill.title, "bold"),
                    f" · {drill.name} · {drill.tier}"), title_align="left", border_style="blue"))
    out.print(Text.assemble("Your file: ", (str(path), "bold")))
    if hints:
        out.print(f"Edit it, then run [bold]tfprep drill {drill.name}[/] to grade it "
                  f"([bold]--hint[/] for a hint, [bold]--watch[/] to re-grade on every save).")


# --- the mock interview -----------------------------------------------------------------------

KIND_LABEL = {"warm-up": "Warm-up question", "drill": "Coding, no hints", "probing": "Probing question"}


def to_stderr() -> None:
    """Send everything but the final JSON to stderr (`--json` runs)."""
    global out
    out = Console(highlight=False, emoji=False, no_color=bool(os.environ.get("NO_COLOR")) or None, stderr=True)


def interview_plan(items, minutes: int) -> None:
    from rich.table import Table

    t = Table(title=f"Mock interview: {minutes} minutes, {len(items)} parts", title_justify="left")
    for col in ("#", "part", "minutes", "what"):
        t.add_column(col, justify="right" if col in ("#", "minutes") else "left", overflow="fold")
    for i, item in enumerate(items, 1):
        what = item.id if item.kind == "drill" else item.title[:90] + ("…" if len(item.title) > 90 else "")
        t.add_row(str(i), KIND_LABEL[item.kind], f"{item.minutes:g}", Text(what))
    out.print(t)
    out.print("No hints. Questions: answer aloud (press Enter) or type (an empty line ends it), then rate "
              "yourself honestly against the model answer. Ctrl-C stops; everything so far is saved.")


def interview_item(item) -> None:
    out.print()
    out.print(Text.assemble((f"{KIND_LABEL[item.kind]}", "bold magenta"), f" · {item.minutes:g} minutes"))


def scorecard(card: dict) -> None:
    from rich.table import Table

    t = Table(title="Scorecard", title_justify="left")
    for col in ("#", "part", "result", "time used", "budget"):
        t.add_column(col, justify="right" if col in ("#", "time used", "budget") else "left", overflow="fold")
    for i, item in enumerate(card["items"], 1):
        if item["kind"] == "drill":
            result = "not reached" if item["passed"] is None else (
                f"passed {item['checks']}" if item["passed"] else f"failed {item['checks']}"
                + (f" ({item['bug']})" if item.get("bug") else ""))
        else:
            result = f"{item['rating']} {RATING_NAME[item['rating']]}" if item["rating"] else "not reached"
        used = f"{item['seconds_used'] / 60:.1f} min" if item["seconds_used"] is not None else "—"
        t.add_row(str(i), Text(f"{KIND_LABEL[item['kind']]}: {item['id']}"), Text(result), used, f"{item['minutes']:g} min")
    out.print(t)
    if card["revisit"]:
        out.print(Text.assemble(("Revisit: ", "bold"), ", ".join(card["revisit"])))
    if not card["finished"]:
        out.print(Text("The round was stopped before the end; the scorecard keeps what was done.", style="yellow"))


def hints(revealed: list[str], new_index: int, total: int) -> None:
    if new_index == 0:
        out.print("[yellow]No more hints: every hint is shown below.[/]")
    for i, h in enumerate(revealed, 1):
        style = "bold" if i == new_index else "dim"
        out.print(Text(f"Hint {i}/{total}: ", style="bold") + Text(h, style=style if style == "dim" else ""))


def solution(source: str, path) -> None:
    from rich.panel import Panel
    from rich.syntax import Syntax

    # word_wrap: long lines wrap at the terminal's width instead of being cropped
    out.print(Panel(Syntax(source, "python", line_numbers=False, word_wrap=True),
                    title=Text(f"Reference: {path}"), title_align="left"))


def _failure_groups(checks) -> list[tuple[str, list]]:
    """Failed checks grouped by identical message, in the order of their first appearance."""
    groups: dict[str, list] = {}
    for c in checks:
        if not c.passed:
            groups.setdefault(c.message or "failed", []).append(c)
    return list(groups.items())


def diagnosis_lines(rep) -> list[Text]:
    """What went wrong, most telling first: the run's problem, then each bug named and by how many checks."""
    lines = [Text(rep.problem, style="bold red")] if rep.problem else []
    for bug in rep.bugs:
        n = sum(c.bug == bug for c in rep.checks)
        where = f" ({n} check{'s' if n != 1 else ''})"
        if bug.startswith("refused: "):
            lines.append(Text(f"Diagnosis: {bug.removeprefix('refused: ')}{where}.", style="bold yellow"))
        else:
            lines.append(Text(f"Diagnosis: looks like the classic bug: {bug}{where}.", style="bold yellow"))
    return lines


def report(rep, notes: list[str] | None = None) -> None:
    """The grading report: the diagnosis first, then one row per check (identical failures
    collapsed into one row with a count), notes, and the verdict. All text is printed as is."""
    from rich import box
    from rich.table import Table

    out.print(Text(f"{rep.drill}: {rep.file}", style="bold"))
    for line in diagnosis_lines(rep):
        out.print(line)
    t = Table(show_lines=False, box=box.SIMPLE_HEAD)
    t.add_column("", width=2)
    t.add_column("check", overflow="fold")
    t.add_column("result", overflow="fold")
    groups = {id(members[0]): (msg, members) for msg, members in _failure_groups(rep.checks)}
    for c in rep.checks:
        if c.passed:
            t.add_row(Text("✓", style="green"), Text(c.title), Text("pass", style="green"))
        elif id(c) in groups:
            msg, members = groups[id(c)]
            title = Text(c.title) if len(members) == 1 else Text(f"{len(members)} checks: {c.title} and {len(members) - 1} more")
            t.add_row(Text("✗", style="red"), title, Text(msg, style="red"))
    out.print(t)
    for note in (notes or []) + rep.notes:
        out.print(Text(note, style="dim"))
    total = len(rep.checks)
    if rep.passed:
        out.print(Text.assemble(("PASSED", "bold green"), f" {rep.checks_passed}/{total} checks in {rep.duration_s:.1f} s"))
    else:
        out.print(Text.assemble(("FAILED", "bold red"), f" {rep.checks_passed}/{total} checks passed ({rep.duration_s:.1f} s)"))


# --- watch mode (tfprep drill NAME --watch) ---------------------------------------------------

def clear_screen() -> None:
    """Clear the terminal before a new grading; nothing at all when stdout is not a terminal."""
    if out.is_terminal:
        out.clear()


def verdict(rep) -> None:
    """One line, first on the screen: PASSED or FAILED, the count, and the first diagnosis."""
    total = len(rep.checks)
    if rep.passed:
        out.print(Text.assemble(("PASSED", "bold green"), f" {rep.drill}: {rep.checks_passed}/{total} checks "
                                f"in {rep.duration_s:.1f} s"))
        return
    first = diagnosis_lines(rep)
    why = f": {first[0].plain}" if first else ""
    out.print(Text.assemble(("FAILED", "bold red"), f" {rep.drill}: {rep.checks_passed}/{total} checks passed{why}"))


def watch_footer(target, keys: bool, passed: bool) -> None:
    """What to do next in watch mode: the next command after a pass, and the keys."""
    if passed:
        out.print(Text.assemble(("Next: ", "bold"), ("tfprep drill next", "bold"),
                                ("   (this drill is done; " + ("q quits, then run it)" if keys else "Ctrl-C stops, then run it)"),
                                 "dim")))
    how = "h: next hint · q: quit" if keys else "Ctrl-C stops"
    out.print(Text(f"Watching {target}: grading again on every save. {how}", style="dim"))


class _Elapsed:
    """A spinner whose text shows the seconds elapsed against the limit (redrawn by rich.live)."""

    def __init__(self, what: str, limit: float):
        import time

        from rich.spinner import Spinner

        self._time, self._start = time.monotonic, time.monotonic()
        self.what, self.limit = what, limit
        self.spinner = Spinner("dots", style="cyan")

    def __rich__(self):
        self.spinner.update(text=Text(f"{self.what}  {self._time() - self._start:.0f} s (limit {self.limit:g} s)"))
        return self.spinner


def grading_status(what: str, limit: float):
    """A live spinner with elapsed time while grading, on a terminal only (nothing when piped)."""
    import contextlib

    if not out.is_terminal:
        return contextlib.nullcontext()
    from rich.live import Live

    return Live(_Elapsed(what, limit), console=out, refresh_per_second=8, transient=True)


def play_live(events, seconds: float, live: bool = True) -> dict:
    """Consume the training events of `tfprep drill gpt --play`, with a progress bar (elapsed
    time, falling loss) on a terminal; returns what happened."""
    import contextlib

    result: dict = {"start": None, "steps": [], "sample": None, "saved": None, "error": None}
    progress = None
    if live and out.is_terminal:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(TextColumn("Training your GPT"), BarColumn(), TimeElapsedColumn(),
                            TextColumn("step {task.fields[step]}  loss {task.fields[loss]}"), console=out,
                            transient=False)
    with progress if progress is not None else contextlib.nullcontext():
        task = progress.add_task("train", total=seconds, step=0, loss="-") if progress is not None else None
        for e in events:
            kind = e.get("event")
            if kind == "start":
                result["start"] = e
                if live:
                    out.print(Text(f"Your GPT: {e['params']:,} parameters, {e['vocab']} characters, "
                                   f"{e['chars']:,} characters of text (tfprep's own answers)."))
            elif kind == "step":
                result["steps"].append(e)
                if progress is not None:
                    progress.update(task, completed=min(e["elapsed"], seconds), step=e["step"], loss=f"{e['loss']:.3f}")
                elif live and len(result["steps"]) % 20 == 1:
                    out.print(Text(f"step {e['step']}  {e['elapsed']:.0f} s  loss {e['loss']:.3f}"))
            elif kind == "sample":
                result["sample"] = e
            elif kind == "saved":
                result["saved"] = e
            elif kind == "error":
                result["error"] = e.get("message")
    return result


def play_result(result: dict) -> None:
    """The loss curve's ends and the sample, or why training stopped; the model's text as is."""
    from rich.panel import Panel

    steps = result["steps"]
    if steps:
        first, last = steps[0], steps[-1]
        val = f", held-out loss {last['val_loss']:.3f}" if "val_loss" in last else ""
        out.print(Text(f"Trained {last['step']} steps in {last['elapsed']:.0f} s: loss {first['loss']:.3f} -> "
                       f"{last['loss']:.3f}{val} (a uniform guess is ln(vocab))."))
    if result["error"]:
        out.print(Text(f"Training stopped: {result['error']}", style="bold red"))
    if result["sample"]:
        out.print(Panel(Text(result["sample"]["text"]), title=Text("Your GPT writes"), title_align="left"))
    saved = result.get("saved") or {}
    if saved.get("path"):
        out.print(Text(f"Saved to {saved['path']}: see its heads with `tfprep viz gpt`."))
    elif saved.get("error"):
        err.print(Text(f"warning: {saved['error']}", style="yellow"))


def confirm(question: str) -> bool:
    """A yes/no question (default no); the question's text (a path, say) is printed as is."""
    answer = ask(escape(f"{question} [y/N] "))
    return bool(answer) and answer.strip().lower() in ("y", "yes")


# --- benchmarks -----------------------------------------------------------------------------

SHORT = {"yours": "yours", "reference": "ref", "sdpa_flash": "FA2", "sdpa_default": "SDPA"}


def bench_table(result: dict) -> None:
    """TFLOP/s per candidate, and the subject's speed relative to SDPA's FLASH backend (FA2), SDPA's
    default backend, the reference, and the device's matmul peak."""
    from rich import box
    from rich.table import Table

    subject = result["subject"]
    names = list(result["rows"][0]["tflops"]) if result["rows"] else []
    t = Table(title=f"Flash attention TFLOP/s, {result['dtype']}, B={result['B']} H={result['H']}\n"
                    f"{result['device']}, torch {result['torch']}, triton {result['triton']}", title_justify="left",
              box=box.SIMPLE_HEAD, pad_edge=False)
    ratios = ["sdpa_flash", "sdpa_default"] + (["reference"] if subject == "yours" else [])
    for col in ["run", "D", "N"] + [SHORT[n] for n in names] + [f"/{SHORT[n]}" for n in ratios] + ["peak"]:
        t.add_column(col, justify="left" if col == "run" else "right", no_wrap=True, min_width=len(col))
    for r in result["rows"]:
        tf = r["tflops"]
        mine = tf[subject]
        cells = [f"{r['mode']} {'causal' if r['causal'] else 'full'}", str(r["D"]), str(r["N"])]
        cells += [f"{tf[n]:.1f}" if tf[n] else "—" for n in names]
        cells += [f"{mine / tf[n]:.2f}x" if mine and tf.get(n) else "—" for n in ratios]
        cells.append(f"{mine / result['matmul_tflops']:.0%}" if mine else "—")
        t.add_row(*cells)
    out.print(t)
    who = "your kernel" if subject == "yours" else "the reference"
    out.print(f"[dim]/FA2, /SDPA, /ref: {who}'s speed relative to SDPA forced to its FLASH backend, "
              f"SDPA's default backend and tfprep's reference (above 1 = faster). peak: share of the measured "
              f"{result['matmul']} rate, {result['matmul_tflops']:.0f} TFLOP/s. FLOPs: 4*B*H*N^2*D forward, "
              "half when causal, 2.5x for the backward.[/]")
