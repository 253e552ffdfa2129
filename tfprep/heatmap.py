"""Terminal heatmaps for `tfprep viz`: attention weights as shaded cells, labels on both axes.

Rows are queries, columns are keys. The shade of a cell is a character (readable with NO_COLOR
and in a pipe), coloured as well where colour reaches the reader. Panels sit side by side when
the terminal is wide enough (two 9-token panels fit 80 columns), else one after another. Every
label and message is a rich.text.Text: text from the learner's files or --text is never markup.
Draws the data of `tfprep.viz`; computes nothing.
"""
from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from tfprep import console
from tfprep.viz import label

BOUNDS = (0.05, 0.2, 0.4, 0.7)  # shade 0 below 0.05, 1 below 0.2, ..., 4 from 0.7 up
SHADES = console.SHADES  # the stats charts' five levels, as characters
COLOURS = ("grey42", "#3b528b", "#21918c", "#5ec962", "#fde725")  # viridis, as the PNG
GAP = 2  # columns between panels side by side


def shade(w: float) -> int | None:
    """0-4 for a weight in [0, 1]; None for exactly 0 (a masked key); -1 outside [0, 1]."""
    if w == 0:
        return None
    if not 0 <= w <= 1 + 1e-9:
        return -1
    return sum(w >= b for b in BOUNDS)


def grid(weights: list[list[float]], rows: list[str], cols: list[str], title: Text, colour: bool) -> list[Text]:
    """One heatmap: the title, the key labels, then a line per query (its label, then its cells).
    A cell is as wide as the longest key label, plus a space between cells when that is > 1."""
    rows, cols = [label(r) for r in rows], [label(c) for c in cols]
    widest = max(map(len, cols))
    cell = widest + 1 if widest > 1 else 1
    gutter = max(map(len, rows)) + 1
    width = gutter + cell * len(cols) - (cell > 1)
    lines = [title.copy()]
    lines[0].truncate(width, overflow="ellipsis")
    head = Text(" " * gutter, no_wrap=True)
    for c in cols:
        head.append(c.ljust(cell), "dim")
    lines.append(head)
    for r, row in zip(rows, weights):
        line = Text(no_wrap=True)
        line.append(r.ljust(gutter), "dim")  # a span, not the line's style: the cells keep their colour
        for w in row:
            level = shade(w)
            if level is None:
                mark, style = " ", ""
            elif level < 0:
                mark, style = "!", "bold red"
            else:
                mark, style = SHADES[level], COLOURS[level] if colour else ""
            line.append(mark * (cell - 1 if cell > 1 else 1), style)
            if cell > 1:
                line.append(" ")
        lines.append(line)
    for line in lines:
        line.rstrip()
        line.no_wrap = True
    return lines


