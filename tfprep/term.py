"""The quiz's screens drawn without importing rich (rich.console alone costs about a third of a
quiz's start-up, and a quiz shows its first card within that time).

A screen is a list of blocks: `Text` (styled runs), `Grid` (two columns), `Panel` (a rounded box
with a title and a subtitle on its edges) and `Table` (the bordered two-column table of the
session summary). `render` lays them out exactly as rich does, word wrapping and column widths
included: as plain text for a pipe, and with rich's SGR codes for a terminal (colours, or only
bold/dim/italic under NO_COLOR). `target` says which, as rich would decide it, and declines what
rich must draw (a notebook, a dumb terminal...). tests/test_term.py compares the two on every
card of every bank and on generated text, at several widths, byte for byte when plain and cell
for cell (character and style) on a terminal. The cell widths of characters come from
rich.cells, which imports nothing heavy.

Our own strings carry rich's markup (`[bold]Key points[/]`); `markup` reads the tags we use and
`escape` is rich's, so that text from banks and learners shows as written either way.
"""
from __future__ import annotations

import os
import re
import sys

from rich.cells import cell_len, chop_cells, set_cell_size

# --- styled text ---------------------------------------------------------------------------------

_CONTROL = {7: None, 8: None, 11: None, 12: None, 13: None}  # what rich's Text strips: BEL, BS, VT, FF, CR


class Text:
    """Runs of (text, style); `style` lies beneath every run (rich's Text(style=...))."""
    __slots__ = ("runs", "style")

    def __init__(self, runs: list[tuple[str, str]] | None = None, style: str = ""):
        self.runs = runs if runs is not None else []
        self.style = style

    @property
    def plain(self) -> str:
        return "".join(t for t, _ in self.runs).translate(_CONTROL)


def text(s: str, style: str = "") -> Text:
    return Text([(s, "")] if s else [], style)


def assemble(*parts: str | tuple[str, str]) -> Text:
    return Text([(p, "") if isinstance(p, str) else p for p in parts])


_TAG = re.compile(r"((\\*)\[([a-z#/@][^[]*?)])")
_ESCAPE = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")


def escape(s: str) -> str:
    """rich.markup.escape: brackets that would read as a tag are backslashed."""
    s = _ESCAPE.sub(lambda m: f"{m.group(1)}{m.group(1)}\\{m.group(2)}", s)
    if s.endswith("\\") and not s.endswith("\\\\"):
        return s + "\\"
    return s


class MarkupUnsupported(ValueError):
    """Markup this reader does not handle (links, @handlers, a closing tag out of place)."""


def markup(s: str) -> Text:
    """Our markup as rich reads it: `[style]`, `[/]`, `[/style]`, backslash escapes."""
    out: list[tuple[str, str]] = []
    stack: list[str] = []

    def add(chunk: str) -> None:
        if chunk:
            out.append((chunk.replace("\\[", "["), " ".join(stack)))

    at = 0
    for m in _TAG.finditer(s):
        full, escapes, tag = m.groups()
        add(s[at:m.start()])
        at = m.end()
        if escapes:
            backslashes, escaped = divmod(len(escapes), 2)
            if backslashes:
                out.append(("\\" * backslashes, " ".join(stack)))
            if escaped:
                out.append((full[len(escapes):], " ".join(stack)))
                continue
        if tag.startswith("@") or "=" in tag or "link" in tag:
            raise MarkupUnsupported(tag)
        if tag.startswith("/"):
            name = tag[1:].strip()
            if not stack or (name and name not in stack):
                raise MarkupUnsupported(tag)
            if name:
                del stack[len(stack) - 1 - stack[::-1].index(name)]
            else:
                stack.pop()
        else:
            stack.append(tag.strip())
    add(s[at:])
    return Text(out)


# --- lines: a plain string with one style per character ----------------------------------------------

