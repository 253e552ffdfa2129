"""Every command has help with an example; drill workflow through the CLI; exit codes."""
import json

import pytest
import typer

from tfprep.cli import app


def commands(group=app, prefix=()):
    click_group = typer.main.get_group(group) if isinstance(group, typer.Typer) else group
    for name, cmd in click_group.commands.items():
        yield prefix + (name,)
        if hasattr(cmd, "commands"):
            yield from commands(cmd, prefix + (name,))


ALL = list(commands())


def test_expected_commands_exist():
    names = {" ".join(c) for c in ALL}
    assert {"quiz", "drill", "stats", "paths", "bank", "bank list", "bank check"} <= names


@pytest.mark.parametrize("path", ALL, ids=[" ".join(c) for c in ALL])
def test_every_command_has_help_with_an_example(cli, path):
    result = cli(*path, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output and "tfprep " in result.output.split("Example", 1)[1]


def test_version(cli):
    from tfprep import __version__

    assert cli("--version").output.strip() == f"tfprep {__version__}"


def test_paths_honours_tfprep_home(cli, tfprep_home):
    out = cli("paths").output
    assert str(tfprep_home) in out and "progress.db" in out


def test_drill_first_run_then_grade(cli, tfprep_home):
    first = cli("drill", "attention")
    assert first.exit_code == 0 and "scaled dot-product attention" in first.output.lower()
    target = tfprep_home / "workspace" / "attention.py"
    assert target.is_file() and "NotImplementedError" in target.read_text()
    assert not list(target.parent.glob("test_*"))  # the hidden suite never reaches the workspace
    graded = cli("drill", "attention")
    assert graded.exit_code == 1 and "FAILED 0/" in graded.output and "NOT IMPLEMENTED" in graded.output
    target.write_text("from reference_impls.attention import *\n")
    passed = cli("drill", "attention", "--json")
    assert passed.exit_code == 0
    report = json.loads(passed.output)  # --json prints the report and nothing else
    assert report["passed"] and report["checks_passed"] == report["checks_total"] > 5
    listing = cli("drill", "--json")
    row = next(r for r in json.loads(listing.output) if r["name"] == "attention")
    assert row["status"] == "passed" and row["attempts"] == 2 and row["best"] == 1.0


def test_known_bug_is_named_in_the_report(cli):
    from pathlib import Path

    case = Path(__file__).parent / "drill_cases" / "attention" / "bug_no_scale.py"
    result = cli("drill", "attention", "--file", str(case))
    assert result.exit_code == 1
    assert "classic bug: missing 1/sqrt(d_k) scaling" in result.output


def test_hints_are_revealed_in_order_and_recorded(cli):
    from tfprep import drills

    hints = drills.load("attention").hints
    first = cli("drill", "attention", "--hint").output
    assert f"Hint 1/{len(hints)}" in first
    assert "Hint 2/" not in first
    for _ in range(len(hints)):
        out = cli("drill", "attention", "--hint").output
    assert "No more hints" in out
    row = next(r for r in json.loads(cli("drill", "--json").output) if r["name"] == "attention")
    assert row["hints"] == len(hints)


def test_reset_keeps_a_backup(cli, tfprep_home):
    cli("drill", "attention")
    target = tfprep_home / "workspace" / "attention.py"
    target.write_text("# my work\n")
    result = cli("drill", "attention", "--reset")
    assert result.exit_code == 0
    backups = list(target.parent.glob("attention.py.bak-*"))
    assert len(backups) == 1 and backups[0].read_text() == "# my work\n"
    assert "NotImplementedError" in target.read_text()


def test_solution_needs_confirmation(cli):
    refused = cli("drill", "attention", "--solution", input="n\n")
    assert "Not shown" in refused.output and "def scaled_dot_product_attention" not in refused.output
    shown = cli("drill", "attention", "--solution", "--yes")
    assert "def scaled_dot_product_attention" in shown.output


def test_usage_errors_exit_2(cli, tmp_path):
    unknown = cli("drill", "atention")
    assert unknown.exit_code == 2 and "did you mean 'attention'" in unknown.output
    missing = cli("drill", "attention", "--file", str(tmp_path / "nope.py"))
    assert missing.exit_code == 2 and "no such file" in missing.output
    planned = cli("drill", "gpt")
    assert planned.exit_code == 2 and "planned but not written yet" in planned.output
