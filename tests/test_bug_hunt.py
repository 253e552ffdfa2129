"""Bug hunts: `tfprep drill NAME --fix [BUG]` writes a known-bug solution to find and fix."""
import json
import sqlite3
from pathlib import Path

from tfprep import drills

CORRECT = Path(__file__).parent / "drill_cases" / "attention" / "correct_einsum.py"


def test_hunt_writes_the_bug_without_its_label_or_comments(cli, tfprep_home):
    d = drills.load("attention")
    started = json.loads(cli("drill", "attention", "--fix", "no_scale", "--json").output)
    target = Path(started["file"])
    assert started["hunt"] == "started" and target == drills.hunt_file(d)
    text = target.read_text()
    assert "one classic bug" in text and "tfprep drill attention --fix" in text
    code = text.split("\n", 3)[3]  # after the two-line banner and a blank line
    assert "expect-bug" not in code and "#" not in code and "sqrt" not in code  # the missing scale is not hinted
    assert code == drills.hunt_source(drills.bugs(d)["no_scale"])


def test_unfixed_file_fails_without_naming_the_bug_and_the_fix_names_it(cli, tfprep_home):
    cli("drill", "attention", "--fix", "no_scale")
    target = drills.hunt_file(drills.load("attention"))
    first = cli("drill", "attention", "--fix", "--json")
    assert first.exit_code == 1
    report = json.loads(first.output)
    assert not report["passed"] and report["bugs"] == [] and report["bug"] is None
    assert all("classic bug" not in (c["message"] or "") for c in report["checks"])

    target.write_text(CORRECT.read_text())
    fixed = cli("drill", "attention", "--fix")
    assert fixed.exit_code == 0, fixed.output
    assert "Fixed. The bug was: missing 1/sqrt(d_k) scaling." in " ".join(fixed.output.split())
    assert "tfprep bank show" in fixed.output

    db = sqlite3.connect(tfprep_home / "progress.db")
    assert db.execute("SELECT hunt, passed FROM drill_attempts ORDER BY id").fetchall() == [("no_scale", 0), ("no_scale", 1)]
    assert db.execute("SELECT COUNT(*) FROM drill_reviews").fetchone()[0] == 0  # the drill's schedule is its own
    stats = json.loads(cli("stats", "--json").output)
    assert stats["bug_hunts"] == {"started": 1, "fixed": 1, "attempts": 2}
    assert stats["drills"]["attempts"] == 0  # hunts are counted apart from drill attempts
    listing = {r["name"]: r for r in json.loads(cli("drill", "--json").output)}
    assert listing["attention"]["status"] == "new"


def test_next_hunt_is_random_among_the_unfixed_and_the_old_file_is_kept(cli, tfprep_home):
    d = drills.load("attention")
    cli("drill", "attention", "--fix", "no_scale")
    target = drills.hunt_file(d)
    target.write_text(CORRECT.read_text())
    assert cli("drill", "attention", "--fix").exit_code == 0  # fixed
    started = json.loads(cli("drill", "attention", "--fix", "--json").output)  # a new, random hunt
    assert started["hunt"] == "started" and Path(started["kept"]).read_text() == CORRECT.read_text()
    current, fixed = drills.hunts(sqlite3.connect(tfprep_home / "progress.db", factory=_rows), "attention")
    assert fixed == {"no_scale"} and current in drills.bugs(d) and current != "no_scale"


def _rows(*args, **kwargs):
    conn = sqlite3.Connection(*args, **kwargs)
    conn.row_factory = sqlite3.Row
    return conn


def test_unknown_bug_is_a_usage_error(cli):
    result = cli("drill", "attention", "--fix", "no_scaling")
    assert result.exit_code == 2 and "did you mean 'no_scale'" in result.output
