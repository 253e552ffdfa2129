"""Export the question banks: an Anki package (.apkg, one deck per bank) or printable Markdown.

No terminal code here: `export()` writes the files and returns what it wrote. The ids, the HTML
and the Markdown come from pure functions, so they can be tested without writing anything.

Re-importing a newer export into Anki updates the notes it imported before instead of adding
copies: Anki matches notes on their guid, so the guid, the note id, the card id, the deck ids and
the note model's id are all fixed functions of the question id, the bank name or a constant.
The question id is the key (ids are unique across banks), so a question moved to another bank
keeps its note and its review history.

genanki (the optional `anki` extra) and markdown-it-py (a dependency of rich) are imported only
inside the functions that need them; `tfprep --help` loads neither.
"""
from __future__ import annotations

import hashlib
import html
import importlib.util
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from tfprep.errors import ExitStatus, TfprepError

FORMATS = ("anki", "md")
INSTALL = "pip install 'tfprep[anki]'"
DECK_ROOT = "tfprep"
MODEL_NAME = "tfprep question"
# Change the model's key (a new model id) only when its fields change incompatibly: Anki treats a
# new id as a different note type and would not update the notes made with the old one.
MODEL_KEY = "model:v1"
FIELDS = ("Question", "Answer", "KeyPoints", "FollowUps", "Sources", "Id", "Bank", "Difficulty")

# Anki's ids are millisecond timestamps by convention (the browser shows a note's id as its
# creation date). Ours are hashes placed in [ID_BASE, ID_BASE + ID_SPAN): 2017-07-14 to 2020-09,
# well clear of the small temporary ids genanki is given while writing (see _apkg).
ID_BASE = 1_500_000_000_000
ID_SPAN = 100_000_000_000
_BASE91 = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
           "!#$%&()*+,-./:;<=>?@[]^_`{|}~")


@dataclass
class ExportResult:
    format: str
    written: list[Path]  # the .apkg, or one Markdown file per bank
    counts: dict[str, int]  # bank -> questions exported
    kept: list[tuple[Path, Path]] = field(default_factory=list)  # (replaced file, where the old one is kept)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# --- ids ------------------------------------------------------------------------------------

def _digest(key: str) -> int:
    return int.from_bytes(hashlib.sha256(f"tfprep:{key}".encode()).digest()[:8], "big")


def _stable_id(key: str) -> int:
    return ID_BASE + _digest(key) % ID_SPAN


def note_guid(qid: str) -> str:
    """The note's guid (what Anki matches on when it imports): 64 bits of a hash of the question id,
    written in the base-91 alphabet Anki uses for the guids it makes itself."""
    n = _digest(f"guid:{qid}")
    chars = []
    while n:
        n, digit = divmod(n, len(_BASE91))
        chars.append(_BASE91[digit])
    return "".join(reversed(chars)) or _BASE91[0]


def note_id(qid: str) -> int:
    return _stable_id(f"note:{qid}")


def card_id(qid: str, ord_: int = 0) -> int:
    return _stable_id(f"card:{qid}:{ord_}")


def deck_id(bank: str) -> int:
    return _stable_id(f"deck:{bank}")


def model_id() -> int:
    return _stable_id(MODEL_KEY)


def deck_name(bank: str) -> str:
    return f"{DECK_ROOT}::{bank}"


def note_tags(q) -> list[str]:
    """The question's tags plus one for its bank (`tfprep::core25`); Anki tags have no spaces."""
    return [re.sub(r"\s+", "_", t) for t in (*q.tags, f"{DECK_ROOT}::{q.bank}")]


# --- Markdown to HTML, math kept for MathJax --------------------------------------------------

# Left to right: code (left as it is), then display math, then inline math. A `$...$` span follows
# Pandoc's rule: no space just inside either dollar and no digit right after the closing one, so
# "$5 and $10" stays text.
_SEGMENT = re.compile(
    r"(?P<fence>^[ \t]{0,3}(?P<fc>`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]{0,3}(?P=fc)[ \t]*$|\Z))"
    r"|(?P<code>(?<![`\\])(?P<ticks>`+)(?!`).+?(?<!`)(?P=ticks)(?!`))"
    r"|\$\$(?P<d1>.+?)\$\$"
    r"|\\\[(?P<d2>.+?)\\\]"
    r"|\\\((?P<i1>.+?)\\\)"
    r"|(?<![\\$\w])\$(?P<i2>[^\s$](?:[^$\n]*?[^\s$\\])?)\$(?!\d)",
    re.S | re.M,
)
_HOLE = re.compile("\ue000(\\d+)\ue001")  # private-use characters: no Markdown meaning


