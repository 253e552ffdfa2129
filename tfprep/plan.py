"""The prep plan: a 14-day roadmap (drills/plan.yaml, content as data) laid over the calendar.

Each roadmap day names its topic, the bank questions it introduces and the drills to do. The
plan starts on the learner's first day with tfprep (the day of their first review or drill
event), or on the day `tfprep plan --interview DATE` was first set; with an interview date
the 14 roadmap days are stretched or compressed to the days left. Plain data, no terminal.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from tfprep import paths, store
from tfprep.banks import BankFile

ROADMAP_DAYS = 14


@dataclass
class Day:
    number: int  # 1-based roadmap day
    title: str
    read: str = ""
    questions: list[str] = field(default_factory=list)
    drills: list[str] = field(default_factory=list)


def roadmap() -> list[Day]:
    """The roadmap days of drills/plan.yaml, in order (fresh objects: callers may change them)."""
    return [Day(number=d.number, title=d.title, read=d.read, questions=list(d.questions), drills=list(d.drills))
            for d in _roadmap()]


@lru_cache(maxsize=1)
def _roadmap() -> tuple[Day, ...]:
    from tfprep import drills

    raw = drills._yaml(paths.drills_dir() / "plan.yaml") or {}
    return tuple(Day(number=i, title=d["title"], read=d.get("read", ""), questions=list(d.get("questions", [])),
                drills=list(d.get("drills", []))) for i, d in enumerate(raw.get("days", []), 1))


def problems(banks: dict[str, BankFile]) -> list[str]:
    """What keeps the roadmap from covering the material: every bank question and every drill
    that exists appears exactly once; nothing unknown is named."""
    from tfprep import drills

    out = []
    days = roadmap()
    if len(days) != ROADMAP_DAYS:
        out.append(f"plan.yaml has {len(days)} days, expected {ROADMAP_DAYS}")
    ids = {q.id for b in banks.values() for q in b.questions}
    seen_q: dict[str, int] = {}
    seen_d: dict[str, int] = {}
    for day in days:
        for qid in day.questions:
            if qid not in ids:
                out.append(f"plan day {day.number}: unknown question {qid!r}")
            elif qid in seen_q:
                out.append(f"plan day {day.number}: question {qid!r} is already on day {seen_q[qid]}")
            seen_q.setdefault(qid, day.number)
        for name in day.drills:
            if name not in drills.catalog_names():
                out.append(f"plan day {day.number}: unknown drill {name!r}")
            elif name in seen_d:
                out.append(f"plan day {day.number}: drill {name!r} is already on day {seen_d[name]}")
            seen_d.setdefault(name, day.number)
    out += [f"plan: question {qid!r} is on no day" for qid in sorted(ids - set(seen_q))]
    out += [f"plan: drill {name!r} is on no day" for name in drills.available() if name not in seen_d]
    return out


# --- the plan's dates -----------------------------------------------------------------------------

def _setting(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM plan_settings WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_interview(conn: sqlite3.Connection, interview: date, today: date) -> None:
    """Remember the interview date; the plan then runs from today (or its earlier start) to it."""
    with store.transaction(conn):
        conn.execute("INSERT INTO plan_settings (key, value) VALUES ('interview', ?)"
                     " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (interview.isoformat(),))
        conn.execute("INSERT INTO plan_settings (key, value) VALUES ('start', ?) ON CONFLICT (key) DO NOTHING",
                     (today.isoformat(),))


def start_day(conn: sqlite3.Connection, today: date) -> date:
    """The plan's first calendar day: as set, else the learner's first day with tfprep, else today."""
    set_start = _setting(conn, "start")
    if set_start:
        return date.fromisoformat(set_start)
    firsts = [conn.execute(f"SELECT MIN({col}) FROM {table}").fetchone()[0]
              for table, col in (("reviews", "day"), ("drill_attempts", "day"))]
    events = conn.execute("SELECT MIN(at) FROM drill_events").fetchone()[0]
    if events:
        firsts.append(store.local_day(store.parse_ts(events)))
    firsts = [f for f in firsts if f]
    return min(date.fromisoformat(f) for f in firsts) if firsts else today


def interview_day(conn: sqlite3.Connection) -> date | None:
    value = _setting(conn, "interview")
    return date.fromisoformat(value) if value else None


def calendar(start: date, interview: date | None) -> list[tuple[date, list[int]]]:
    """(calendar day, roadmap day numbers on it) from `start`: one roadmap day a day without an
    interview date; with one, the 14 roadmap days spread evenly over the days before it (several
    on a day when time is short, a roadmap day stretched over several when there is room; the
    interview day itself is left for a last light review)."""
    from datetime import timedelta

    if interview is None or (interview - start).days < 1:
        return [(start + timedelta(days=i), [i + 1]) for i in range(ROADMAP_DAYS)]
    n = (interview - start).days  # study days: start .. interview - 1
    out = []
    for i in range(n):
        lo, hi = i * ROADMAP_DAYS // n, (i + 1) * ROADMAP_DAYS // n
        numbers = list(range(lo + 1, hi + 1)) or [lo + 1]
        out.append((start + timedelta(days=i), numbers))
    return out


def today(conn: sqlite3.Connection, banks: dict[str, BankFile], now: datetime) -> dict | None:
    """Today's step of the plan, with progress marks: {"day", "of", "title", "read",
    "new_cards", "questions", "drills": [{"name", "done"}], "interview"}; None once the plan is over."""
    from tfprep import drills

    local = now.astimezone().date()
    start = start_day(conn, local)
    interview = interview_day(conn)
    days = {d.number: d for d in roadmap()}
    todays = next((numbers for day, numbers in calendar(start, interview) if day == local), None)
    if todays is None:
        return None
    steps = [days[n] for n in todays if n in days]
    questions = [qid for d in steps for qid in d.questions]
    from tfprep.quiz import card_rows

    seen = card_rows(conn, questions)
    passed = {r[0] for r in conn.execute("SELECT DISTINCT drill FROM drill_attempts WHERE passed = 1 AND hunt IS NULL")}
    names = [n for d in steps for n in d.drills if drills.exists(n)]
    return {
        "day": todays[0], "days": todays, "of": ROADMAP_DAYS,
        "title": " + ".join(d.title for d in steps),
        "read": "; ".join(d.read for d in steps if d.read),
        "questions": questions,
        "new_cards": sum(q not in seen for q in questions),
        "drills": [{"name": n, "done": n in passed} for n in names],
        "interview": interview.isoformat() if interview else None,
    }


def in_plan_order(questions: list) -> list:
    """Questions sorted by the roadmap day that introduces them (stable; questions on no day
    last), so the quiz's new cards follow the plan and a learner behind it catches up first."""
    day_of = {qid: d.number for d in roadmap() for qid in d.questions}
    return sorted(questions, key=lambda q: day_of.get(q.id, ROADMAP_DAYS + 1))