class _Line:
    __slots__ = ("s", "st")

    def __init__(self, s: str = "", st: list[str] | None = None):
        self.s = s
        self.st = st if st is not None else [""] * len(s)

    def __add__(self, other: _Line) -> _Line:
        return _Line(self.s + other.s, self.st + other.st)

    def cut(self, a: int, b: int | None = None) -> _Line:
        return _Line(self.s[a:b], self.st[a:b])


def _spaces(n: int, style: str = "") -> _Line:
    return _Line(" " * max(0, n), [style] * max(0, n))


def _of(t: Text) -> _Line:
    s, st = [], []
    for chunk, style in t.runs:
        chunk = chunk.translate(_CONTROL)
        if "\t" in chunk:
            raise Unsupported("a tab (rich expands it to its tab stops)")
        s.append(chunk)
        st.extend([(t.style + " " + style).strip()] * len(chunk))
    return _Line("".join(s), st)


def _crop(line: _Line, width: int, ellipsis: bool = False) -> _Line:
    """rich's Text.truncate when the line is too wide: cut to the width ("fold"), or one cell
    short of it with "…" ("ellipsis", a table column's default)."""
    if cell_len(line.s) <= width:
        return line
    cropped = set_cell_size(line.s, width - 1 if ellipsis else width)
    styles = line.st[:len(cropped)] + [""] * max(0, len(cropped) - len(line.st))
    if not ellipsis:
        return _Line(cropped, styles)
    # rich trims its spans to the new length: "…" keeps the style of the character it replaces
    return _Line(cropped + "…", styles + [line.st[len(cropped)] if len(cropped) < len(line.st) else ""])


_WORD = re.compile(r"\s*\S+\s*")
_TRAILING_SPACE = re.compile(r"\s+$")


def _breaks(s: str, width: int, fold: bool = True) -> list[int]:
    """rich._wrap.divide_line: the offsets at which a line is broken; a word longer than the
    width is folded over lines, or (not `fold`) put on a line of its own to be cut."""
    breaks: list[int] = []
    offset = 0
    for m in _WORD.finditer(s):
        start, word = m.start(), m.group(0)
        length = cell_len(word.rstrip())
        if width - offset >= length:
            offset += cell_len(word)
        elif length > width and not fold:
            if start:
                breaks.append(start)
            offset = cell_len(word)
        elif length > width:
            folded = chop_cells(word, width)
            for i, piece in enumerate(folded):
                if start:
                    breaks.append(start)
                if i == len(folded) - 1:
                    offset = cell_len(piece)
                else:
                    start += len(piece)
        elif offset and start:
            breaks.append(start)
            offset = cell_len(word)
    return breaks


def wrap(t: Text, width: int, justify: str = "default", overflow: str = "fold") -> list[_Line]:
    """rich's Text.wrap: per line of the text, break between words, fold words longer than the
    width (or cut them with "…": overflow "ellipsis"), strip whitespace beyond it, then justify
    ("left" pads, "right" aligns)."""
    ellipsis = overflow == "ellipsis"
    whole = _of(t)
    lines: list[_Line] = []
    at = 0
    for part in whole.s.split("\n"):
        line = whole.cut(at, at + len(part))
        at += len(part) + 1
        cuts = [0, *_breaks(line.s, width, not ellipsis), len(line.s)]
        for a, b in zip(cuts, cuts[1:]):
            piece = line.cut(a, b)
            if len(piece.s) > width and (m := _TRAILING_SPACE.search(piece.s)):
                piece = piece.cut(0, len(piece.s) - min(len(m.group(0)), len(piece.s) - width))
            if justify == "left":
                piece = _crop(piece, width, ellipsis)
                piece = piece + _spaces(width - cell_len(piece.s), t.style)
            elif justify == "right":
                stripped = piece.s.rstrip()
                piece = _crop(piece.cut(0, len(stripped)), width, ellipsis)
                piece = _spaces(width - cell_len(piece.s), t.style) + piece
            lines.append(_crop(piece, width, ellipsis))
    return lines


