"""The wheel as a user gets it: built from this checkout, installed in a fresh venv.

`pip install tfprep` must put only `tfprep` (and its dist-info) into site-packages: the drills,
banks and references install as `tfprep.content.*`. The fresh venv borrows the test venv's
dependencies through a .pth line (a plain path: the test venv's own .pth files, the editable
install's among them, are not run), so the test needs no network, and everything tfprep itself
is comes from the wheel.
"""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

ATTENTION = '''import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return weights @ v, weights
'''


def run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    # Built from a private copy: setuptools writes build/ and *.egg-info into the source folder,
    # and under xdist another worker may be building at the same time.
    src = out / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info",
                                                             "__pycache__", ".pytest_cache"))
    # --no-build-isolation: the dev extra brings setuptools, so the build needs no download
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(src)],
        cwd=out)
    (whl,) = out.glob("tfprep-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory):
    root = tmp_path_factory.mktemp("venv")
    env_dir = root / "v"
    run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)])
    python = env_dir / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    before = set(os.listdir(site))
    deps = [p for p in sys.path if p.endswith("site-packages")]
    (site / "zz_test_venv_dependencies.pth").write_text("".join(p + "\n" for p in deps))
    # The test venv's pip, run by the fresh interpreter, installs into the fresh venv. The test
    # venv's editable tfprep is visible to it, hence --ignore-installed (tfprep only: --no-deps).
    run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed", "--no-index", str(wheel)],
        cwd=root)
    added = set(os.listdir(site)) - before - {"zz_test_venv_dependencies.pth", "__pycache__"}
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(TFPREP_HOME=str(root / "home"), NO_COLOR="1", COLUMNS="120",
               PATH=f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    return {"python": python, "bin": env_dir / "bin", "site": site, "added": added, "env": env, "root": root}


def test_wheel_has_one_top_level_name(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert tops == {"tfprep", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}
    top_level = [n for n in names if n.endswith("top_level.txt")]
    if top_level:
        assert zipfile.ZipFile(wheel).read(top_level[0]).decode().split() == ["tfprep"]
    # the content came along: banks, every drill's suite and its bug cases, the references
    assert "tfprep/content/question_bank/core25.yaml" in names
    assert "tfprep/content/drills/catalog.yaml" in names
    assert "tfprep/content/drills/attention/test_attention.py" in names
    assert any(n.startswith("tfprep/content/drills/attention/bugs/") for n in names)
    assert "tfprep/content/reference_impls/attention.py" in names
    assert not any(n.startswith(("tfprep/content/tests", "tests/", "benchmarks/")) for n in names)


def test_installed_site_packages_gains_only_tfprep(venv):
    assert {n for n in venv["added"] if not n.endswith(".dist-info")} == {"tfprep"}
    assert len([n for n in venv["added"] if n.endswith(".dist-info")]) == 1
    assert not (venv["site"] / "reference_impls").exists()


def test_python_m_tfprep_runs_from_the_wheel(venv):
    proc = run([str(venv["python"]), "-c", "import tfprep, tfprep.paths as p; print(tfprep.__file__); "
                "print(p.drills_dir()); print(p.bank_dir())"], env=venv["env"], cwd=venv["root"])
    for line in proc.stdout.split():
        assert line.startswith(str(venv["site"])), proc.stdout
    version = run([str(venv["python"]), "-m", "tfprep", "--version"], env=venv["env"], cwd=venv["root"])
    assert version.stdout.strip().endswith(tfprep_version())
    listing = run([str(venv["bin"] / "tfprep"), "drill"], env=venv["env"], cwd=venv["root"])
    assert "flash-attention-triton-backward" in listing.stdout and "attention" in listing.stdout.split()


def test_drill_grades_from_the_wheel(venv):
    good, bad = venv["root"] / "good.py", venv["root"] / "bad.py"
    good.write_text(ATTENTION)
    bad.write_text(ATTENTION.replace("axis=-1", "axis=-2"))  # softmax over the query axis
    passed = subprocess.run([str(venv["bin"] / "tfprep"), "drill", "attention", "--file", str(good)],
                            capture_output=True, text=True, env=venv["env"], cwd=venv["root"], timeout=300)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "passed" in passed.stdout.lower(), passed.stdout
    failed = subprocess.run([str(venv["bin"] / "tfprep"), "drill", "attention", "--file", str(bad), "--json"],
                            capture_output=True, text=True, env=venv["env"], cwd=venv["root"], timeout=300)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    report = json.loads(failed.stdout)
    assert report["passed"] is False and report["checks_passed"] < len(report["checks"]), report
    assert "softmax over the query axis instead of the key axis" in {c["bug"] for c in report["checks"]}


def tfprep_version():
    import tfprep

    return tfprep.__version__