def protect_math(text: str) -> tuple[str, list[str]]:
    """Replace every math span with a placeholder the Markdown parser leaves alone; return the text
    and the spans, each already in MathJax's delimiters `\\(...\\)` or `\\[...\\]`."""
    spans: list[str] = []

    def swap(m: re.Match) -> str:
        if m["fence"] is not None or m["code"] is not None:
            return m.group(0)
        if m["d1"] is not None or m["d2"] is not None:
            spans.append(f"\\[{m['d1'] if m['d1'] is not None else m['d2']}\\]")
        else:
            spans.append(f"\\({m['i1'] if m['i1'] is not None else m['i2']}\\)")
        return f"\ue000{len(spans) - 1}\ue001"

    return _SEGMENT.sub(swap, text), spans


def _restore_math(rendered: str, spans: list[str]) -> str:
    return _HOLE.sub(lambda m: html.escape(spans[int(m[1])], quote=False), rendered)


_md = None


def _parser():
    global _md
    if _md is None:
        from markdown_it import MarkdownIt  # comes with rich

        # CommonMark without raw HTML: "n < d" and "<|endoftext|>" in answers are text, not tags.
        _md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    return _md


def markdown_html(text: str, *, inline: bool = False) -> str:
    """Markdown to HTML (CommonMark plus tables); math spans come out as `\\(...\\)` or `\\[...\\]`
    for Anki's MathJax, their underscores, asterisks and backslashes untouched."""
    source, spans = protect_math(text.strip())
    md = _parser()
    rendered = md.renderInline(source) if inline else md.render(source)
    return _restore_math(rendered, spans).strip()


def _html_list(items, render: Callable[[str], str]) -> str:
    if not items:
        return ""
    return "<ul>" + "".join(f"<li>{render(item)}</li>" for item in items) + "</ul>"


def source_link(src: dict) -> str | None:
    if src.get("arxiv"):
        return f"https://arxiv.org/abs/{src['arxiv']}"
    return src.get("url") or None


def source_html(src: dict) -> str:
    """One source as `banks.cite` writes it, the title in italics and the arXiv id or URL a link."""
    e = html.escape
    label = f"arXiv:{src['arxiv']}" if src.get("arxiv") else src.get("url", "")
    link = source_link(src)
    ref = f'<a href="{e(link)}">{e(label)}</a>' if link else e(label)
    return f"{e(src['authors'])} ({src['year']}). <i>{e(src['title'])}</i>. {ref}. {e(src['where'])}"


def note_fields(q) -> dict[str, str]:
    """The note's fields, as HTML, in FIELDS order."""
    inline = lambda s: markdown_html(s, inline=True)  # noqa: E731
    return {
        "Question": inline(" ".join(q.question.split())),
        "Answer": markdown_html(q.answer),
        "KeyPoints": _html_list(q.key_points, inline),
        "FollowUps": _html_list(q.follow_ups, inline),
        "Sources": _html_list(q.sources, source_html),
        "Id": html.escape(q.id),
        "Bank": html.escape(q.bank),
        "Difficulty": str(q.difficulty),
    }


# --- the note model ---------------------------------------------------------------------------

FRONT = '<div class="tfprep-q">{{Question}}</div>'
BACK = """{{FrontSide}}
<hr id="answer">
<div class="tfprep-a">{{Answer}}</div>
{{#KeyPoints}}<h4>Key points</h4><div class="tfprep-kp">{{KeyPoints}}</div>{{/KeyPoints}}
{{#FollowUps}}<h4>Follow-ups</h4><div class="tfprep-fu">{{FollowUps}}</div>{{/FollowUps}}
{{#Sources}}<h4>Sources</h4><div class="tfprep-src">{{Sources}}</div>{{/Sources}}
<div class="tfprep-meta">{{Bank}} · {{Id}} · difficulty {{Difficulty}}</div>"""
CSS = """.card { font-family: -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 18px; line-height: 1.45;
  text-align: left; color: #1d1d1f; background: #fff; max-width: 46em; margin: 0 auto; }
.nightMode.card, .night_mode .card { color: #e8e8e8; background: #1e1e1e; }
.tfprep-q { font-weight: 600; }
h4 { margin: 1em 0 .3em; font-size: .9em; text-transform: uppercase; letter-spacing: .04em; opacity: .7; }
code { font-family: Menlo, Consolas, monospace; font-size: .9em; padding: 0 .2em; border-radius: 3px;
  background: rgba(127, 127, 127, .15); }
pre code { display: block; padding: .6em; overflow-x: auto; }
table { border-collapse: collapse; margin: .6em 0; font-size: .9em; }
th, td { border: 1px solid rgba(127, 127, 127, .5); padding: .25em .5em; vertical-align: top; }
.tfprep-src { font-size: .8em; }
.tfprep-meta { margin-top: 1.2em; font-size: .75em; opacity: .55; }
"""


