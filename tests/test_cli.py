"""Every command has help with an example; drill workflow through the CLI; exit codes."""
import json
from pathlib import Path

import pytest
import typer

from tfprep import drills
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
    assert {"quiz", "drill", "stats", "paths", "bank", "bank list", "bank check", "bench"} <= names


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
    target.write_text((Path(__file__).parent / "drill_cases" / "attention" / "correct_einsum.py").read_text())
    passed = cli("drill", "attention", "--json")
    assert passed.exit_code == 0
    report = json.loads(passed.output)  # --json prints the report and nothing else
    assert report["passed"] and report["checks_passed"] == report["checks_total"] > 5
    listing = cli("drill", "--json")
    row = next(r for r in json.loads(listing.output) if r["name"] == "attention")
    assert row["status"] == "passed" and row["attempts"] == 2 and row["best"] == 1.0


def test_known_bug_is_named_in_the_report(cli):
    from pathlib import Path

    case = Path(__file__).parents[1] / "drills" / "attention" / "bugs" / "no_scale.py"
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
    result = cli("drill", "attention", "--reset", input="y\n")
    assert result.exit_code == 0
    backups = list(target.parent.glob("attention.py.*.bak"))
    assert len(backups) == 1 and backups[0].read_text() == "# my work\n"
    assert "NotImplementedError" in target.read_text()


def test_solution_needs_confirmation(cli):
    refused = cli("drill", "attention", "--solution", input="n\n")
    assert "Not shown" in refused.output and "def scaled_dot_product_attention" not in refused.output
    shown = cli("drill", "attention", "--solution", "--yes")
    assert "def scaled_dot_product_attention" in shown.output


def test_usage_errors_exit_2(cli, tmp_path, monkeypatch):
    unknown = cli("drill", "atention")
    assert unknown.exit_code == 2 and "did you mean 'attention'" in unknown.output
    missing = cli("drill", "attention", "--file", str(tmp_path / "nope.py"))
    assert missing.exit_code == 2 and "no such file" in missing.output
    real = drills.catalog()
    monkeypatch.setattr(drills, "catalog", lambda: real + [("future-drill", "torch")])  # in the catalog, no folder
    planned = cli("drill", "future-drill")
    assert planned.exit_code == 2 and "planned but not written yet" in planned.output


@pytest.mark.parametrize("args,message", [
    (["attention", "--play"], "--play works with the gpt drill only"),
    (["gpt", "--play", "--seconds", "0"], "--seconds must be between 1 and 3600"),
    (["gpt", "--play", "--temperature", "0"], "--temperature must be greater than 0"),
    (["gpt", "--play", "--top-k", "0"], "--top-k must be at least 1"),
])
def test_play_usage_errors_exit_2(cli, args, message):
    result = cli("drill", *args)
    assert result.exit_code == 2 and message in result.output, result.output


# --- the Triton tier ----------------------------------------------------------------------

