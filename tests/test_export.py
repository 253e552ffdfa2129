"""`tfprep bank export`: the .apkg read back as Anki reads it (a zip holding a SQLite collection),
ids that survive re-export, the HTML in the fields, Markdown study sheets, and the overwrite rules."""
import json
import os
import re
import sqlite3
import subprocess
import sys
import warnings
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import importlib.util

import pytest

from tfprep import banks, export

# genanki is in the dev extra, so CI runs these; a bare install skips only the .apkg tests.
anki = pytest.mark.skipif(importlib.util.find_spec("genanki") is None,
                          reason="needs the anki extra: pip install 'tfprep[anki]'")

COUNTS = {"core25": 25, "grill60": 60, "probing": 34}
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def read_apkg(path: Path, tmp: Path) -> dict:
    """What Anki's importer sees: the zip's `media` map and the collection's notes, cards, decks
    and note types."""
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        media = json.loads(zf.read("media"))
        db = tmp / f"{path.name}.anki2"
        db.write_bytes(zf.read("collection.anki2"))
    conn = sqlite3.connect(db)
    try:
        decks_json, models_json = conn.execute("SELECT decks, models FROM col").fetchone()
        models = json.loads(models_json)
        field_names = {mid: [f["name"] for f in m["flds"]] for mid, m in models.items()}
        notes = {}
        for nid, guid, mid, mod, tags, flds in conn.execute("SELECT id, guid, mid, mod, tags, flds FROM notes"):
            fields = dict(zip(field_names[str(mid)], flds.split("\x1f")))
            notes[fields["Id"]] = {"id": nid, "guid": guid, "mid": mid, "mod": mod, "tags": tags.split(),
                                   "fields": fields}
        cards = conn.execute("SELECT id, nid, did, ord FROM cards").fetchall()
    finally:
        conn.close()
    return {"names": names, "media": media, "notes": notes, "cards": cards, "models": models,
            "decks": {int(k): d["name"] for k, d in json.loads(decks_json).items()}}


@pytest.fixture
def all_banks():
    return banks.load_all()


def by_id(all_banks):
    return {q.id: q for b in all_banks.values() for q in b.questions}


# --- the .apkg ------------------------------------------------------------------------------

