"""`tfprep stats --plot PNG`: the four stats charts in one PNG, drawn by matplotlib.

matplotlib is the optional `plot` extra; it (and numpy, which it brings) is imported only inside
`write`, with the Agg canvas, so `tfprep stats` without --plot stays light. The figures are the
ones `tfprep.stats.compute` returns: nothing is counted here.
"""
from __future__ import annotations

import importlib.util
from datetime import date, timedelta
from pathlib import Path

from tfprep.errors import ExitStatus, TfprepError

INSTALL = "pip install 'tfprep[plot]'"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
GREENS = ("#ebedf0", "#9be9a8", "#40c463", "#30a14e", "#216e39")  # GitHub's heatmap, levels 0-4


def require() -> None:
    """Exit 3 with the install command when matplotlib is not installed."""
    if importlib.util.find_spec("matplotlib") is None:
        raise TfprepError("drawing the charts to a PNG needs matplotlib, which is not installed",
                          ExitStatus.MISSING, hint=f"install it with: {INSTALL}")


def write(data: dict, path: Path) -> Path:
    """Draw the due forecast, the year of reviews, retention by week and drills by tier into
    one PNG at `path` (a file already there is kept as PATH.<time>.bak)."""
    require()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 10), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(3, 2, height_ratios=[1.0, 1.1, 0.8])
    _forecast(fig.add_subplot(grid[0, 0]), data["forecast_30_days"])
    _retention(fig.add_subplot(grid[0, 1]), data["retention_by_week"])
    _heatmap(fig.add_subplot(grid[1, :]), data["reviews_per_day"])
    _drills(fig.add_subplot(grid[2, :]), data["drills_by_tier"])
    fig.suptitle(f"tfprep stats, {data['now'][:10]}", fontsize=14, fontweight="bold")
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        fig.savefig(tmp, format="png")
        if path.exists():  # the old chart is kept beside it, never overwritten
            from tfprep import paths

            paths.keep_as_bak(path)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise TfprepError(f"cannot write {path} ({exc.strerror or exc})",
                          hint="choose a folder that exists and that you can write to") from None
    return path


def _forecast(ax, forecast: list[dict]) -> None:
    counts = [d["due"] for d in forecast]
    ax.bar(range(len(counts)), counts, color=["#e3a008"] + ["#1f9bcf"] * (len(counts) - 1))
    ticks = list(range(0, len(counts), 7))
    ax.set_xticks(ticks, ["today" if i == 0 else forecast[i]["day"][5:] for i in ticks])
    ax.set_title(f"Due in the next {len(counts)} days: {sum(counts)} cards ({counts[0]} today, overdue included)",
                 loc="left", fontsize=10)
    ax.set_ylabel("cards due")
    ax.set_xlim(-0.6, len(counts) - 0.4)


def _retention(ax, per_week: list[dict]) -> None:
    xs = [i for i, w in enumerate(per_week) if w["retention"] is not None]
    ys = [per_week[i]["retention"] * 100 for i in xs]
    reviews = sum(w["reviews"] for w in per_week)
    if xs:
        ax.plot(xs, ys, marker="o", color="#26a641")
        ax.set_ylim(max(0, min(ys) - 5), 101)
        title = f": {sum(w['recalled'] for w in per_week) / reviews:.0%} of {reviews} recalled"
    else:
        ax.text(0.5, 0.5, "no reviews of cards in the review state yet", ha="center", va="center",
                transform=ax.transAxes, color="grey")
        title = ""
    ticks = list(range(0, len(per_week), 7))
    ax.set_xticks(ticks, [per_week[i]["week"][5:] for i in ticks])
    ax.set_xlim(-0.5, len(per_week) - 0.5)
    ax.set_title(f"Retention by week, the last {len(per_week)} weeks{title}", loc="left", fontsize=10)
    ax.set_ylabel("% rated Hard or better")


def _heatmap(ax, per_day: list[dict]) -> None:
    """GitHub's year of squares, in the terminal chart's five shades (the same levels)."""
    import numpy as np
    from matplotlib.colors import ListedColormap

    from tfprep.console import heat_level, heat_scale

    counts = {d["day"]: d["reviews"] for d in per_day}
    first, last = date.fromisoformat(per_day[0]["day"]), date.fromisoformat(per_day[-1]["day"])
    monday = last - timedelta(days=last.weekday())
    starts = [monday - timedelta(weeks=52 - c) for c in range(53)]
    scale = heat_scale(list(counts.values()))
    levels = np.full((7, 53), np.nan)
    for c, s in enumerate(starts):
        for d in range(7):
            day = s + timedelta(days=d)
            if first <= day <= last:
                levels[d, c] = heat_level(counts.get(day.isoformat(), 0), scale)
    ax.pcolormesh(np.ma.masked_invalid(levels), cmap=ListedColormap(GREENS), vmin=-0.5, vmax=4.5,
                  edgecolors="white", linewidth=2)
    ax.set_aspect("equal")
    ax.invert_yaxis()
    marks = [(c, (s + timedelta(days=6)).month) for c, s in enumerate(starts)
             if s.day == 1 or (s + timedelta(days=6)).month != s.month]
    ax.set_xticks([c + 0.5 for c, _ in marks], [MONTHS[m - 1] for _, m in marks])
    ax.xaxis.tick_top()
    ax.set_yticks([d + 0.5 for d in range(7)], WEEKDAYS)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    active = sum(1 for n in counts.values() if n)
    ax.set_title(f"Reviews per day, the last year: {sum(counts.values())} on {active} days", loc="left", fontsize=10)
    top = f", the darkest: {scale} or more" if scale else ""
    ax.set_xlabel(f"less → more{top}", loc="right", fontsize=8, color="grey")


def _drills(ax, by_tier: dict[str, dict]) -> None:
    tiers = [t for t, v in by_tier.items() if v["total"] or v["attempted"]] or list(by_tier)
    totals = [max(by_tier[t]["total"], by_tier[t]["attempted"]) for t in tiers]
    passed = [by_tier[t]["passed"] for t in tiers]
    tried = [by_tier[t]["attempted"] - by_tier[t]["passed"] for t in tiers]
    rest = [n - by_tier[t]["attempted"] for t, n in zip(tiers, totals)]
    ys = range(len(tiers))
    ax.barh(ys, passed, color="#26a641", label="passed")
    ax.barh(ys, tried, left=passed, color="#e3a008", label="attempted")
    ax.barh(ys, rest, left=[p + t for p, t in zip(passed, tried)], color="#d0d7de", label="not yet")
    for y, t, n in zip(ys, tiers, totals):
        ax.text(n + 0.3, y, f"{by_tier[t]['passed']}/{n} passed, {by_tier[t]['attempted']} attempted",
                va="center", fontsize=9)
    ax.set_yticks(list(ys), tiers)
    ax.invert_yaxis()
    ax.set_xlim(0, max(totals, default=1) * 1.35 + 1)
    ax.set_xlabel("drills")
    ax.set_title("Drills by tier", loc="left", fontsize=10)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
