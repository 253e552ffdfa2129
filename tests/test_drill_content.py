"""The content check (rustlings' `dev check`), run in CI on every run.

For every drill: the reference passes its hidden suite, the starter fails it, every known-bug
case fails and the diagnosis names its bug, every alternative correct solution passes.
"""
from pathlib import Path

import pytest

from tfprep import banks, drills
from tfprep.grading.runner import run_suite

pytestmark = pytest.mark.slow  # `-m "not slow"` skips the content check locally; CI runs it all

CASES = Path(__file__).parent / "drill_cases"
AVAILABLE = drills.available()
HAS_GPU = drills.gpu_present()


@pytest.fixture(autouse=True)
def _needs(request):
    """A drill whose requirements are not installed is skipped here (CI installs them all)."""
    name = request.node.callspec.params.get("name") if hasattr(request.node, "callspec") else None
    if name and drills.missing_capability(drills.load(name)):
        pytest.skip(f"{name} needs {', '.join(drills.load(name).requires)}")


def grade(d, path, trusted=False):
    """Graded as `tfprep drill` grades it, but the child is forked from a warm server that has
    imported the tier's libraries (tfprep.grading.warm; tests/test_grader.py runs the hostile
    cases both ways): ~470 gradings, most of whose time would be importing torch again."""
    return run_suite(d.suite, path, drill=d.name, time_limit=max(d.time_limit, 60), memory_mb=d.memory_mb,
                     tier=d.tier, trusted=trusted, warm=True)


def explain(report):
    rows = [f"{'PASS' if c.passed else 'FAIL'} {c.title}: {c.message or ''}" for c in report.checks]
    return "\n".join([report.problem or ""] + rows)


def case_files(name, prefix):
    """A drill's cases: tests/drill_cases/NAME/PREFIX_*.py, and for bugs also the shipped bug hunts
    drills/NAME/bugs/*.py (the classic bugs; refusals and rule breaks stay with the tests)."""
    found = sorted((CASES / name).glob(f"{prefix}_*.py"))
    if prefix == "bug" and drills.exists(name):
        found += list(drills.bugs(drills.load(name)).values())
    return found


def test_catalog_names_unique_and_folders_known():
    names = drills.catalog_names()
    assert len(names) == len(set(names))
    root = Path(drills.paths.drills_dir())
    folders = {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert folders <= set(names), f"drill folders outside the catalog: {folders - set(names)}"
    assert AVAILABLE == [n for n in names if n in folders]  # catalog order


@pytest.mark.parametrize("name", AVAILABLE)
def test_drill_files_complete(name):
    d = drills.load(name)
    assert d.title and d.statement.strip() and d.tier in drills.TIERS
    assert 3 <= len(d.hints) <= 6 and d.functions
    assert d.reference.is_file(), f"missing reference {d.reference}"
    starter = d.starter.read_text()
    for fn in d.functions:
        assert f"def {fn}(" in starter or f"class {fn}(" in starter, f"starter lacks {fn}"
        assert f"`{fn}" in d.statement or f"{fn}(" in d.statement, f"statement does not name {fn}"
    questions = {q.id: q for b in banks.load_all().values() for q in b.questions}
    for qid in d.questions:  # related questions: each exists and names this drill back
        assert qid in questions and name in questions[qid].drills, f"{qid} is not a bank question naming {name}"
    assert len(case_files(name, "bug")) >= 3, "at least three known-bug cases"
    assert len(case_files(name, "correct")) >= 1, "at least one alternative correct solution"


@pytest.mark.parametrize("name", AVAILABLE)
def test_reference_passes(name, tmp_path):
    d = drills.load(name)
    path = tmp_path / f"{d.module}.py"
    path.write_text(f"from tfprep.content.reference_impls.{d.module} import *\n")
    report = grade(d, path, trusted=True)  # our references import each other: only they may
    assert report.passed, explain(report)
    if d.tier == "triton":  # the report says what the CPU interpreter could not check
        assert any(("interpreter" in n) != HAS_GPU for n in report.notes), report.notes


@pytest.mark.parametrize("name", AVAILABLE)
def test_reference_import_is_refused(name, tmp_path):
    """The laziest shortcut, re-exporting the reference, fails with that reason in every drill."""
    d = drills.load(name)
    path = tmp_path / f"{d.module}.py"
    path.write_text(f"from tfprep.content.reference_impls.{d.module} import *\n")
    report = grade(d, path)
    assert not report.passed and report.checks_passed == 0, explain(report)
    assert report.bugs == ["refused: uses tfprep's own reference implementations or content"], explain(report)


@pytest.mark.parametrize("name", AVAILABLE)
def test_starter_fails(name):
    d = drills.load(name)
    report = grade(d, d.starter)
    assert not report.passed and report.checks_passed == 0, explain(report)


BUG_CASES = [(n, p) for n in AVAILABLE for p in case_files(n, "bug")]


@pytest.mark.parametrize("name", AVAILABLE)
def test_bug_hunts_ship_with_the_drill(name):
    """Every drill ships at least one bug hunt; no hunt is a refusal; the learner's copy hides the label and comments."""
    d = drills.load(name)
    hunts = drills.bugs(d)
    assert hunts, f"{name} has no drills/{name}/bugs/*.py"
    for bug, path in hunts.items():
        label = drills.bug_label(path)
        assert label and not label.startswith("refused:") and "not a Triton kernel" not in label, (bug, label)
        text = drills.hunt_source(path)
        assert "expect-bug" not in text and label not in text and "#" not in text.replace('"#"', ""), bug
        compile(text, str(path), "exec")  # still valid Python after the comments are gone
CORRECT_CASES = [(n, p) for n in AVAILABLE for p in case_files(n, "correct")]


@pytest.mark.parametrize("name,path", BUG_CASES, ids=[f"{n}/{p.parent.name}/{p.stem}" for n, p in BUG_CASES])
def test_known_bug_fails_with_its_name(name, path):
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect-bug: "), "a bug case starts with `# expect-bug: LABEL`"
    label = first[len("# expect-bug: "):].strip()
    report = grade(drills.load(name), path)
    assert not report.passed, explain(report)
    assert label in report.bugs, f"expected the diagnosis {label!r}, got {report.bugs}\n{explain(report)}"


@pytest.mark.parametrize("name,path", CORRECT_CASES, ids=[f"{n}/{p.stem}" for n, p in CORRECT_CASES])
def test_alternative_solution_passes(name, path):
    report = grade(drills.load(name), path)
    assert report.passed, explain(report)
