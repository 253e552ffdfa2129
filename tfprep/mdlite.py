"""The Markdown the banks' answers use, parsed without markdown-it: paragraphs, flat bullet and
numbered lists, **bold**, *italic* / _italic_, `code`, [links](url) and backslash escapes.

Why: rich.markdown (markdown-it, pygments) costs about a quarter of a quiz's start-up to import,
and an answer is shown on the very first card. `parse` returns None for anything outside this
subset (tables, code fences, headings, quotes, HTML, nested lists, rules), and the caller then
renders with rich.markdown as before. Pure text in, plain data out: tfprep.console draws it.
"""
from __future__ import annotations

import re

# Lines that need the full renderer: tables, fences, headings, quotes, HTML, nested or indented
# blocks, rules and setext underlines.
_UNSUPPORTED = re.compile(r"^(\s*\||\s*(```|~~~)|#{1,6}\s|\s*>|\s*<[a-zA-Z/!]|\s{2,}([-*+]|\d+[.)])\s|\s{4,}\S"
                          r"|\s*([-*_])(\s*\4){2,}\s*$|=+\s*$)", re.M)
_BULLET = re.compile(r"^[-*+]\s+(.*)$")
_NUMBER = re.compile(r"^(\d{1,9})[.)]\s+(.*)$")
_INLINE = re.compile(r"""
    (?P<code>(?P<ticks>`+)(?P<code_text>.+?)(?<!`)(?P=ticks)(?!`))
  | (?P<escape>\\(?P<escaped>[\\`*_{}\[\]()#+\-.!|<>~]))
  | (?P<link>\[(?P<link_text>[^\]\n]+)\]\((?P<url>[^)\s]+)\))
  | (?P<bold>(?P<mark>\*\*|__)(?P<bold_text>(?!\s).+?(?<!\s))(?P=mark))
  | (?P<italic>(?<![\w*])\*(?P<star_text>(?![\s*]).+?(?<![\s*]))\*(?![\w*])
              |(?<![\w_])_(?P<under_text>(?![\s_]).+?(?<![\s_]))_(?![\w_]))
""", re.X | re.S)


def spans(text: str, styles: frozenset = frozenset()) -> list[tuple[str, frozenset]]:
    """Inline Markdown as (text, styles) runs; styles among bold, italic, code, link."""
    out: list[tuple[str, frozenset]] = []
    at = 0
    for m in _INLINE.finditer(text):
        if m.start() > at:
            out.append((text[at:m.start()], styles))
        if m.group("code"):
            out.append((m.group("code_text").strip(" ") or m.group("code_text"), styles | {"code"}))
        elif m.group("escape"):
            out.append((m.group("escaped"), styles))
        elif m.group("link"):
            out += spans(m.group("link_text"), styles | {"link"})
            out.append((f" ({m.group('url')})", styles | {"url"}))
        elif m.group("bold"):
            out += spans(m.group("bold_text"), styles | {"bold"})
        else:
            out += spans(m.group("star_text") or m.group("under_text"), styles | {"italic"})
        at = m.end()
    if at < len(text):
        out.append((text[at:], styles))
    return out


def parse(text: str) -> list[tuple] | None:
    """Blocks: ("p", spans) and ("list", [(marker, spans), ...]); None if the text needs more
    Markdown than this (see the module's docstring)."""
    if _UNSUPPORTED.search(text):
        return None
    blocks: list[list] = []  # ["p", [lines]] or ["list", kind, [[marker, [lines]], ...]]
    current = None  # the block lines go to, None after a blank line
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            current = None
            continue
        bullet, number = _BULLET.match(stripped), _NUMBER.match(stripped)
        in_paragraph = current is not None and current[0] == "p"
        if bullet or (number and (not in_paragraph or number.group(1) == "1")):
            kind = "ul" if bullet else "ol"
            marker = "•" if bullet else f"{int(number.group(1))}."
            body = (bullet or number).group(bullet and 1 or 2)
            last = blocks[-1] if blocks else None
            if last is not None and last[0] == "list" and last[1] == kind and (current is last or current is None):
                last[2].append([marker, [body]])
                current = last
            else:
                current = ["list", kind, [[marker, [body]]]]
                blocks.append(current)
        elif current is None:
            current = ["p", [stripped]]
            blocks.append(current)
        elif current[0] == "p":
            current[1].append(stripped)
        else:
            current[2][-1][1].append(stripped)  # a continuation of the list's last item
    out: list[tuple] = []
    for block in blocks:
        if block[0] == "p":
            out.append(("p", spans(" ".join(block[1]))))
        else:
            out.append(("list", [(marker, spans(" ".join(lines))) for marker, lines in block[2]]))
    return out