# --- the forecast: the work to the interview and the recall on the day ----------------------------

REVIEW_HOUR = 9  # simulated reviews happen at 09:00 local time; recall is predicted for 09:00 on the day


def _at(day: date, hour: int = REVIEW_HOUR) -> datetime:
    return datetime(day.year, day.month, day.day, hour).astimezone()


def forecast(conn: sqlite3.Connection, banks: dict[str, BankFile], now: datetime, interview: date,
             target: float = 0.9) -> dict:
    """The plan from today to `interview`, simulated item by item (every question and every drill
    here): new items on their plan day (today if that day has passed), every review on its due
    day rated Good (no interval fuzz, no same-day learning steps), and any item whose predicted
    recall at 09:00 on the interview day would still be below `target` reviewed once more on the
    day before ("brought forward"). Returns the days with their loads and the predicted recall on
    the day per bank and tier, before (doing nothing more) and after (following the plan)."""
    from datetime import timedelta

    from tfprep import drills
    from tfprep.quiz import card_rows
    from tfprep.scheduler import Rating, Scheduler

    sched = Scheduler(fuzz=False, steps=False)
    today = now.astimezone().date()
    if interview <= today:
        from tfprep.errors import TfprepError

        raise TfprepError(f"the interview date {interview.isoformat()} is not after today ({today.isoformat()})")
    start = min(start_day(conn, today), today)
    cal = calendar(start, interview)
    intro_day: dict[int, date] = {}
    for day, numbers in cal:
        for n in numbers:
            intro_day.setdefault(n, day)
    days = {d.number: d for d in roadmap()}
    study = [today + timedelta(days=i) for i in range((interview - today).days)]
    on_day = {d: {"new_cards": 0, "card_reviews": 0, "new_drills": [], "drill_reviews": 0, "brought_forward": 0}
              for d in study}

    question_bank = {q.id: b.name for b in banks.values() for q in b.questions}
    items: list[tuple[str, str, str, object]] = []  # (kind, id, group, current card or None)
    rows = card_rows(conn, list(question_bank))
    for qid, bank in question_bank.items():
        items.append(("card", qid, bank, sched.load(rows[qid]["fsrs"]) if qid in rows else None))
    dcards = drills.schedule(conn)
    for name in drills.available():
        tier = dict(drills.catalog())[name]
        items.append(("drill", name, tier, sched.load(dcards[name]["fsrs"]) if name in dcards else None))
    first_day = {qid: n for n, d in days.items() for qid in d.questions}
    first_day.update({name: n for n, d in days.items() for name in d.drills})

    on_the_day = _at(interview)
    before: dict[tuple[str, str], list[float]] = {}
    after: dict[tuple[str, str], list[float]] = {}
    brought: list[str] = []
    for kind, key, group, card in items:
        r0 = sched.retrievability(card, on_the_day) if card is not None else 0.0
        before.setdefault((kind, group), []).append(r0)
        intro = intro_day.get(first_day.get(key, ROADMAP_DAYS), study[0])
        intro = max(intro, today)
        for d in study:
            when = _at(d)
            if card is None:
                if d < intro:
                    continue
                card = sched.review(sched.new_card(when), Rating.GOOD, when)
                if kind == "card":
                    on_day[d]["new_cards"] += 1
                else:
                    on_day[d]["new_drills"].append(key)
            elif card.due.astimezone().date() <= d:
                card = sched.review(card, Rating.GOOD, when)
                on_day[d]["card_reviews" if kind == "card" else "drill_reviews"] += 1
        if card is not None and sched.retrievability(card, on_the_day) < target:
            last = study[-1]
            card = sched.review(card, Rating.GOOD, _at(last))
            on_day[last]["brought_forward"] += 1
            on_day[last]["card_reviews" if kind == "card" else "drill_reviews"] += 1
            brought.append(key)
        after.setdefault((kind, group), []).append(
            sched.retrievability(card, on_the_day) if card is not None else 0.0)

    def summary(values: dict) -> dict:
        mean = lambda xs: round(sum(xs) / len(xs), 4) if xs else None  # noqa: E731
        return {"banks": {g: mean(v) for (k, g), v in sorted(values.items()) if k == "card"},
                "tiers": {g: mean(v) for (k, g), v in sorted(values.items()) if k == "drill"}}

    roadmap_on = dict(cal)
    out_days = []
    for d in study:
        numbers = roadmap_on.get(d, [])
        load = on_day[d]
        out_days.append({"date": d.isoformat(), "roadmap_days": numbers,
                         "title": " + ".join(days[n].title for n in numbers if n in days),
                         **load, "load": load["new_cards"] + load["card_reviews"] + len(load["new_drills"])
                         + load["drill_reviews"]})
    return {"today": today.isoformat(), "interview": interview.isoformat(), "start": start.isoformat(),
            "target": target, "days": out_days, "brought_forward": sorted(brought),
            "recall": {"before": summary(before), "after": summary(after)}}