def _longest_line(t: Text) -> int:
    """rich's measured maximum of a Text: its longest line in cells (the minimum, its longest
    word, only matters to rich's expanding tables, which these are not)."""
    return max((cell_len(r) for r in t.plain.splitlines()), default=0)


def _pad(lines: list[_Line], width: int) -> list[_Line]:
    """Each line cut or padded to exactly `width` cells (rich's render_lines with pad=True)."""
    cut = [_crop(ln, width) for ln in lines]
    return [ln + _spaces(width - cell_len(ln.s)) for ln in cut]


# --- blocks ----------------------------------------------------------------------------------------

# (plain classes, not dataclasses: building a dataclass costs a start-up ~0.3 ms each)

class Grid:
    """rich's Table.grid(padding=(0, 1)) with two columns: `pad_edge` adds a space at either edge,
    `right_first` right-justifies the first column and `no_wrap_first` never wraps it."""
    __slots__ = ("rows", "pad_edge", "right_first", "no_wrap_first")

    def __init__(self, rows: list[tuple[Text, Text]], pad_edge: bool = False, right_first: bool = False,
                 no_wrap_first: bool = False):
        self.rows, self.pad_edge, self.right_first, self.no_wrap_first = rows, pad_edge, right_first, no_wrap_first


class Panel:
    """rich's Panel (rounded box, padding (0, 1), expanded to the width) with a left-aligned title
    and a right-aligned subtitle."""
    __slots__ = ("body", "title", "subtitle", "border")

    def __init__(self, body: list, title: Text | None = None, subtitle: Text | None = None, border: str = ""):
        self.body, self.title, self.subtitle, self.border = body, title, subtitle, border


class Table:
    """rich's Table(title=..., show_header=False, title_justify="left") of two columns."""
    __slots__ = ("title", "rows", "first_style")

    def __init__(self, title: str, rows: list[tuple[str, str]], first_style: str = ""):
        self.title, self.rows, self.first_style = title, rows, first_style


class Unsupported(ValueError):
    """A layout this module does not reproduce (too narrow); the caller draws it with rich."""


