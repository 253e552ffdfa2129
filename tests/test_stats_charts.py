"""`tfprep stats` charts: the four series on a hand-made history at a fixed clock, their terminal
rendering at 80 columns (with and without colour), --json, and --plot's PNG."""
import io
import json
import os
import time
from datetime import date, datetime, timedelta, timezone

import pytest
from rich.cells import cell_len
from rich.console import Console

from conftest import run_tfprep
from test_imports import heavy_modules
from tfprep import console, drills, stats, store

NOW = datetime(2026, 3, 11, 12, tzinfo=timezone.utc)  # a Wednesday; this week's Monday is 03-09
TODAY = date(2026, 3, 11)
OLD_KEYS = {"now", "reviews_today", "reviews_total", "retention", "due_today", "due_next_7_days", "cards_total",
            "streak_days", "banks", "tags", "drills", "interviews", "bug_hunts"}
NEW_KEYS = {"forecast_30_days", "reviews_per_day", "retention_by_week", "drills_by_tier"}


@pytest.fixture(autouse=True)
def utc():
    """Local days are UTC days here, whatever the machine's zone."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def review(conn, day: str, kind: str, rating: int, n: int = 1) -> None:
    for _ in range(n):
        conn.execute("INSERT INTO reviews (card_id, rating, reviewed_at, day, kind) VALUES ('c', ?, ?, ?, ?)",
                     (rating, f"{day}T12:00:00.000000Z", day, kind))


def card(conn, card_id: str, due: datetime) -> None:
    conn.execute("INSERT INTO cards VALUES (?, 2, ?, 10.0, 5.0, '{}', ?, ?, 1, 0)",
                 (card_id, store.ts(due), store.ts(NOW), store.ts(NOW)))


def attempt(conn, drill: str, passed: bool, hunt: str | None = None) -> None:
    conn.execute("INSERT INTO drill_attempts (drill, attempted_at, day, passed, checks_passed, checks_total,"
                 " duration_s, hints_used, hunt) VALUES (?, ?, ?, ?, 1, 1, 1.0, 0, ?)",
                 (drill, store.ts(NOW), TODAY.isoformat(), int(passed), hunt))


@pytest.fixture
def history():
    """Reviews on known days, cards due on known days, drill attempts of known tiers."""
    conn = store.connect()
    with store.transaction(conn):
        review(conn, "2026-03-11", "review", 3, 2)  # today: 3 scheduled reviews, 2 of 3 recalled
        review(conn, "2026-03-11", "review", 1)
        review(conn, "2026-03-10", "cram", 4, 2)  # cram: not a scheduled review, not counted
        review(conn, "2026-03-09", "learn", 3)  # Monday: 1 review, none of the review kind
        review(conn, "2026-03-04", "review", 1, 2)  # last week: 4 review-kind reviews, 2 lapses
        review(conn, "2026-03-04", "review", 2)
        review(conn, "2026-03-04", "review", 4)
        review(conn, "2025-09-15", "review", 3, 2)  # the first of the 26 weeks (its Monday): 2 of 2
        review(conn, "2025-09-14", "review", 1)  # the Sunday before: in the year, not in the 26 weeks
        review(conn, "2025-03-12", "new", 3)  # the year's first day (today - 364)
        review(conn, "2025-03-11", "new", 3)  # a year and a day ago: outside the window
        card(conn, "overdue-1", NOW - timedelta(days=3))
        card(conn, "overdue-2", NOW - timedelta(minutes=1))
        card(conn, "later-today", NOW + timedelta(hours=1))
        card(conn, "in-5-days", NOW + timedelta(days=5))
        card(conn, "in-29-days-a", NOW + timedelta(days=29))
        card(conn, "in-29-days-b", NOW + timedelta(days=29, hours=3))
        card(conn, "in-30-days", NOW + timedelta(days=30))  # past the 30 days shown
        attempt(conn, "softmax", False)
        attempt(conn, "softmax", True)
        attempt(conn, "attention", False)
        attempt(conn, "mha-module", True)
        attempt(conn, "causal-mask", True, hunt="bug_no_mask")  # a bug hunt: apart
        attempt(conn, "not-in-the-catalog", True)
    assert all(drills.exists(d) for d in ("softmax", "attention", "mha-module"))
    return conn


@pytest.fixture
def data(history):
    return stats.compute(history, {}, NOW)


# --- the series ---------------------------------------------------------------------------------

def test_forecast_30_days(data):
    f = data["forecast_30_days"]
    assert [d["day"] for d in f] == [(TODAY + timedelta(days=i)).isoformat() for i in range(30)]
    due = {i: d["due"] for i, d in enumerate(f) if d["due"]}
    assert due == {0: 3, 5: 1, 29: 2}  # today counts the overdue; the card due in 30 days is not shown
    assert data["due_today"] == 3
    assert data["due_next_7_days"] == f[1:8] and [d["due"] for d in f[1:8]] == [0, 0, 0, 0, 1, 0, 0]


def test_reviews_per_day_for_the_last_year(data):
    per_day = data["reviews_per_day"]
    assert len(per_day) == 365
    assert per_day[0]["day"] == "2025-03-12" and per_day[-1]["day"] == "2026-03-11"
    assert {d["day"]: d["reviews"] for d in per_day if d["reviews"]} == {
        "2026-03-11": 3, "2026-03-09": 1, "2026-03-04": 4, "2025-09-15": 2, "2025-09-14": 1, "2025-03-12": 1}
    assert per_day[-1]["reviews"] == data["reviews_today"]


def test_retention_by_week(data):
    weeks = data["retention_by_week"]
    assert len(weeks) == 26
    assert weeks[0]["week"] == "2025-09-15" and weeks[-1]["week"] == "2026-03-09"
    assert all(date.fromisoformat(w["week"]).weekday() == 0 for w in weeks)
    assert weeks[-1] == {"week": "2026-03-09", "reviews": 3, "recalled": 2, "retention": 0.6667}
    assert weeks[-2] == {"week": "2026-03-02", "reviews": 4, "recalled": 2, "retention": 0.5}
    assert weeks[0] == {"week": "2025-09-15", "reviews": 2, "recalled": 2, "retention": 1.0}
    assert all(w["retention"] is None and w["reviews"] == 0 for w in weeks[1:-2])


def test_drills_by_tier(data):
    tiers = data["drills_by_tier"]
    assert list(tiers)[:3] == ["numpy", "torch", "triton"]
    assert {t: (v["attempted"], v["passed"]) for t, v in tiers.items()} == {
        "numpy": (2, 1), "torch": (1, 1), "triton": (0, 0)}
    tier_of = dict(drills.catalog())
    for t, v in tiers.items():
        assert v["total"] == sum(1 for name in drills.available() if tier_of[name] == t) > 0


def test_an_empty_store_has_every_series(tfprep_home):
    data = stats.compute(store.connect(), {}, NOW)
    assert [d["due"] for d in data["forecast_30_days"]] == [0] * 30
    assert len(data["reviews_per_day"]) == 365 and not any(d["reviews"] for d in data["reviews_per_day"])
    assert all(w["retention"] is None for w in data["retention_by_week"])
    render(data)  # draws without a history


def test_the_store_has_the_covering_index(history):
    plan = " ".join(r[3] for r in history.execute(
        "EXPLAIN QUERY PLAN SELECT day, kind, rating, COUNT(*) FROM reviews WHERE day >= ? AND day <= ?"
        " GROUP BY day, kind, rating", ("2025-01-01", "2026-03-11")))
    assert "COVERING INDEX reviews_day_kind_rating" in plan and "TEMP B-TREE" not in plan


# --- the terminal -------------------------------------------------------------------------------

def render(data, **kwargs) -> str:
    """console.stats(data) on a recording console (80 columns, no colour unless told)."""
    rec = Console(record=True, width=kwargs.pop("width", 80), **({"no_color": True} | kwargs))
    old, console.out = console.out, rec
    try:
        console.stats(data)
    finally:
        console.out = old
    return rec.export_text(styles=bool(kwargs.get("force_terminal")))


def block(text: str, title: str) -> list[str]:
    """The chart whose title starts with `title`, up to the next blank line."""
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(title))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def test_render_fits_80_columns(data):
    text = render(data)
    assert max(cell_len(ln) for ln in text.splitlines()) <= 80
    for title in ("Due in the next 30 days", "Reviews per day", "Retention by week", "Drills"):
        assert title in text


def test_forecast_chart_has_30_bars_and_labels(data):
    chart = block(render(data), "Due in the next 30 days")
    assert chart[0] == "Due in the next 30 days: 6 cards, 3 of them today (overdue included)"
    bars = [ln for ln in chart if "┤" in ln or "│" in ln]
    assert len(bars) == 6 and bars[0].startswith("3 ┤") and bars[-1].startswith("0 ┤")
    bottom = bars[-1][bars[-1].index("┤") + 1:].ljust(60)
    cells = bottom[::2]  # a bar every second column
    assert len(cells) == 30 and set(bottom[1::2]) == {" "}
    assert [i for i, c in enumerate(cells) if c != "·"] == [0, 5, 29]
    assert cells[0] == "█" and cells[29] == "█" and cells[5] == "█"  # 1 of 3 is two rows of six
    assert bars[0][bars[0].index("┤") + 1:].rstrip() == "█"  # only today's bar reaches the top
    labels = chart[chart.index(next(ln for ln in chart if "└" in ln)) + 1]
    assert labels.split() == ["today", "03-18", "03-25", "04-01", "04-08"]
    assert chart[-1].strip() == "next 7 days: 0 0 0 0 1 0 0"


def test_heatmap_has_7_rows_53_weeks_and_month_labels(data):
    chart = block(render(data), "Reviews per day")
    assert chart[0] == "Reviews per day, the last year: 12 on 6 days, at most 4 (2026-03-04)"
    rows = {ln[:3]: ln[4:] for ln in chart if ln[:3] in console.WEEKDAYS}
    assert list(rows) == list(console.WEEKDAYS)  # 7 rows, Monday first
    assert max(len(r) for r in rows.values()) == 53
    # the busiest days set the scale (4): 3 reviews are the third shade, 1 review the first
    assert rows["Wed"].endswith("█▓") and rows["Mon"].endswith("·░")
    assert len(rows["Thu"]) == 52  # tomorrow is not drawn
    assert rows["Wed"][0] == "░" and rows["Mon"][0] == " " and rows["Tue"][0] == " "  # the year began on a Wednesday
    months = chart[1]
    names = months.split()
    # a month over the week holding its 1st; March 2025's name would not fit before April's
    assert names == ["Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar"]
    assert months.index("Apr") - 4 == 3  # 2025-04-01 (a Tuesday) is in the fourth week: column 3
    assert months.rindex("Mar") - 4 == 50  # 2026-03-01 (a Sunday) ends the week of 02-23
    assert chart[-1].strip() == "less ·░▒▓█ more"


def test_retention_sparkline(data):
    chart = block(render(data), "Retention by week")
    assert chart[0] == "Retention by week, the last 26 weeks: 67% of 9 reviews recalled"
    bars = [ln for ln in chart if "┤" in ln or "│" in ln]
    assert len(bars) == 4 and bars[0].startswith("100% ┤") and bars[-1].startswith(" 50% ┤")
    cells = [ln[ln.index("┤" if "┤" in ln else "│") + 1:].ljust(52)[::2] for ln in bars]
    assert all(len(c) == 26 for c in cells)
    # 100% fills the four rows; 50% (the floor) shows an eighth; 67% is a third of the way up
    assert [c[0] for c in cells] == ["█", "█", "█", "█"]
    assert [c[24] for c in cells] == [" ", " ", " ", "▁"]
    assert [c[25] for c in cells] == [" ", " ", "▃", "█"]
    assert cells[-1][1:24] == "·" * 23  # weeks without review-kind reviews


def test_drills_chart(data):
    text = render(data)
    lines = {ln.split()[0]: ln for ln in text.splitlines() if ln.strip().split()[:1] in (["numpy"], ["torch"],
                                                                                          ["triton"])}
    total = {t: v["total"] for t, v in data["drills_by_tier"].items()}
    assert lines["numpy"].strip().startswith("numpy  █▒░")
    assert lines["numpy"].endswith(f"1/{total['numpy']} passed, 2 attempted")
    assert lines["torch"].strip().startswith("torch  █░")
    assert lines["triton"].endswith(f"0/{total['triton']} passed, 0 attempted")
    assert lines["numpy"].count("░") == total["numpy"] - 2  # a character per drill


def test_narrow_terminal_shrinks(data):
    text = render(data, width=50)
    assert max(cell_len(ln) for ln in text.splitlines()) <= 50
    rows = [ln for ln in block(text, "Reviews per day") if ln[:3] in console.WEEKDAYS]
    assert len(rows) == 7 and max(len(r) for r in rows) <= 50
    assert rows[2].startswith("Wed ") and rows[2].endswith("█▓")  # fewer weeks, the latest kept
    chart = block(text, "Due in the next 30 days")
    bottom = next(ln for ln in chart if ln.startswith("0 ┤"))
    assert len(bottom[bottom.index("┤") + 1:].ljust(30)) == 30  # a column a day, no gap


def test_colour_terminal_uses_coloured_squares(data):
    styled = render(data, force_terminal=True, color_system="truecolor", no_color=False)
    assert "\x1b[" in styled and "\x1b[" not in render(data)
    heat = styled.split("Reviews per day")[1].split("Retention by week")[0]
    assert "■" in heat and not any(c in heat for c in "░▒▓")
    assert "■" not in render(data)
    # the dim labels are spans: squares and bars keep their own colour, not dimmed
    heat = console.heatmap_chart(data["reviews_per_day"], colour=True)
    assert all(ln.style == "" for ln in heat[2:])
    wed = heat[4]
    assert wed.plain.endswith("■■") and [str(s.style) for s in wed.spans[-2:]] == [console.HEAT_COLOURS[4],
                                                                                     console.HEAT_COLOURS[3]]
    bars = [ln for ln in console.forecast_chart(data["forecast_30_days"]) if "┤" in ln.plain]
    assert bars and all(ln.style == "" for ln in bars)


def test_not_a_terminal_shades_with_characters(data):
    """Piped (no terminal, colour not forced): no escape codes, and the heatmap still reads."""
    rec = Console(file=io.StringIO(), width=80, no_color=False)  # NO_COLOR is set for the tests
    assert console.colourless(rec)
    assert not console.colourless(Console(file=io.StringIO(), force_terminal=True, color_system="standard",
                                          no_color=False))
    assert console.colourless(Console(file=io.StringIO(), force_terminal=True, no_color=True))
    lines = console.heatmap_chart(data["reviews_per_day"], colour=not console.colourless(rec))
    assert lines[4].plain.startswith("Wed ") and lines[4].plain.endswith("█▓")


def test_piped_stats_has_no_colour_codes_and_fits_80(history):
    env = {"NO_COLOR": "", "FORCE_COLOR": "", "COLUMNS": "80", "TZ": "UTC"}
    env = {k: v for k, v in {**os.environ, **env}.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE")}
    proc = run_tfprep("stats", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" not in proc.stdout
    assert "Reviews per day" in proc.stdout and "less ·░▒▓█ more" in proc.stdout
    assert max(cell_len(ln) for ln in proc.stdout.splitlines()) <= 80


# --- the command --------------------------------------------------------------------------------

@pytest.fixture
def fixed_clock(monkeypatch):
    import tfprep.cli

    monkeypatch.setattr(tfprep.cli, "now", lambda: NOW)


def test_json_keeps_the_old_keys_and_adds_the_series(cli, history, fixed_clock):
    result = cli("stats", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert OLD_KEYS | NEW_KEYS <= set(data)
    assert data == json.loads(json.dumps(stats.compute(history, {}, NOW) | {
        "banks": data["banks"], "tags": data["tags"]}))
    assert data["reviews_today"] == 3 and data["due_today"] == 3 and len(data["due_next_7_days"]) == 7
    assert [d["due"] for d in data["forecast_30_days"]][:6] == [3, 0, 0, 0, 0, 1]


def test_plot_writes_a_png(cli, history, fixed_clock, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.image

    png = tmp_path / "stats.png"
    result = cli("stats", "--plot", str(png))
    assert result.exit_code == 0, result.output
    assert f"Charts written to {png}" in result.output and "Reviews per day" in result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(png)
    assert image.shape == (1000, 1200, 4)
    assert image[..., :3].std() > 0.05  # something is drawn, not a blank page
    assert not list(tmp_path.glob(".*.tmp"))
    first = png.read_bytes()
    assert cli("stats", "--plot", str(png)).exit_code == 0  # again: the old chart is kept beside the new one
    kept = list(tmp_path.glob("stats.png.*.bak"))
    assert len(kept) == 1 and kept[0].read_bytes() == first and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_with_json_keeps_stdout_json(history, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "s.png"
    proc = run_tfprep("stats", "--json", "--plot", str(png))
    assert proc.returncode == 0, proc.stderr
    assert NEW_KEYS <= set(json.loads(proc.stdout))
    assert "Charts written to" in proc.stderr and png.stat().st_size > 10_000


def test_plot_into_a_missing_folder_is_a_usage_error(cli, tmp_path):
    pytest.importorskip("matplotlib")
    result = cli("stats", "--plot", str(tmp_path / "nope" / "s.png"))
    assert result.exit_code == 2 and "cannot write" in result.output


def test_plot_without_matplotlib_exits_3_with_the_install_command(cli, monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    png = tmp_path / "s.png"
    result = cli("stats", "--plot", str(png))
    assert result.exit_code == 3
    assert "needs matplotlib" in result.output and "pip install 'tfprep[plot]'" in result.output
    assert not png.exists()


def test_plain_stats_is_light(history):
    """The charts draw with rich alone: `tfprep stats` with a history imports no numpy; --plot
    (matplotlib) is the one that does."""
    heavy, proc = heavy_modules(["stats"])
    assert "Reviews per day" in proc.stdout, proc.stdout + proc.stderr
    assert heavy == []
    heavy, proc = heavy_modules(["stats", "--json"])
    assert heavy == [] and NEW_KEYS <= set(json.loads(proc.stdout))