def side_by_side(panels: list[list[Text]], width: int) -> list[Text]:
    """Panels in rows of as many as fit `width` (at least one), a blank line between rows."""
    if not panels:
        return []
    pw = max(line.cell_len for p in panels for line in p)
    per_row = max(1, (width + GAP) // (pw + GAP))
    out: list[Text] = []
    for start in range(0, len(panels), per_row):
        group = panels[start:start + per_row]
        height = max(map(len, group))
        if start:
            out.append(Text(""))
        for i in range(height):
            line = Text(no_wrap=True)
            for n, p in enumerate(group):
                part = p[i].copy() if i < len(p) else Text("")
                if n < len(group) - 1:
                    part.align("left", pw)
                    part.append(" " * GAP)
                line.append_text(part)
            line.rstrip()
            out.append(line)
    return out


def legend(colour: bool) -> Text:
    t = Text("blank: 0 (masked)", "dim", no_wrap=True)
    edges = ("0", ".05", ".2", ".4", ".7", "1")
    for level, mark in enumerate(SHADES):
        t.append("   ")
        t.append(mark, COLOURS[level] if colour else "")
        t.append(f" {edges[level]}-{edges[level + 1]}" if level < 4 else " >= .7", "dim")
    return t


def _print(lines: list[Text]) -> None:
    for line in lines:
        console.out.print(line, overflow="crop", no_wrap=True, crop=True)


# --- viz attention -------------------------------------------------------------------------------

def attention(data: dict) -> None:
    out = console.out
    colour = not console.colourless(out)
    tokens = data["tokens"]
    out.print(Text.assemble(("Your attention", "bold"), f" on {len(tokens)} tokens (d_k = {data['d_k']}, "
                            f"d_v = {data['d_v']}), from ", (data["file"], "dim")))
    out.print(Text(f"The example: {data['example']}. Rows are queries, columns are keys; each row should sum "
                   "to 1 (one softmax per query).", "dim"))
    shown = [p for p in data["panels"] if p["weights"] is not None]
    panels = [grid(p["weights"], tokens, tokens, Text(p["title"] + (" ✗" if p["error"] else ""),
                                                      "bold red" if p["error"] else "bold"), colour) for p in shown]
    if shown:
        out.print()
        _print(side_by_side(panels, out.width))
        out.print()
        _print([legend(colour)])
    failures: dict[str, list[str]] = {}  # one message, the panels it failed (often all of them alike)
    for p in data["panels"]:
        if p["error"]:
            failures.setdefault(p["error"], []).append(p["title"])
    for message, titles in failures.items():
        out.print()
        out.print(Text(", ".join(titles) + ": ", "bold") + Text(message, "red"))
    for p in data["panels"]:
        if p["missing"] or p["error"]:
            continue
        out.print()
        out.print(Text(f"{p['title']}: ", "bold") + Text(f"{p['how']}. Look: {p['look']}."))
        diff = p["max_abs_diff"]
        if diff is not None:
            what = "softmax(q k^T / sqrt(d_k) + bias)" if p["name"] == "alibi" else "softmax(q k^T / sqrt(d_k))"
            if diff <= 1e-6:
                out.print(Text(f"  ✓ equals tfprep's {what} (max |diff| {diff:.1g})", "green"))
            else:
                out.print(Text(f"  differs from tfprep's {what} by up to {diff:.3g}: "
                               "`tfprep drill attention` grades it and says why", "yellow"))
    missing = [p for p in data["panels"] if p["missing"]]
    if missing:
        out.print()
    for p in missing:
        out.print(Text.assemble((f"{p['name']}: ", "bold"), "not written yet: ", (p["missing"], "bold"),
                                (f" ({p['how']})" if p["file"] else "", "dim")))
    if data["failed"]:
        out.print()
        bad = sum(len(t) for t in failures.values())
        out.print(Text.assemble(("FAILED", "bold red"), f": your code failed on {bad} of "
                                f"{sum(not p['missing'] for p in data['panels'])} panels (why: above)."))


# --- viz gpt -------------------------------------------------------------------------------------

def _head_name(h: dict) -> str:
    return f"L{h['layer']} H{h['head']}" if h["layer"] is not None else f"map {h['head']}"


def gpt(data: dict) -> None:
    out = console.out
    colour = not console.colourless(out)
    text, cfg, trained = data["text"], data["config"], data.get("trained") or {}
    chars = list(text)
    T = len(chars)
    steps = trained.get("steps")
    done = f", trained {steps} step{'s' if steps != 1 else ''} to loss {trained['loss']:.3f}" if steps else ""
    out.print(Text.assemble(("Your GPT", "bold"), f" ({data['model']}: {cfg['n_layers']} layers x {cfg['n_heads']} "
                            f"heads, d_model {cfg['d_model']}{done}) on ", (repr(text), "bold"), f", {T} characters."))
    out.print(Text("Rows are queries, columns are keys (the text itself, read down and across); "
                   "a causal model leaves the upper right blank.", "dim"))
    if data["note"]:
        out.print(Text(data["note"], "yellow"))
    heads = data["heads"]
    if not heads:
        return
    layers: dict = {}
    for h in heads:
        layers.setdefault(h["layer"], []).append(h)
    for layer, group in layers.items():
        out.print()
        out.print(Text("Layer " + str(layer) if layer is not None else "Attention maps, in the order computed", "bold"))
        panels = [grid(h["weights"], chars, chars, Text(f"{_head_name(h)}  {h['reading']}", "bold"), colour)
                  for h in group]
        _print(side_by_side(panels, out.width))
        out.print()
        out.print(_table(group))
    out.print()
    _print([legend(colour)])
    log_t = heads[0]["log_t"]
    out.print(Text(f"entropy: -sum w ln w of a query's row (nats), mean over queries 1..T-1 (query 0 sees only "
                   f"itself); uniform: the same for a head spreading evenly over the keys each query sees "
                   f"(no row can exceed ln T = {log_t:.2f}). prev, self: mean weight on the previous token, on the "
                   "token itself (queries 1..T-1); first: on the first token (queries 2..T-1). The reading is the first that "
                   "applies: previous-token, self or first-token/sink (>= 0.5 there), uniform (entropy >= 0.9 x "
                   "uniform), sharp (<= 0.3 x uniform), else mixed.", "dim"))


def _table(group: list[dict]) -> Table:
    t = Table(box=box.SIMPLE, pad_edge=False, show_edge=False)
    for name in ("head", "entropy", "uniform", "prev", "self", "first", "reading"):
        t.add_column(name, justify="left" if name in ("head", "reading") else "right")
    for h in group:
        first = "-" if h["first"] is None else f"{h['first']:.2f}"
        t.add_row(Text(_head_name(h)), f"{h['entropy']:.2f}", f"{h['entropy_uniform']:.2f}", f"{h['prev']:.2f}",
                  f"{h['self']:.2f}", first, Text(h["reading"], "bold"))
    return t
