"""Bank validation (file:line for every problem) and the shipped banks' content rules."""
import difflib
import re
from pathlib import Path

import pytest

from tfprep import banks, drills
from tfprep.paths import bank_dir

GOOD_Q = """  - id: {id}
    question: "What does attention compute?"
    answer: "A weighted average of values."
    key_points: ["weights from q.k", "softmax over keys", "average of values"]
    follow_ups: ["Why scale?"]
    tags: [attention]
    difficulty: 1
    drills: [attention]
"""


def write(tmp_path, name, body):
    p = tmp_path / f"{name}.yaml"
    p.write_text(body)
    return p


def check(*files):
    return banks.check(list(files))[1]


def test_valid_bank_has_no_problems(tmp_path):
    p = write(tmp_path, "mine", "bank: mine\ntitle: t\ndescription: d\nquestions:\n" + GOOD_Q.format(id="my-q"))
    assert check(p) == []


def test_bad_yaml_reports_line(tmp_path):
    p = write(tmp_path, "mine", "bank: mine\nquestions:\n  - id: a\n    question: [unclosed\n")
    (problem,) = check(p)
    assert problem.file == str(p) and problem.line >= 4 and "invalid YAML" in problem.message


def test_missing_field_and_unknown_difficulty(tmp_path):
    body = "bank: mine\ntitle: t\ndescription: d\nquestions:\n" + GOOD_Q.format(id="q-one").replace(
        "    difficulty: 1\n", "    difficulty: 5\n").replace('    answer: "A weighted average of values."\n', "")
    found = check(write(tmp_path, "mine", body))
    messages = {(p.line, p.message) for p in found}
    assert (5, "question 'q-one': missing field `answer`") in messages
    assert any(line == 10 and "unknown difficulty 5" in m for line, m in messages)


def test_duplicate_ids_across_banks(tmp_path):
    a = write(tmp_path, "a", "bank: a\ntitle: t\ndescription: d\nquestions:\n" + GOOD_Q.format(id="same-id"))
    b = write(tmp_path, "b", "bank: b\ntitle: t\ndescription: d\nquestions:\n" + GOOD_Q.format(id="other")
              + GOOD_Q.format(id="same-id"))
    (problem,) = check(a, b)
    assert problem.file == str(b) and problem.line == 13 and "already used" in problem.message


def test_unknown_drill_key_points_count_and_bad_id(tmp_path):
    body = ("bank: mine\ntitle: t\ndescription: d\nquestions:\n" + GOOD_Q.format(id="Bad_ID")
            .replace("[attention]\n", "[atention]\n").replace('["weights from q.k", ', "["))
    messages = " | ".join(str(p) for p in check(write(tmp_path, "mine", body)))
    assert "kebab-case" in messages and "unknown drill 'atention'" in messages and "3 to 6 items, has 2" in messages


def test_bank_check_cli_exit_codes(cli, tmp_path):
    bad = write(tmp_path, "mine", "bank: wrong\nquestions: 3\n")
    result = cli("bank", "check", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:1:" in result.output and "Traceback" not in result.output
    assert cli("bank", "check", str(tmp_path / "nope.yaml")).exit_code == 2
    assert cli("bank", "check").exit_code == 0


# --- the shipped banks ------------------------------------------------------------------------

SHIPPED = banks.bank_files()


def all_questions():
    return [q for b in banks.check(SHIPPED)[0] for q in b.questions]


def test_shipped_banks_are_valid():
    assert banks.check(SHIPPED)[1] == []


@pytest.mark.parametrize("name,count", [("core25", 25), ("grill60", 60)])
def test_bank_counts(name, count):
    assert len(banks.parse_file(bank_dir() / f"{name}.yaml")[0].questions) == count


def test_probing_bank_has_at_least_30():
    assert len(banks.parse_file(bank_dir() / "probing.yaml")[0].questions) >= 30


def test_ids_unique_across_banks():
    ids = [q.id for q in all_questions()]
    assert len(ids) == len(set(ids))


def test_drill_names_come_from_the_catalog_of_drills_md():
    catalog_md = Path(__file__).resolve().parents[1].parent / "shared" / "DRILLS.md"
    names = drills.catalog_names()
    if catalog_md.is_file():  # shared/ sits beside the checkout in CI and for developers
        assert names == re.findall(r"^\| `([a-z0-9-]+)` \|", catalog_md.read_text(), re.M)
    for q in all_questions():
        assert set(q.drills) <= set(names), q.id


def _norm(text):
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def test_no_near_duplicate_questions():
    qs = all_questions()
    texts = [_norm(q.question) for q in qs]
    worst = []
    for i in range(len(qs)):
        for j in range(i + 1, len(qs)):
            ratio = difflib.SequenceMatcher(None, texts[i], texts[j]).ratio()
            if ratio > 0.8:
                worst.append((round(ratio, 2), qs[i].id, qs[j].id))
    assert worst == []


def test_answers_are_substantial():
    for q in all_questions():
        assert len(q.answer.split()) >= 60, f"{q.id}: answer too short for an interview"