def _require_genanki() -> None:
    if importlib.util.find_spec("genanki") is None:
        raise TfprepError("exporting to Anki needs genanki, which is not installed", ExitStatus.MISSING,
                          hint=f"install it with: {INSTALL}")


def _model(genanki):
    return genanki.Model(
        model_id(), MODEL_NAME,
        fields=[{"name": name} for name in FIELDS],
        templates=[{"name": "Question → answer", "qfmt": FRONT, "afmt": BACK}],
        css=CSS, sort_field_index=0,
    )


def _apkg(groups: dict[str, tuple[str, list]], target: Path, timestamp: float) -> None:
    """Write the package to `target` (a new file). genanki writes the collection; its own note and
    card ids (from a counter) are then replaced by ours, so they do not depend on the clock."""
    import itertools
    import sqlite3
    import tempfile
    import zipfile

    import genanki

    model = _model(genanki)
    decks, ids, guid_to_qid = [], {}, {}
    for bank, (title, questions) in groups.items():
        deck = genanki.Deck(deck_id(bank), deck_name(bank), description=html.escape(title))
        for q in questions:
            fields = note_fields(q)
            deck.add_note(genanki.Note(model=model, fields=[fields[f] for f in FIELDS], tags=note_tags(q),
                                       guid=note_guid(q.id)))
            guid_to_qid[note_guid(q.id)] = q.id
            ids[note_id(q.id)] = q.id
        decks.append(deck)
    if len(ids) != len(guid_to_qid) or len(guid_to_qid) != sum(len(qs) for _, qs in groups.values()):
        raise TfprepError("two questions hash to the same Anki note id or guid",
                          hint="change one of the question ids")
    with tempfile.TemporaryDirectory(prefix="tfprep-apkg-") as tmp:
        db = Path(tmp) / "collection.anki2"
        conn = sqlite3.connect(db)
        try:
            # a scratch file, zipped below: no journal, no fsync (the schema's commits cost ~0.2 s)
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            genanki.Package(decks).write_to_db(conn.cursor(), timestamp, itertools.count(1))
            for nid_tmp, guid in conn.execute("SELECT id, guid FROM notes").fetchall():
                qid = guid_to_qid[guid]
                for cid_tmp, ord_ in conn.execute("SELECT id, ord FROM cards WHERE nid = ?", (nid_tmp,)).fetchall():
                    conn.execute("UPDATE cards SET id = ?, nid = ? WHERE id = ?", (card_id(qid, ord_), note_id(qid), cid_tmp))
                conn.execute("UPDATE notes SET id = ? WHERE id = ?", (note_id(qid), nid_tmp))
            conn.commit()
        finally:
            conn.close()
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(db, "collection.anki2")
            zf.writestr("media", "{}")  # no media files


# --- Markdown study sheets --------------------------------------------------------------------

def _md_source(src: dict) -> str:
    label = f"arXiv:{src['arxiv']}" if src.get("arxiv") else src.get("url", "")
    link = source_link(src)
    ref = f"[{label}]({link})" if link else label
    return f"{src['authors']} ({src['year']}). *{src['title']}*. {ref}. {src['where']}"


def study_sheet(bank: str, title: str, questions: list) -> str:
    """One bank as a printable Markdown page: each question a heading, then its answer, key points,
    follow-ups and sources."""
    lines = [f"# {title or bank}", "", f"tfprep bank `{bank}`: {len(questions)} questions.", ""]
    for i, q in enumerate(questions, 1):
        lines += [f"## {i}. {' '.join(q.question.split())}", "",
                  f"`{q.id}` · difficulty {q.difficulty} · tags: {', '.join(q.tags)}", "",
                  q.answer.strip(), ""]
        for heading, items in (("Key points", q.key_points), ("Follow-ups", q.follow_ups),
                               ("Sources", [_md_source(s) for s in q.sources])):
            if items:
                lines += [f"**{heading}**", "", *(f"- {' '.join(item.split())}" for item in items), ""]
    return "\n".join(lines).rstrip() + "\n"


# --- writing files ----------------------------------------------------------------------------

