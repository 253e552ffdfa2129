"""The learner's own banks (TFPREP_HOME/banks, --bank FILE), bank search, and card management:
suspend, unsuspend, bury, leeches. Real files, the real CLI, the store on disk."""
import json
import sqlite3
from datetime import datetime, timedelta, timezone

from conftest import run_tfprep

from tfprep import banks, cards, store
from tfprep.quiz import QuizSession, choose
from tfprep.scheduler import Rating, Scheduler

SOURCES = '[{title: "Attention Is All You Need", authors: "Vaswani et al.", year: 2017, arxiv: "1706.03762", where: "3.2"}]'


def question(qid, text="What does attention compute?", answer="A weighted average of values.", tags="[attention]"):
    return (f"  - id: {qid}\n"
            f"    question: \"{text}\"\n"
            f"    answer: \"{answer}\"\n"
            "    key_points: [\"weights from q.k\", \"softmax over keys\", \"average of values\"]\n"
            "    follow_ups: []\n"
            f"    tags: {tags}\n"
            "    difficulty: 1\n"
            "    drills: []\n"
            f"    sources: {SOURCES}\n")


def bank_file(folder, name, *questions):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(f"bank: {name}\ntitle: My {name}\ndescription: mine\nquestions:\n" + "".join(questions))
    return path


def my_bank(home, name="mine", ids=("my-one", "my-two")):
    return bank_file(home / "banks", name, *(question(i, text=f"Question {i}?") for i in ids))


def db(home):
    conn = sqlite3.connect(home / "progress.db")
    conn.row_factory = sqlite3.Row
    return conn


def reviewed(home):
    return [r["card_id"] for r in db(home).execute("SELECT card_id FROM reviews ORDER BY id")]


# --- your own banks ----------------------------------------------------------------------------

def test_a_bank_in_home_is_quizzed_and_rated(cli, tfprep_home):
    my_bank(tfprep_home)
    listed = cli("bank", "list")
    assert listed.exit_code == 0 and "mine" in listed.output and "My mine" in listed.output
    result = cli("quiz", "--bank", "mine", input="\n4\n\n4\n")
    assert result.exit_code == 0, result.output
    assert "Question my-one?" in result.output and "Question my-two?" in result.output
    assert reviewed(tfprep_home) == ["my-one", "my-two"]
    assert "mine" in banks.load_all()  # load_all() has it too (and from its cache the second time)
    assert banks.load_all()["mine"].id_lines == {"my-one": 5, "my-two": 14}