def overview(conn: sqlite3.Connection, banks: dict[str, BankFile], now: datetime) -> dict:
    """The whole plan on the calendar with progress marks: per day its questions seen and its
    drills passed."""
    from tfprep import drills
    from tfprep.quiz import card_rows

    today = now.astimezone().date()
    start = start_day(conn, today)
    interview = interview_day(conn)
    days = {d.number: d for d in roadmap()}
    seen = card_rows(conn, [qid for d in days.values() for qid in d.questions])
    passed = {r[0] for r in conn.execute("SELECT DISTINCT drill FROM drill_attempts WHERE passed = 1 AND hunt IS NULL")}
    out = []
    for day, numbers in calendar(start, interview):
        for n in numbers:
            d = days.get(n)
            if d is None:
                continue
            names = [x for x in d.drills if drills.exists(x)]
            out.append({"day": n, "date": day.isoformat(), "title": d.title, "read": d.read,
                        "questions": len(d.questions), "seen": sum(q in seen for q in d.questions),
                        "drills": [{"name": x, "done": x in passed} for x in names],
                        "today": day == today})
    return {"start": start.isoformat(), "interview": interview.isoformat() if interview else None, "days": out}


def backlog(conn: sqlite3.Connection, now: datetime) -> int:
    """Questions of the roadmap days up to today (on the plan's calendar) not seen yet: the new
    cards the plan wants today."""
    from tfprep.quiz import card_rows

    local = now.astimezone().date()
    start = start_day(conn, local)
    numbers = {n for day, ns in calendar(start, interview_day(conn)) if day <= local for n in ns}
    ids = [qid for d in roadmap() if d.number in numbers for qid in d.questions]
    return len(ids) - len(card_rows(conn, ids))


def new_allowance(conn: sqlite3.Connection, now: datetime, default: int) -> int:
    """New cards allowed today: `default`, or as many as the plan has due by today if more."""
    from tfprep.quiz import new_today

    return max(default, new_today(conn, store.local_day(now)) + backlog(conn, now))