def _backup_name(path: Path, now: datetime) -> Callable[[int], str]:
    stamp = now.astimezone().strftime("%Y-%m-%dT%H-%M-%S")
    return lambda n: f"{path.name}.{stamp}{'' if n == 1 else f'-{n}'}.bak"


def _check_targets(targets: list[Path], force: bool) -> None:
    for t in targets:
        if t.is_dir():
            raise TfprepError(f"{t} is a folder, not a file")
    taken = [t for t in targets if t.exists()]
    if taken and not force:
        raise TfprepError(f"{taken[0]} already exists" + (f" (and {len(taken) - 1} more)" if len(taken) > 1 else ""),
                          hint="add --force to replace it; the old file is kept beside it as a .bak")


def _put(tmp: Path, target: Path, force: bool, now: datetime) -> Path | None:
    """Move the finished `tmp` to `target`. Without `force` never replace a file (one that appeared
    since the check included); with it keep the old file first. Returns where the old one is kept."""
    from tfprep import paths

    if not force:
        try:
            os.link(tmp, target)  # fails if target exists: no window in which it could be clobbered
        except FileExistsError:
            raise TfprepError(f"{target} already exists", hint="add --force to replace it") from None
        except OSError:
            if target.exists():
                raise TfprepError(f"{target} already exists", hint="add --force to replace it") from None
            os.replace(tmp, target)
            return None
        tmp.unlink()
        return None
    kept = paths.keep_beside(target, _backup_name(target, now)) if target.exists() else None
    # A new inode: the backup may be a hard link to the old file, so the old file is never written to.
    os.replace(tmp, target)
    return kept


def _tmp_beside(target: Path) -> Path:
    """A new empty file beside `target` (same file system, so the final rename is atomic), made
    with open() rather than mkstemp so it gets the umask's permissions, not 0600."""
    import secrets

    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            open(tmp, "x").close()
            return tmp
        except FileExistsError:
            continue


def select(all_banks: dict, bank: str) -> dict[str, tuple[str, list]]:
    """{bank: (title, questions)} for `bank` (a bank's name or "all")."""
    from tfprep import banks as banks_mod

    banks_mod.select(all_banks, bank)  # the "unknown bank, did you mean" error
    return {b.name: (b.title, list(b.questions)) for b in all_banks.values() if bank in ("all", b.name)}


def export(all_banks: dict, fmt: str, out: Path, *, bank: str = "all", force: bool = False,
           now: datetime | None = None) -> ExportResult:
    """Write `bank` (or all banks) as `fmt` to `out`: a .apkg file for "anki", a folder of one
    BANK.md per bank for "md". An existing file is replaced only with `force`, and then kept
    beside it under a unique .bak name."""
    from datetime import timezone

    from tfprep.errors import did_you_mean

    now = now or datetime.now(timezone.utc)
    if fmt not in FORMATS:
        raise TfprepError(f"unknown format '{fmt}'", hint=did_you_mean(fmt, list(FORMATS)) or "formats: anki, md")
    groups = select(all_banks, bank)
    out = Path(out).expanduser()
    if fmt == "anki":
        _require_genanki()
        if out.suffix.lower() != ".apkg":
            raise TfprepError(f"{out}: an Anki package's name must end in .apkg", hint="e.g. --out tfprep.apkg")
        targets = {"": out}
    else:
        if out.exists() and not out.is_dir():
            raise TfprepError(f"{out} is a file; --format md writes one BANK.md per bank into a folder",
                              hint="e.g. --out study-sheets")
        targets = {name: out / f"{name}.md" for name in groups}
    _check_targets(list(targets.values()), force)
    try:
        (out.parent if fmt == "anki" else out).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TfprepError(f"cannot create {exc.filename or out}: {exc.strerror}") from None

    result = ExportResult(fmt, [], {name: len(qs) for name, (_, qs) in groups.items()})
    for name, target in targets.items():
        tmp = None
        try:
            tmp = _tmp_beside(target)
            if fmt == "anki":
                _apkg(groups, tmp, now.timestamp())
            else:
                title, questions = groups[name]
                with open(tmp, "w", encoding="utf-8") as fh:
                    fh.write(study_sheet(name, title, questions))
            kept = _put(tmp, target, force, now)
        except OSError as exc:
            raise TfprepError(f"cannot write {target}: {exc.strerror or exc}") from None
        finally:
            if tmp is not None and tmp.exists():
                tmp.unlink()
        result.written.append(target)
        if kept:
            result.kept.append((target, kept))
    return result