def test_bank_option_takes_a_file_anywhere(cli, tfprep_home, tmp_path):
    path = bank_file(tmp_path / "elsewhere", "extra", question("extra-one", text="An extra question?"))
    result = cli("quiz", "--bank", str(path), input="\n3\n")
    assert result.exit_code == 0, result.output
    assert "An extra question?" in result.output and reviewed(tfprep_home) == ["extra-one"]
    assert cli("bank", "check", str(path)).exit_code == 0  # still checks a single file
    missing = cli("quiz", "--bank", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 2 and "nope.yaml" in missing.output and "no such file" in missing.output


def test_a_bad_bank_file_is_refused_with_its_line(cli, tmp_path):
    path = bank_file(tmp_path, "broken", question("broken-one").replace("    difficulty: 1\n", "    difficulty: 7\n"))
    result = cli("quiz", "--bank", str(path))
    assert result.exit_code == 2 and f"{path}:11:" in result.output and "unknown difficulty 7" in result.output


def test_an_id_clashing_with_a_shipped_bank_names_both_files(cli, tfprep_home):
    shipped = banks.load_all()["core25"]
    taken = shipped.questions[0].id
    line = banks.parse_file(shipped.path)[0].id_lines[taken]
    mine = my_bank(tfprep_home, ids=("my-one", taken))
    for args in (("quiz",), ("bank", "list"), ()):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        assert f"{mine}:14:" in result.output and f"{shipped.path}:{line}" in result.output, result.output
        assert "Traceback" not in result.output


def test_ids_clashing_between_your_banks_name_both_files(cli, tfprep_home, tmp_path):
    first = my_bank(tfprep_home, "alpha", ids=("shared-id",))
    second = my_bank(tfprep_home, "beta", ids=("beta-one", "shared-id"))
    result = cli("quiz", "--bank", "beta")
    assert result.exit_code == 2
    assert f"{second}:14:" in result.output and f"{first}:5" in result.output
    checked = cli("bank", "check")
    assert checked.exit_code == 2 and f"{second}:14:" in checked.output
    # a file given with --bank is checked against the loaded banks in the same way
    (tfprep_home / "banks" / "beta.yaml").unlink()
    outside = bank_file(tmp_path / "out", "gamma", question("shared-id"))
    result = cli("quiz", "--bank", str(outside))
    assert result.exit_code == 2 and f"{outside}:5:" in result.output and f"{first}:5" in result.output


# --- search ------------------------------------------------------------------------------------

def test_search_ranks_question_hits_above_answer_hits(cli, tfprep_home):
    bank_file(tfprep_home / "banks", "zoo",
              question("zoo-in-answer", text="Which animal is it?", answer="A Zebroid, of course."),
              question("zoo-in-question", text="Why is the ZEBROID striped?", answer="Camouflage."),
              question("zoo-in-tags", text="Which one?", answer="That one.", tags="[zebroid]"))
    res = cli("bank", "search", "zebroid", "--json")
    assert res.exit_code == 0, res.output
    assert [r["id"] for r in json.loads(res.output)] == ["zoo-in-question", "zoo-in-tags", "zoo-in-answer"]
    assert json.loads(res.output)[0]["bank"] == "zoo"
    table = cli("bank", "search", "Zebroid")
    assert table.exit_code == 0
    assert table.output.index("zoo-in-question") < table.output.index("zoo-in-answer")
    assert "Why is the ZEBROID striped?" in table.output
    assert [r["id"] for r in json.loads(cli("bank", "search", "zebroid", "--limit", "1", "--json").output)] \
        == ["zoo-in-question"]


def test_search_needs_every_word_and_ranks_more_words_in_the_question_first(cli, tfprep_home):
    bank_file(tfprep_home / "banks", "zoo",
              question("zoo-one-word", text="Is the quokka happy?", answer="It smiles at a wallaroo."),
              question("zoo-both-words", text="Quokka or wallaroo?", answer="Both."),
              question("zoo-quokka-only", text="Where does the quokka live?", answer="Rottnest Island."))
    rows = json.loads(cli("bank", "search", "wallaroo", "QUOKKA", "--json").output)
    assert [r["id"] for r in rows] == ["zoo-both-words", "zoo-one-word"]  # zoo-quokka-only lacks wallaroo
    none = cli("bank", "search", "quokka", "platypus")
    assert none.exit_code == 0 and "No question matches" in none.output


def test_search_finds_shipped_questions():
    rows = json.loads(run_tfprep("bank", "search", "kv", "cache", "--json").stdout)
    assert rows and all("kv" in r["question"].lower() for r in rows[:3])


# --- suspend, unsuspend, bury ------------------------------------------------------------------

def test_suspend_hides_a_card_until_unsuspended(cli, tfprep_home):
    my_bank(tfprep_home, ids=("my-one",))
    done = cli("card", "suspend", "my-one")
    assert done.exit_code == 0 and "tfprep card unsuspend my-one" in done.output
    for extra in ((), ("--cram",)):
        result = cli("quiz", "--bank", "mine", *extra, input="\n3\n")
        assert "Nothing due right now" in result.output and reviewed(tfprep_home) == []
    shown = cli("bank", "show", "my-one")
    assert shown.exit_code == 0 and "suspended" in shown.output
    assert cli("card", "unsuspend", "my-one").exit_code == 0
    result = cli("quiz", "--bank", "mine", input="\n3\n")
    assert "Question my-one?" in result.output and reviewed(tfprep_home) == ["my-one"]
    # the schedule itself was never touched by the flags
    assert db(tfprep_home).execute("SELECT COUNT(*) FROM card_flags WHERE suspended = 1").fetchone()[0] == 0


def test_unknown_card_id_is_a_usage_error(cli):
    result = cli("card", "suspend", "core-qkv-role")
    assert result.exit_code == 2 and "did you mean 'core-qkv-roles'" in result.output


def test_bury_skips_a_card_until_the_next_local_day(cli, tfprep_home):
    my_bank(tfprep_home)
    result = cli("card", "bury", "my-one")
    assert result.exit_code == 0 and "Buried my-one until" in result.output
    conn = store.connect()
    qs = banks.load_all()["mine"].questions
    t = datetime.now(timezone.utc)
    assert [q.id for q in choose(conn, qs, t)] == ["my-two"]
    assert [q.id for q in choose(conn, qs, t, cram=True)] == ["my-two"]
    tomorrow = cards.next_day(t)
    assert [q.id for q in choose(conn, qs, tomorrow - timedelta(seconds=1))] == ["my-two"]
    assert [q.id for q in choose(conn, qs, tomorrow)] == ["my-one", "my-two"]
    assert "buried until" in cli("bank", "show", "my-one").output


def test_bury_with_a_fixed_clock(tfprep_home):
    my_bank(tfprep_home)
    conn = store.connect()
    qs = banks.load_all()["mine"].questions
    t = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    until = cards.bury(conn, "my-one", t)
    assert until.astimezone().date() == t.astimezone().date() + timedelta(days=1)
    assert until.astimezone().hour == 0 and until.astimezone().minute == 0
    assert [q.id for q in choose(conn, qs, t + timedelta(hours=1))] == ["my-two"]
    assert [q.id for q in choose(conn, qs, until)] == ["my-one", "my-two"]


# --- leeches -----------------------------------------------------------------------------------

def _lapse_until(conn, q, clock, lapses, scheduler):
    """Rate `q` Easy (into review), then Again + Good `lapses` times; returns the last session."""
    session = QuizSession(conn, scheduler, [q], lambda: clock[0], leech_threshold=8)
    session.rate(q, Rating.EASY)
    for _ in range(lapses):
        clock[0] += timedelta(days=10)
        assert conn.execute("SELECT state FROM cards WHERE card_id = ?", (q.id,)).fetchone()[0] == 2
        session = QuizSession(conn, scheduler, [q], lambda: clock[0], leech_threshold=8)
        session.rate(q, Rating.AGAIN)
        if session.last_leech:
            return session
        clock[0] += timedelta(minutes=15)
        session.rate(q, Rating.GOOD)
    return session


def test_eighth_lapse_makes_a_leech_suspended(tfprep_home):
    my_bank(tfprep_home)
    conn = store.connect()
    q = banks.load_all()["mine"].questions[0]
    clock = [datetime(2026, 3, 1, 12, tzinfo=timezone.utc)]
    scheduler = Scheduler(fuzz=False)
    session = _lapse_until(conn, q, clock, 7, scheduler)
    assert session.last_leech is None and cards.flag_row(conn, q.id) is None  # 7 lapses: not yet
    clock[0] += timedelta(days=10)
    session = QuizSession(conn, scheduler, [q], lambda: clock[0], leech_threshold=8)
    session.rate(q, Rating.AGAIN)
    assert session.last_leech == 8
    assert conn.execute("SELECT lapses FROM cards WHERE card_id = ?", (q.id,)).fetchone()[0] == 8
    flags = cards.flag_row(conn, q.id)
    assert flags["suspended"] == 1 and flags["leech"] == 1
    assert session.queue == []  # not shown again in this session, though Again is due in minutes
    assert q.id not in [x.id for x in choose(conn, [q], clock[0] + timedelta(days=30))]
    # undo takes the leech back with the rating
    session.undo()
    assert cards.flag_row(conn, q.id) is None
    assert conn.execute("SELECT lapses FROM cards WHERE card_id = ?", (q.id,)).fetchone()[0] == 7


def test_threshold_comes_from_the_config(cli, tfprep_home):
    my_bank(tfprep_home)
    assert cli("config", "leech_threshold", "2").exit_code == 0
    conn = store.connect()
    q = banks.load_all()["mine"].questions[0]
    clock = [datetime(2026, 3, 1, 12, tzinfo=timezone.utc)]
    assert QuizSession(conn, Scheduler(), [q], lambda: clock[0]).leech_threshold == 2
    assert cards.is_leech_lapse(8, 8) and not cards.is_leech_lapse(7, 8) and not cards.is_leech_lapse(9, 8)
    assert cards.is_leech_lapse(12, 8) and cards.is_leech_lapse(3, 2) and cards.is_leech_lapse(4, 2)


def test_the_quiz_says_a_card_became_a_leech(cli, tfprep_home):
    my_bank(tfprep_home, ids=("my-one",))
    conn = store.connect()
    q = banks.load_all()["mine"].questions[0]
    clock = [datetime.now(timezone.utc) - timedelta(days=200)]
    _lapse_until(conn, q, clock, 7, Scheduler(fuzz=False))  # 7 lapses, long ago: due now, in review
    conn.close()
    result = cli("quiz", "--bank", "mine", input="\n1\n\n3\n")
    assert result.exit_code == 0, result.output
    assert ("this card is a leech: suspended; rewrite your notes on it, then `tfprep card unsuspend my-one`"
            in result.output)
    ratings = [r[0] for r in db(tfprep_home).execute("SELECT rating FROM reviews ORDER BY id")]
    assert ratings[-1] == 1 and ratings.count(1) == 8  # not shown again after the leech (no Good after it)
    shown = cli("bank", "show", "my-one")
    assert "suspended" in shown.output and "leech" in shown.output and "8 lapses" in shown.output
    assert "Nothing due right now" in cli("quiz", "--bank", "mine", "--cram").output
    cli("card", "unsuspend", "my-one")
    assert "leech" in cli("bank", "show", "my-one").output  # the tag stays; the card is back
    assert "Question my-one?" in cli("quiz", "--bank", "mine", "--cram", input="\n3\n").output


def test_flags_survive_a_repair(cli, tfprep_home):
    import os

    my_bank(tfprep_home)
    cli("quiz", "--bank", "mine", input="\n4\n\n4\n")
    cli("card", "suspend", "my-one")
    path = tfprep_home / "progress.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'cards'").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * size:root * size] = os.urandom(size)  # the cards table is gone
    path.write_bytes(bytes(data))
    result = store.repair(path)
    assert result["ok"] is False and result["recovered"]["card_flags"] == 1 and result["cards"] == 2
    conn = store.connect()
    assert cards.flag_row(conn, "my-one")["suspended"] == 1
    qs = banks.load_all()["mine"].questions
    assert [q.id for q in choose(conn, qs, datetime.now(timezone.utc), cram=True)] == ["my-two"]
