"""Shell completion of drill names, bank names, tags and question ids (typer `autocompletion=`).

Each callback gets the word typed so far and returns (value, help) pairs that start with it.
They run on every Tab press, so they stay cheap: the drill catalog (a cached YAML file and a
folder check per drill) and the banks' cached JSON index; never numpy or the progress store.
A completion that fails for any reason offers nothing rather than printing a traceback into
the shell.
"""
from __future__ import annotations

from typing import Any


def _banks() -> dict:
    from tfprep import banks

    return banks.load_all()


def _matching(pairs: list[tuple[str, str]], incomplete: str) -> list[tuple[str, str]]:
    incomplete = incomplete or ""
    return [(value, help_) for value, help_ in pairs if value.startswith(incomplete)]


def drill_names(incomplete: str) -> list[tuple[str, str]]:
    """`tfprep drill NAME`: every drill that exists, and `next`."""
    try:
        from tfprep import drills

        tiers = dict(drills.catalog())
        pairs = [(name, f"{tiers[name]} drill") for name in drills.available()]
    except Exception:
        return []
    return _matching(pairs + [("next", "the next drill to do")], incomplete)


def bank_names(incomplete: str) -> list[tuple[str, str]]:
    """`tfprep quiz --bank`: the shipped banks, the learner's own, and `all`."""
    try:
        pairs = [(name, f"{len(b.questions)} questions") for name, b in _banks().items()]
    except Exception:
        return []
    return _matching(pairs + [("all", "every bank")], incomplete)


def tags(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """`tfprep quiz --tag`: the tags of the questions (of --bank, when it is given first)."""
    try:
        chosen = (ctx.params.get("bank") if ctx is not None else None) or "all"
        counts: dict[str, int] = {}
        for name, b in _banks().items():
            if chosen in ("all", name):
                for q in b.questions:
                    for t in q.tags:
                        counts[t] = counts.get(t, 0) + 1
    except Exception:
        return []
    return _matching([(t, f"{n} questions") for t, n in sorted(counts.items())], incomplete)


def question_ids(incomplete: str) -> list[tuple[str, str]]:
    """`tfprep bank show ID` (and `tfprep card ... ID`): every question id, with its bank."""
    try:
        pairs = [(q.id, name) for name, b in _banks().items() for q in b.questions]
    except Exception:
        return []
    return _matching(pairs, incomplete)
