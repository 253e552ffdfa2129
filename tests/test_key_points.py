"""Key points with scoring rules in a bank: `text` plus `all`/`any`/`window`, validated with file:line."""
from tfprep import banks
from tfprep.quiz import coverage

HEAD = "bank: mine\ntitle: t\ndescription: d\nquestions:\n"
QUESTION = """  - id: my-q
    question: "What does attention compute?"
    answer: "A weighted average of values."
    key_points:
{points}
    follow_ups: ["Why scale?"]
    tags: [attention]
    difficulty: 1
    drills: [attention]
    sources: [{{title: "Attention Is All You Need", authors: "Vaswani et al.", year: 2017, arxiv: "1706.03762", where: "Section 3.2"}}]
"""
GOOD_POINTS = """      - "Softmax over keys"
      - text: "Scores divided by sqrt(d_k)"
        all: ["divid* | scal*", "sqrt | square root"]
        window: 8
      - text: "Output is a weighted average of values"
        any: ["weighted average of values", "weighted sum of values"]"""


def write(tmp_path, points):
    p = tmp_path / "mine.yaml"
    p.write_text(HEAD + QUESTION.format(points=points))
    return p


def problems(tmp_path, points):
    path = write(tmp_path, points)
    return [(p.line, p.message) for p in banks.check([path])[1]], path


def test_a_good_bank_parses_into_texts_and_rules(tmp_path):
    found, path = problems(tmp_path, GOOD_POINTS)
    assert found == []
    (q,) = banks.parse_file(path)[0].questions
    assert q.key_points == ("Softmax over keys", "Scores divided by sqrt(d_k)", "Output is a weighted average of values")
    assert q.key_point_rules[0] is None
    assert q.key_point_rules[1] == {"all": ["divid* | scal*", "sqrt | square root"], "window": 8}
    assert q.key_point_rules[2] == {"any": ["weighted average of values", "weighted sum of values"]}
    assert coverage("we scale the scores by the square root of d_k", q.key_points, q.key_point_rules) == \
        [False, True, False]


def test_the_rules_survive_the_bank_cache(tmp_path, monkeypatch):
    """load_all() caches parsed banks as JSON; a user bank's rules come back the same."""
    home = tmp_path / "home"
    (home / "banks").mkdir(parents=True)
    write(home / "banks", GOOD_POINTS)
    first = banks.find(banks.load_all(), "my-q")
    again = banks.find(banks.load_all(), "my-q")  # from the cache
    assert again == first and again.key_point_rules[1]["window"] == 8


BAD = [
    # (the key point lines, from line 9; the line of the problem; what the message says)
    ('      - 12\n      - text: "sqrt"\n        all: ["sqrt"]\n      - "c"', 9, "key point 1 must be text or a mapping"),
    ('      - "a"\n      - text: "b"\n      - "c"', 10, "a mapping needs `all` (required terms) or `any`"),
    ('      - "a"\n      - text: ""\n        all: ["x"]\n      - "c"', 10, "`text` must be non-empty text"),
    ('      - "a"\n      - text: "b"\n        all: ["b"]\n        none: ["x"]\n      - "c"', 12,
     "unknown field `none` (text, all, any, window)"),
    ('      - "a"\n      - text: "b"\n        all: "b"\n      - "c"', 11, "`all` must be a list of non-empty strings"),
    ('      - "a"\n      - text: "sqrt"\n        all: ["sqrt"]\n        window: 2\n      - "c"', 12,
     "`window` must be a whole number of content words from 3 to 40"),
    ('      - "a"\n      - text: "sqrt"\n        all: ["sqrt | "]\n      - "c"', 11, "has an empty alternative"),
    ('      - "a"\n      - text: "the sqrt"\n        all: ["sqrt", "the"]\n      - "c"', 11, "'the' has no content word"),
    ('      - "a"\n      - text: "parallel"\n        all: ["*parallel"]\n      - "c"', 11, "`*` goes at the end"),
    ('      - "a"\n      - text: "softmax"\n        any: ["softmax"]\n      - "c"', 11, "is a single word, a keyword"),
    ('      - "a"\n      - text: "Divide by sqrt(d_k)"\n        all: ["square root"]\n      - "c"', 10,
     "its own `text` does not satisfy its `all`/`any`"),
    ('      - "a"\n      - text: "Divide by 16"\n        all: ["divid*", "15"]\n      - "c"', 10,
     "its own `text` does not satisfy"),
]


def test_bad_key_points_are_reported_with_file_and_line(tmp_path):
    for points, line, message in BAD:
        found, path = problems(tmp_path, points)
        assert any(at == line and message in m and "question 'my-q'" in m for at, m in found), (points, found)


def test_bank_check_cli_reports_file_line(cli, tmp_path):
    path = write(tmp_path, '      - "a"\n      - text: "Divide by sqrt(d_k)"\n        all: ["square root"]\n      - "c"')
    result = cli("bank", "check", str(path))
    assert result.exit_code == 2
    assert f"{path}:10:" in result.output and "own `text`" in " ".join(result.output.split())
    assert cli("bank", "check", str(write(tmp_path, GOOD_POINTS))).exit_code == 0


def test_the_count_of_key_points_still_holds(tmp_path):
    found, _ = problems(tmp_path, '      - "a"\n      - text: "sqrt"\n        all: ["sqrt"]')
    assert any("`key_points` must have 3 to 6 items, has 2" in m for _, m in found)