def _ratio_reduce(total: int, ratios: list[int], maximums: list[int], values: list[int]) -> list[int]:
    ratios = [r if m else 0 for r, m in zip(ratios, maximums)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return values[:]
    remaining, result = total, []
    for ratio, maximum, value in zip(ratios, maximums, values):
        if ratio and total_ratio > 0:
            given = min(maximum, round(ratio * remaining / total_ratio))
            result.append(value - given)
            remaining -= given
            total_ratio -= ratio
        else:
            result.append(value)
    return result


def _collapse(widths: list[int], wrapable: list[bool], max_width: int) -> list[int]:
    total = sum(widths)
    excess = total - max_width
    if any(wrapable):
        while total and excess > 0:
            top = max(w for w, ok in zip(widths, wrapable) if ok)
            second = max(w if ok and w != top else 0 for w, ok in zip(widths, wrapable))
            ratios = [1 if (w == top and ok) else 0 for w, ok in zip(widths, wrapable)]
            if not any(ratios) or not top - second:
                break
            widths = _ratio_reduce(excess, ratios, [min(excess, top - second)] * len(widths), widths)
            total = sum(widths)
            excess = total - max_width
    return widths


def _grid(g: Grid, max_width: int) -> list[_Line]:
    if not g.rows:
        return [_Line()]
    # padding per column (left, right), as rich's Table collapses and edges it
    pads = [(1, 1), (0, 1)] if g.pad_edge else [(0, 1), (0, 0)]
    extras = [a + b for a, b in pads]

    def measure(col: int, width: int) -> int:
        """A column's measured maximum within `width` (rich's Padding + Text measurement)."""
        room = width - extras[col]
        if room < 1:
            return width
        return max(min(_longest_line(row[col]), room) for row in g.rows) + extras[col]

    widths = [measure(c, max_width) or 1 for c in (0, 1)]
    if sum(widths) > max_width:
        widths = _collapse(widths, [not g.no_wrap_first, True], max_width)
        if sum(widths) > max_width:
            widths = _ratio_reduce(sum(widths) - max_width, [1, 1], widths, widths)
        widths = [measure(c, w) for c, w in zip((0, 1), widths)]
    out: list[_Line] = []
    for row in g.rows:
        cells = []
        for col, (cell, width) in enumerate(zip(row, widths)):
            left, right = pads[col]
            inner = width - left - right
            if inner < 1 or (col == 0 and g.no_wrap_first and cell_len(cell.plain) > inner):
                raise Unsupported("grid too narrow")
            lines = wrap(cell, inner, "right" if (col == 0 and g.right_first) else "left", "ellipsis")
            cells.append([_spaces(left) + ln + _spaces(right) for ln in _pad(lines, inner)])
        height = max(len(c) for c in cells)
        for c, width in zip(cells, widths):
            c.extend([_spaces(width)] * (height - len(c)))
        out.extend(cells[0][i] + cells[1][i] for i in range(height))
    return out


def _edge(left: str, fill: str, right: str, label: Text | None, width: int, align: str, style: str) -> _Line:
    """A panel's top or bottom edge with its title or subtitle (rich's align_text)."""
    if label is None or not label.plain:  # rich draws no empty title
        return _Line(left + fill * (width - 2) + right, [style] * width)
    inner = width - 4
    t = Text(label.runs, (style + " " + label.style).strip())
    t = _Line(" ", [t.style]) + _of(t) + _Line(" ", [t.style])  # rich pads a title by a space
    t = _Line(t.s.replace("\n", " "), t.st)
    t = _crop(t, inner)
    excess = inner - cell_len(t.s)
    fill_line = _Line(fill * excess, [style] * excess)
    middle = t + fill_line if align == "left" else fill_line + t
    return _Line(left + fill, [style] * 2) + middle + _Line(fill + right, [style] * 2)


def _panel(p: Panel, width: int) -> list[_Line]:
    if width < 10:
        raise Unsupported("panel too narrow")
    inner = width - 4
    body = [ln for block in p.body for ln in _block(block, inner)]
    out = [_edge("╭", "─", "╮", p.title, width, "left", p.border)]
    side = _Line("│", [p.border])
    for ln in _pad(body, inner):
        out.append(side + _spaces(1) + ln + _spaces(1) + side)
    out.append(_edge("╰", "─", "╯", p.subtitle, width, "right", p.border))
    return out


def _table(t: Table, max_width: int) -> list[_Line]:
    widths = [max(cell_len(r[c]) for r in t.rows) + 2 for c in (0, 1)]
    if sum(widths) + 3 > max_width or any("\n" in cell for r in t.rows for cell in r):
        raise Unsupported("table too wide")
    total = sum(widths) + 3
    title = wrap(text(t.title, "italic"), total, "left")
    out = list(title)
    out.append(_Line("┌" + "─" * widths[0] + "┬" + "─" * widths[1] + "┐"))
    for a, b in t.rows:
        first = _Line(a, [t.first_style] * len(a))
        out.append(_Line("│ ") + first + _spaces(widths[0] - 2 - cell_len(a), t.first_style)
                   + _Line(" │ " + b + " " * (widths[1] - 2 - cell_len(b)) + " │"))
    out.append(_Line("└" + "─" * widths[0] + "┴" + "─" * widths[1] + "┘"))
    return out


def _block(block, width: int) -> list[_Line]:
    if isinstance(block, Text):
        return wrap(block, width)
    if isinstance(block, Grid):
        return _grid(block, width)
    if isinstance(block, Panel):
        return _panel(block, width)
    if isinstance(block, Table):
        return _table(block, width)
    raise Unsupported(f"not a block of this module: {type(block).__name__}")


# SGR codes as rich writes them: attributes in this order, then the colour ("bold cyan" -> 1;36)
_ATTRIBUTES = {"bold": "1", "dim": "2", "italic": "3", "underline": "4", "blink": "5", "reverse": "7", "strike": "9"}
_COLOURS = {name: str(30 + i) for i, name in enumerate(("black", "red", "green", "yellow", "blue", "magenta", "cyan",
                                                        "white"))}
_COLOURS.update({f"bright_{name}": str(int(code) + 60) for name, code in list(_COLOURS.items())})


def sgr(style: str, colour: bool = True) -> str:
    """The escape code opening `style` ("" when it has none); later colours win, as in rich;
    `colour=False` keeps the attributes only (NO_COLOR)."""
    attributes, fg = set(), None
    for word in style.split():
        if word in _ATTRIBUTES:
            attributes.add(word)
        elif word in _COLOURS:
            fg = _COLOURS[word]
        elif word not in ("none", "default"):
            raise Unsupported(f"style {word!r}")
    codes = [code for name, code in _ATTRIBUTES.items() if name in attributes]
    if fg and colour:
        codes.append(fg)
    return f"\x1b[{';'.join(codes)}m" if codes else ""


def _styled(line: _Line, styles: str | None) -> str:
    """A line as text: plain (`styles` None), or each run of one style in its SGR code and a reset
    ("colour", or "mono": attributes without colours)."""
    if styles is None:
        return line.s
    out, at = [], 0
    while at < len(line.s):
        style, end = line.st[at], at + 1
        while end < len(line.s) and line.st[end] == style:
            end += 1
        code = sgr(style, styles == "colour")
        out.append(f"{code}{line.s[at:end]}\x1b[0m" if code else line.s[at:end])
        at = end
    return "".join(out)


def render(blocks: list, width: int, end: str = "\n", styles: str | None = None) -> str:
    """The blocks as rich prints them, one after another, `width` wide; a Text block is followed
    by `end` when it is the last (a prompt: end=""). `styles`: None for plain output, "colour"
    or "mono" (no colours: NO_COLOR) for a terminal."""
    out = []
    for i, block in enumerate(blocks):
        lines = _block(block, width)
        last = i == len(blocks) - 1
        out.append("\n".join(_styled(ln, styles) for ln in lines) + (end if last and isinstance(block, Text) else "\n"))
    return "".join(out)


def render_line(t: Text, width: int, styles: str | None = None) -> str:
    """One line never wrapped, cut with "…" at the width (a status line redrawn in place)."""
    line = _of(t)
    if "\n" in line.s:
        raise Unsupported("a status line of several lines")
    return _styled(_crop(line, width, ellipsis=True), styles)


def target() -> tuple[int, str | None] | None:
    """Where the quiz's screens go, as rich would draw them: (width, None) for plain output (a
    pipe), (width, "colour" or "mono") for a terminal (or TTY_COMPATIBLE=1, FORCE_COLOR), None
    where rich must draw (a notebook, IDLE, Windows, a dumb terminal, a stream not UTF-8)."""
    env = os.environ
    if os.name == "nt" or "IPython" in sys.modules or "idlelib" in sys.modules:
        return None
    compatible = env.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        terminal = compatible == "1"
    elif (force := env.get("FORCE_COLOR")) is not None:
        terminal = force != ""
    else:
        try:
            terminal = sys.stdout.isatty()
        except (ValueError, AttributeError):
            terminal = False
    if terminal and env.get("TERM", "").lower() in ("dumb", "unknown"):
        return None
    if not (getattr(sys.stdout, "encoding", None) or "").lower().startswith("utf"):
        return None
    width = None
    for fd in (0, 1, 2):  # rich asks stdin, stdout and stderr, in that order
        try:
            width = os.get_terminal_size(fd).columns
            break
        except (AttributeError, ValueError, OSError):
            pass
    columns = env.get("COLUMNS")
    if columns is not None and columns.isdigit():
        width = int(columns)
    if not terminal:
        return width or 80, None
    return width or 80, "mono" if env.get("NO_COLOR", "") != "" else "colour"
