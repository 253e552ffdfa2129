"""`tfprep doctor`: one finding per capability, broken installs found in child processes, exit codes."""
import importlib.metadata
import json
import os
import sqlite3
import sys
import time

import pytest

from tfprep import diagnose, drills

from conftest import run_tfprep

NAMES = ["Python", "numpy", "torch", "triton", "GPU", "progress store", "workspace", "grader sandbox",
         "anki export", "plots", "notebooks"]
HAS_TORCH = diagnose.installed("torch")
HAS_TRITON = diagnose.installed("triton") and HAS_TORCH


def doctor(*args, env=None, timeout=180):
    res = run_tfprep("doctor", "--json", *args, env=env, timeout=timeout)
    try:
        rows = json.loads(res.stdout)
    except ValueError:
        raise AssertionError(f"not JSON (exit {res.returncode}): {res.stdout[-2000:]} {res.stderr[-2000:]}")
    return res.returncode, {r["name"]: r for r in rows}, rows


def shadow(tmp_path, module: str, body: str) -> dict:
    """An environment where `module` is installed but broken: a package of that name, first on
    the path, whose import runs `body` (the real one stays installed behind it)."""
    pkg = tmp_path / "shadow" / module
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(body)
    return {"PYTHONPATH": os.pathsep.join([str(tmp_path / "shadow"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}


def test_every_capability_once_with_status_detail_and_fix():
    rc, by_name, rows = doctor()
    assert [r["name"] for r in rows] == NAMES
    for r in rows:
        assert set(r) == {"name", "status", "detail", "fix", "optional"}
        assert r["status"] in ("ok", "missing", "broken") and r["detail"]
        if r["status"] != "ok" and r["name"] not in ("GPU", "grader sandbox"):  # no command installs a GPU
            assert r["fix"], r
    assert by_name["Python"]["status"] == "ok" and sys.version.split()[0] in by_name["Python"]["detail"]
    assert by_name["numpy"] == {**by_name["numpy"], "status": "ok", "detail": importlib.metadata.version("numpy")}
    assert by_name["progress store"]["status"] == "ok" and "not created yet" in by_name["progress store"]["detail"]
    assert by_name["workspace"]["status"] == "ok"
    failing = [r for r in rows if r["status"] == "broken" or (r["status"] == "missing" and not r["optional"])]
    assert rc == (1 if failing else 0), rows


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed here")
def test_torch_version_build_and_cuda():
    _, by_name, _ = doctor()
    torch = by_name["torch"]
    assert torch["status"] == "ok", torch
    assert importlib.metadata.version("torch") in torch["detail"]
    assert "CPU build" in torch["detail"] or "CUDA" in torch["detail"]
    assert ("CUDA available" in torch["detail"]) or ("CUDA not available" in torch["detail"]) or \
        "no GPU here" in torch["detail"]


@pytest.mark.skipif(not HAS_TRITON, reason="triton (with torch) is not installed here")
def test_triton_canary_runs_in_the_interpreter():
    rc, by_name, _ = doctor()
    triton = by_name["triton"]
    assert triton["status"] == "ok", triton
    assert importlib.metadata.version("triton") in triton["detail"] and "CPU interpreter" in triton["detail"]
    if drills.gpu_present():
        assert "on the GPU" in triton["detail"]


def test_the_human_form_is_one_line_per_capability(tfprep_home):
    res = run_tfprep("doctor", env={"COLUMNS": "300"}, timeout=180)
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    for name in NAMES:
        assert sum(ln.split()[1:1 + len(name.split())] == name.split() for ln in lines) == 1, (name, res.stdout)
    assert lines[-1].startswith(("Everything installed works", "Not working:"))


def test_doctor_imports_nothing_heavy_itself():
    from test_imports import heavy_modules

    heavy, proc = heavy_modules(["doctor", "--json"])
    assert json.loads(proc.stdout)[0]["name"] == "Python"
    assert heavy == []


@pytest.mark.skipif(not HAS_TRITON, reason="triton (with torch) is not installed here")
@pytest.mark.parametrize("how, body, says", [
    ("raises", "raise ImportError('libtriton.so: cannot open shared object file')\n", "libtriton.so"),
    ("crashes", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n", "crashed (SIGSEGV)"),
    ("hangs", "import time\ntime.sleep(600)\n", "did not finish in 5 s"),
])
def test_a_broken_triton_is_broken_not_a_crash(tmp_path, how, body, says):
    env = {**shadow(tmp_path, "triton", body), "TFPREP_DOCTOR_TIMEOUT": "5"}
    start = time.monotonic()
    rc, by_name, _ = doctor(env=env)
    assert time.monotonic() - start < 60  # a hang costs the time limit, not forever
    triton = by_name["triton"]
    assert triton["status"] == "broken" and says in triton["detail"], triton
    assert "pip install --force-reinstall" in triton["fix"]
    assert rc == 1  # installed and broken: a failure
    assert by_name["torch"]["status"] == "ok"  # found before the triton canary, in the same child
    assert by_name["numpy"]["status"] == "ok"


def test_a_broken_numpy_is_a_failure(tmp_path):
    rc, by_name, _ = doctor(env=shadow(tmp_path, "numpy", "raise ImportError('numpy core failed to import')\n"))
    numpy = by_name["numpy"]
    assert numpy["status"] == "broken" and "numpy core failed" in numpy["detail"]
    assert numpy["fix"].startswith("pip install --force-reinstall") and rc == 1


def test_a_damaged_store_exits_2_and_names_the_repair(tfprep_home):
    tfprep_home.mkdir(parents=True)
    (tfprep_home / "progress.db").write_bytes(b"not a database, not at all" * 300)
    rc, by_name, _ = doctor()
    s = by_name["progress store"]
    assert rc == 2 and s["status"] == "broken" and "damaged" in s["detail"] and "doctor --repair" in s["fix"]


def test_a_sound_store_shows_integrity_schema_size_and_path(tfprep_home):
    from tfprep import store

    assert run_tfprep("quiz", "--bank", "core25", "--limit", "1", input="\n3\n").returncode == 0
    _, by_name, _ = doctor()
    s = by_name["progress store"]
    n = len(store.MIGRATIONS)
    assert s["status"] == "ok" and str(tfprep_home / "progress.db") in s["detail"]
    assert "quick_check" in s["detail"] and f"schema {n}/{n} migrations" in s["detail"] and "1 reviews" in s["detail"]
    assert " KB)" in s["detail"] or " MB)" in s["detail"]


def test_a_store_from_a_newer_tfprep_is_broken(tfprep_home):
    assert run_tfprep("stats").returncode == 0  # creates the store
    conn = sqlite3.connect(tfprep_home / "progress.db")
    conn.execute("INSERT INTO migrations (name, applied_at) VALUES ('9999_from_the_future', '2030-01-01')")
    conn.commit()
    conn.close()
    rc, by_name, _ = doctor()
    s = by_name["progress store"]
    assert rc == 2 and s["status"] == "broken" and "newer tfprep" in s["detail"] and "pip install -U" in s["fix"]


def test_a_workspace_that_is_a_file_is_broken(tmp_path):
    f = tmp_path / "not-a-folder"
    f.write_text("x")
    rc, by_name, _ = doctor(env={"TFPREP_WORKSPACE": str(f)})
    w = by_name["workspace"]
    assert w["status"] == "broken" and "is a file" in w["detail"] and "tfprep config workspace" in w["fix"]
    assert rc == 1


def test_json_output_is_the_findings_only():
    res = run_tfprep("doctor", "--json", timeout=180)
    assert isinstance(json.loads(res.stdout), list)  # no spinner or table mixed in


# --- the verdicts, on the functions that make them ------------------------------------------------

def test_missing_optional_parts_are_no_failure():
    torch = diagnose._torch(None, gpu=False)
    assert torch["status"] == "missing" and torch["optional"] and torch["fix"] == "pip install 'tfprep[torch]'"
    gpu = diagnose._gpu(False, (None, None))
    assert gpu["status"] == "missing" and gpu["optional"] and gpu["fix"] is None
    assert diagnose.failures([torch, gpu, diagnose._finding("Python", "ok", "3.11")]) == []
    numpy = diagnose._numpy(None)
    assert diagnose.failures([numpy]) == [numpy]  # numpy is not optional


def test_triton_without_torch_points_at_the_torch_extra():
    row = diagnose._triton(None, None, has_torch=False, torch_failed=False, gpu=False)
    if diagnose.installed("triton"):
        assert row["status"] == "missing" and row["fix"] == "pip install 'tfprep[torch]'"


def test_gpu_and_torch_cuda_findings():
    assert diagnose._gpu(True, ("NVIDIA H100 80GB HBM3, 81559 MiB, 550.54.15", None))["status"] == "ok"
    broken = diagnose._gpu(True, (None, "nvidia-smi failed (exit status 9): NVIDIA-SMI has failed"))
    assert broken["status"] == "broken" and broken["fix"]
    cuda_unusable = diagnose._torch({"version": "2.5.0", "cuda": "12.4", "available": False}, gpu=True)
    assert cuda_unusable["status"] == "broken" and "CUDA 12.4" in cuda_unusable["detail"]
    cpu_on_gpu = diagnose._torch({"version": "2.5.0+cpu", "cuda": None, "available": False}, gpu=True)
    assert cpu_on_gpu["status"] == "ok" and "pip install" in cpu_on_gpu["fix"]
    on_gpu = diagnose._triton({"version": "3.2.0"}, {"error": "RuntimeError: no kernel image"}, has_torch=True,
                              torch_failed=False, gpu=True)
    assert on_gpu["status"] == "broken" and "on the GPU" in on_gpu["detail"]


@pytest.mark.gpu
@pytest.mark.skipif(not (drills.gpu_present() and HAS_TRITON), reason="needs a CUDA GPU with torch and triton")
def test_doctor_launches_a_kernel_on_the_gpu():
    rc, by_name, _ = doctor()
    assert rc == 0, by_name
    assert by_name["GPU"]["status"] == "ok" and "CUDA available" in by_name["torch"]["detail"]
    assert "and on the GPU" in by_name["triton"]["detail"]