@anki
def test_export_all_banks_as_anki_reads_it(cli, tmp_path, all_banks):
    out = tmp_path / "tfprep.apkg"
    result = cli("bank", "export", "--format", "anki", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "119 notes in 3 deck(s)" in result.output
    umask = os.umask(0o22)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # a normal file, not a private temporary
    pkg = read_apkg(out, tmp_path)
    assert {"collection.anki2", "media"} <= pkg["names"] and pkg["media"] == {}

    questions = by_id(all_banks)
    assert len(pkg["notes"]) == 119 and set(pkg["notes"]) == set(questions)
    assert len(pkg["cards"]) == 119 and {nid for _, nid, _, _ in pkg["cards"]} == {n["id"] for n in pkg["notes"].values()}

    # one deck per bank, under tfprep::, and each card in its question's bank's deck
    deck_of = {did: name for did, name in pkg["decks"].items() if name != "Default"}
    assert sorted(deck_of.values()) == ["tfprep::core25", "tfprep::grill60", "tfprep::probing"]
    nid_to_qid = {n["id"]: qid for qid, n in pkg["notes"].items()}
    per_deck = {}
    for _, nid, did, _ in pkg["cards"]:
        q = questions[nid_to_qid[nid]]
        assert deck_of[did] == f"tfprep::{q.bank}"
        per_deck[deck_of[did]] = per_deck.get(deck_of[did], 0) + 1
    assert per_deck == {f"tfprep::{b}": n for b, n in COUNTS.items()}

    # a custom note type with separate fields; ids and guids are the functions of the question id
    (mid, model), = pkg["models"].items()
    assert int(mid) == export.model_id() and model["name"] == "tfprep question"
    assert [f["name"] for f in model["flds"]] == ["Question", "Answer", "KeyPoints", "FollowUps", "Sources", "Id",
                                                  "Bank", "Difficulty"]
    assert "{{Question}}" in model["tmpls"][0]["qfmt"] and "{{Answer}}" not in model["tmpls"][0]["qfmt"]
    for name in ("Answer", "KeyPoints", "FollowUps", "Sources"):
        assert "{{%s}}" % name in model["tmpls"][0]["afmt"]
    for qid, note in pkg["notes"].items():
        q = questions[qid]
        assert note["id"] == export.note_id(qid) and note["guid"] == export.note_guid(qid)
        assert note["fields"]["Bank"] == q.bank and note["fields"]["Difficulty"] == str(q.difficulty)
        assert sorted(note["tags"]) == sorted([*q.tags, f"tfprep::{q.bank}"])


@anki
def test_fields_hold_the_answer_as_html(cli, tmp_path, all_banks):
    out = tmp_path / "t.apkg"
    assert cli("bank", "export", "--out", str(out)).exit_code == 0
    notes = read_apkg(out, tmp_path)["notes"]

    table = notes["core-bert-vs-gpt-architecture"]["fields"]  # its answer has a Markdown table
    assert "<table>" in table["Answer"] and "<th>BERT</th>" in table["Answer"] and "<td>Post-LN</td>" in table["Answer"]

    rnn = notes["core-rnn-bottleneck"]["fields"]
    assert "<strong>sequential computation</strong>" in rnn["Answer"]
    assert "<code>h_t = f(h_{t-1}, x_t)</code>" in rnn["Answer"]
    assert "O(n²·d)" in rnn["Answer"]  # the banks write math in Unicode: it arrives as it is
    assert "When n &lt; d" in rnn["Answer"]  # text, not an HTML tag
    assert "<ul><li>" in rnn["Answer"] or "<ul>\n<li>" in rnn["Answer"]

    q = by_id(all_banks)["core-rnn-bottleneck"]
    kp = rnn["KeyPoints"]
    assert kp.startswith("<ul><li>") and kp.count("<li>") == len(q.key_points)
    assert rnn["FollowUps"].count("<li>") == len(q.follow_ups)
    assert rnn["Sources"].count("<li>") == len(q.sources)
    assert '<a href="https://arxiv.org/abs/1706.03762">arXiv:1706.03762</a>' in rnn["Sources"]
    assert rnn["Question"] == " ".join(q.question.split())
    # the genanki check for unescaped HTML would have warned; every field is tags or entities
    for note in notes.values():
        for value in note["fields"].values():
            assert not re.search(r"<(?![a-z/])", value), value[:200]


def math_bank(all_banks):
    """core25 plus one question written with every math delimiter (the shipped banks use none:
    they write math in Unicode or code spans)."""
    base = all_banks["core25"].questions[0]
    q = base._replace(id="math-delimiters", question="What is $\\sum_i a_i$?",
                      answer="Inline $a_i * b_i$ and \\(y_*\\), display\n\n$$\\sum_{i=1}^{n} x_i^2 < c$$\n\n"
                             "and \\[ W_{*} \\], but `$x_1$` is code and $5 and $10 are prices.",
                      key_points=("the norm $\\|x\\|_2$", *base.key_points[1:]))
    bank = replace(all_banks["core25"], questions=[q])
    return {"core25": bank}


@anki
def test_math_is_kept_for_mathjax(tmp_path, all_banks):
    out = tmp_path / "math.apkg"
    export.export(math_bank(all_banks), "anki", out, now=T0)
    fields = read_apkg(out, tmp_path)["notes"]["math-delimiters"]["fields"]
    answer = fields["Answer"]
    assert "\\(a_i * b_i\\)" in answer and "\\(y_*\\)" in answer  # no <em> from the underscores or stars
    assert "\\[\\sum_{i=1}^{n} x_i^2 &lt; c\\]" in answer
    assert "\\[ W_{*} \\]" in answer
    assert "<code>$x_1$</code>" in answer and "$5 and $10 are prices" in answer
    assert "<em>" not in answer
    assert fields["Question"] == "What is \\(\\sum_i a_i\\)?"
    assert "\\(\\|x\\|_2\\)" in fields["KeyPoints"]


def test_markdown_html_pure():
    assert export.markdown_html("a *b* `c`") == "<p>a <em>b</em> <code>c</code></p>"
    assert export.markdown_html("$x_1 * y_2$ and $x_3$", inline=True) == "\\(x_1 * y_2\\) and \\(x_3\\)"
    assert export.markdown_html("| a | b |\n|---|---|\n| 1 | 2 |").startswith("<table>")
    assert export.protect_math("no math, US$5") == ("no math, US$5", [])
    # raw HTML in a bank is shown as text, never passed to Anki as markup
    assert export.markdown_html("a <script>x</script> <b>y</b>") == \
        "<p>a &lt;script&gt;x&lt;/script&gt; &lt;b&gt;y&lt;/b&gt;</p>"


# --- ids ------------------------------------------------------------------------------------

@anki
def test_ids_are_stable_across_exports(tmp_path, all_banks):
    """Two exports an hour apart to different files: the same guids, note, card, deck and model
    ids (what Anki matches on, so the second import updates); only the modification time moves."""
    first, second = tmp_path / "a.apkg", tmp_path / "b.apkg"
    export.export(all_banks, "anki", first, now=T0)
    export.export(all_banks, "anki", second, now=T0 + timedelta(hours=1))
    a, b = read_apkg(first, tmp_path), read_apkg(second, tmp_path)
    assert {k: (n["id"], n["guid"], n["mid"]) for k, n in a["notes"].items()} == \
           {k: (n["id"], n["guid"], n["mid"]) for k, n in b["notes"].items()}
    assert sorted(a["cards"]) == sorted(b["cards"])
    assert a["decks"] == b["decks"]
    assert {n["mod"] for n in a["notes"].values()} == {int(T0.timestamp())}
    assert {n["mod"] for n in b["notes"].values()} == {int(T0.timestamp()) + 3600}


def test_ids_are_fixed_functions_of_the_question_id(all_banks):
    qids = list(by_id(all_banks))
    for f in (export.note_id, export.note_guid, export.card_id):
        values = [f(q) for q in qids]
        assert len(set(values)) == len(qids)  # no two questions share one
        assert values == [f(q) for q in qids]
    assert len({export.deck_id(b) for b in COUNTS}) == 3
    # Pinned: changing the derivation would make every user's next import duplicate all notes.
    assert export.note_id("core-rnn-bottleneck") == 1524794289063
    assert export.note_guid("core-rnn-bottleneck") == "M3+0*}.HTd"
    assert export.deck_id("core25") == 1503005507445
    assert export.model_id() == 1556870720729
    for qid in qids:
        assert export.ID_BASE <= export.note_id(qid) < export.ID_BASE + export.ID_SPAN


@anki
def test_one_bank(cli, tmp_path):
    out = tmp_path / "core.apkg"
    result = cli("bank", "export", "--bank", "core25", "--out", str(out))
    assert result.exit_code == 0, result.output
    pkg = read_apkg(out, tmp_path)
    assert len(pkg["notes"]) == 25 and all(n["fields"]["Bank"] == "core25" for n in pkg["notes"].values())
    assert set(pkg["decks"].values()) == {"Default", "tfprep::core25"}
    # the same note ids as in the all-banks export
    assert all(n["id"] == export.note_id(q) for q, n in pkg["notes"].items())


# --- Markdown ---------------------------------------------------------------------------------

def test_markdown_study_sheets(cli, tmp_path, all_banks):
    out = tmp_path / "sheets" / "nested"
    result = cli("bank", "export", "--format", "md", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["core25.md", "grill60.md", "probing.md"]
    for name, bank in all_banks.items():
        text = (out / f"{name}.md").read_text(encoding="utf-8")
        assert text.startswith(f"# {bank.title}\n")
        assert len(re.findall(r"^## \d+\. ", text, re.M)) == COUNTS[name]
        for q in bank.questions:
            assert f"`{q.id}`" in text
            assert q.answer.strip() in text
        assert text.count("**Key points**") == COUNTS[name]
    core = (out / "core25.md").read_text(encoding="utf-8")
    assert "[arXiv:1706.03762](https://arxiv.org/abs/1706.03762)" in core
    assert "- RNN time steps are sequential, so no parallelism over time" in core


def test_markdown_one_bank(cli, tmp_path):
    out = tmp_path / "s"
    assert cli("bank", "export", "--format", "md", "--bank", "probing", "--out", str(out)).exit_code == 0
    assert [p.name for p in out.iterdir()] == ["probing.md"]


# --- overwriting ------------------------------------------------------------------------------

@anki
def test_overwrite_refused_without_force_and_kept_with_it(cli, tmp_path):
    out = tmp_path / "deck.apkg"
    out.write_bytes(b"my own deck")
    refused = cli("bank", "export", "--out", str(out))
    assert refused.exit_code == 2
    assert "already exists" in refused.output and "--force" in refused.output
    assert out.read_bytes() == b"my own deck"
    assert [p.name for p in tmp_path.iterdir() if p.name != "home"] == ["deck.apkg"]  # no temporary file left

    forced = cli("bank", "export", "--out", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    backups = sorted(tmp_path.glob("deck.apkg.*.bak"))
    assert len(backups) == 1 and backups[0].read_bytes() == b"my own deck"
    assert backups[0].name in forced.output
    assert len(read_apkg(out, tmp_path)["notes"]) == 119

    # again within the same second: a second, distinct backup; the first is untouched
    again = cli("bank", "export", "--out", str(out), "--force", "--bank", "core25")
    assert again.exit_code == 0, again.output
    backups = sorted(tmp_path.glob("deck.apkg.*.bak"))
    assert len(backups) == 2 and b"my own deck" in [p.read_bytes() for p in backups]
    assert len(read_apkg(out, tmp_path)["notes"]) == 25
    assert not list(tmp_path.glob(".deck.apkg.*.tmp"))


def test_markdown_overwrite_rules(cli, tmp_path):
    out = tmp_path / "sheets"
    out.mkdir()
    (out / "grill60.md").write_text("my notes")
    refused = cli("bank", "export", "--format", "md", "--out", str(out))
    assert refused.exit_code == 2 and "grill60.md already exists" in refused.output
    assert [p.name for p in out.iterdir()] == ["grill60.md"]  # nothing written, not even the free names
    forced = cli("bank", "export", "--format", "md", "--out", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    kept = list(out.glob("grill60.md.*.bak"))
    assert len(kept) == 1 and kept[0].read_text() == "my notes"
    assert (out / "grill60.md").read_text().startswith("# ")


# --- errors -----------------------------------------------------------------------------------

def test_without_genanki_exits_3_with_the_install_command(cli, monkeypatch, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "genanki" else real(name, *a))
    out = tmp_path / "t.apkg"
    result = cli("bank", "export", "--out", str(out))
    assert result.exit_code == 3
    assert "pip install 'tfprep[anki]'" in result.output
    assert not out.exists()
    # Markdown needs no genanki
    assert cli("bank", "export", "--format", "md", "--out", str(tmp_path / "md")).exit_code == 0


@pytest.mark.parametrize("args, message", [
    (["--bank", "core", "--format", "md", "--out", "x"], "unknown bank 'core'"),
    (["--format", "mdd", "--out", "x"], "unknown format 'mdd'"),
    (["--out", "x.zip"], "must end in .apkg"),
])
def test_usage_errors_exit_2(cli, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = cli("bank", "export", *args)
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output
    assert not [p for p in tmp_path.iterdir() if p.name != "home"]


@anki
def test_md_out_that_is_a_file_and_apkg_out_that_is_a_folder(cli, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    assert cli("bank", "export", "--format", "md", "--out", str(f)).exit_code == 2
    folder = tmp_path / "d.apkg"
    folder.mkdir()
    result = cli("bank", "export", "--out", str(folder), "--force")
    assert result.exit_code == 2 and "is a folder" in result.output


@anki
def test_no_genanki_warnings(tmp_path, all_banks):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        export.export(all_banks, "anki", tmp_path / "w.apkg", now=T0)


def test_start_up_does_not_import_the_exporters():
    code = ("import sys; sys.argv = ['tfprep', 'bank', '--help']\n"
            "from tfprep.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'genanki', 'markdown_it', 'numpy', 'tfprep'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.strip().splitlines()[-1] == "['tfprep']", out