def _without(module, monkeypatch):
    """Make `module` look uninstalled to tfprep's capability checks."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == module else real(name, *a))


@pytest.mark.parametrize("name", ["softmax-triton", "flash-attention-triton", "flash-attention-triton-backward"])
def test_triton_drill_without_triton_exits_3_with_the_install_command(cli, monkeypatch, tmp_path, name):
    _without("triton", monkeypatch)
    f = tmp_path / "k.py"
    f.write_text("def flash_attention(q, k, v, causal=False, sm_scale=None):\n    return q\n")
    result = cli("drill", name, "--file", str(f))
    assert result.exit_code == 3
    assert "needs torch, triton" in result.output and "pip install" in result.output


TORCH_DRILLS = [n for n, tier in drills.catalog() if tier == "torch" and drills.exists(n)]


@pytest.mark.parametrize("name", TORCH_DRILLS)
def test_torch_drill_without_torch_exits_3_with_the_install_command(cli, monkeypatch, tmp_path, name):
    _without("torch", monkeypatch)
    f = tmp_path / "m.py"
    f.write_text("class Model:\n    pass\n")
    result = cli("drill", name, "--file", str(f))
    assert result.exit_code == 3
    assert "needs torch" in result.output and "pip install 'tfprep[torch]'" in result.output, result.output


def test_bench_without_triton_exits_3(cli, monkeypatch):
    _without("triton", monkeypatch)
    result = cli("bench", "flash-attention")
    assert result.exit_code == 3 and "pip install" in result.output


def test_bench_usage_errors_exit_2(cli, tmp_path):
    assert cli("bench", "flash").exit_code == 2
    bad_d = cli("bench", "flash-attention", "--d", "48")
    assert bad_d.exit_code == 2 and "16, 32, 64, 128" in bad_d.output
    assert cli("bench", "flash-attention", "--n", "4k").exit_code == 2
    assert cli("bench", "flash-attention", "--file", str(tmp_path / "nope.py")).exit_code == 2


def test_bench_without_gpu_exits_3_and_points_at_the_drill(cli):
    pytest.importorskip("triton")
    if drills.gpu_present():
        pytest.skip("this machine has a GPU")
    result = cli("bench", "flash-attention", "--n", "64", "--d", "16")
    assert result.exit_code == 3
    assert "needs a CUDA GPU" in result.output and "tfprep drill flash-attention-triton" in result.output


def test_bench_smoke_runs_the_whole_table(cli):
    """The GPU code path on tiny CPU shapes (Triton interpreter): rows, ratios and JSON, not speed."""
    pytest.importorskip("triton")
    kernel = Path(__file__).parent / "drill_cases" / "flash-attention-triton" / "correct_single_loop.py"
    result = cli("bench", "flash-attention", "--smoke", "--n", "32", "--d", "16", "--file", str(kernel), "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["subject"] == "yours" and {r["mode"] for r in data["rows"]} == {"fwd", "bwd"}
    for row in data["rows"]:
        assert set(row["tflops"]) == {"yours", "reference", "sdpa_flash", "sdpa_default"}
        assert row["tflops"]["reference"] > 0 and row["tflops"]["sdpa_flash"] > 0
        # a forward-only kernel has no backward time
        assert (row["tflops"]["yours"] is None) == (row["mode"] == "bwd")


def test_gpt_play_trains_the_learners_model_and_samples(tfprep_home):
    """`tfprep drill gpt --play`: grade, then train the learner's own GPT on the banks' answers and sample."""
    pytest.importorskip("torch")
    from conftest import run_tfprep

    solution = Path(__file__).parent / "drill_cases" / "gpt" / "correct_nanogpt.py"
    proc = run_tfprep("drill", "gpt", "--file", str(solution), "--play", "--seconds", "3", "--top-k", "5", "--json",
                      timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout)
    assert data["report"]["passed"] and data["play"]["error"] is None
    steps = data["play"]["steps"]
    assert steps and steps[-1]["step"] >= 1 and "val_loss" in steps[-1]
    start = data["play"]["start"]
    assert start["vocab"] > 50 and start["params"] > 0  # a character vocabulary of tfprep's own answers
    sample = data["play"]["sample"]
    assert sample["text"].startswith("Attention") and len(sample["text"]) == len("Attention") + 400
    saved = tfprep_home / "play" / "gpt" / "model.pt"  # for `tfprep viz gpt`
    assert data["play"]["saved"]["path"] == sample["saved"] == str(saved) and saved.stat().st_size > 0


def test_gpt_play_needs_a_passing_model(tfprep_home):
    pytest.importorskip("torch")
    from conftest import run_tfprep

    broken = Path(__file__).parents[1] / "drills" / "gpt" / "bugs" / "no_causal_mask.py"
    proc = run_tfprep("drill", "gpt", "--file", str(broken), "--play", "--seconds", "3", timeout=300)
    assert proc.returncode == 1 and "--play needs a passing GPT" in " ".join(proc.stdout.split())
