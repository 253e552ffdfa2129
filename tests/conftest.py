import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tfprep import drills
from tfprep.cli import app

ROOT = Path(__file__).resolve().parents[1]
HAS_GPU = drills.gpu_present()
if not HAS_GPU:
    # Triton kernels (the reference kernels' oracle tests) run in the CPU interpreter; the
    # variable must be set before anything imports triton.
    os.environ.setdefault("TRITON_INTERPRET", "1")


@pytest.fixture(autouse=True)
def tfprep_home(tmp_path, monkeypatch):
    """Every test gets its own TFPREP_HOME: no test can touch a real user's progress."""
    home = tmp_path / "home"
    monkeypatch.setenv("TFPREP_HOME", str(home))
    monkeypatch.delenv("TFPREP_WORKSPACE", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "160")
    # Fresh consoles for every test: one a test (or an in-process command such as `interview
    # --json`, which sends `out` to stderr) left behind must not change the next test's output.
    from tfprep import console

    monkeypatch.setattr(console, "out", console.Console(highlight=False, emoji=False, no_color=True, width=160))
    monkeypatch.setattr(console, "err", console.Console(stderr=True, highlight=False, emoji=False, no_color=True,
                                                        width=160))
    return home


@pytest.fixture
def conn(tfprep_home):
    """The progress store of this test's TFPREP_HOME."""
    from tfprep import store

    c = store.connect()
    yield c
    c.close()


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return invoke


def run_tfprep(*args, input=None, env=None, timeout=60):
    """Run the real console entry point in a subprocess (for signals, pipes and imports)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "tfprep", *args], input=input, capture_output=True, text=True,
                          env=full_env, timeout=timeout)
