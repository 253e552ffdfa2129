"""The notebook API: tfprep.check / hint / start, in a real Jupyter kernel and without one."""
import importlib.util
import itertools
import linecache
import re
import sqlite3
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from tfprep import notebook
from tfprep.grading.runner import Report
from tfprep.notebook import NotebookError, collect, free_names

_ids = itertools.count()


def load_module(tmp_path: Path, source: str):
    """Import `source` as a module from a file of its own (as the learner's helper file would be)."""
    name = f"nb_case_{next(_ids)}"
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run(text: str) -> dict:
    """Execute a collected file in a fresh namespace, as the grader imports it."""
    ns: dict = {"__name__": "graded"}
    exec(compile(text, "<collected>", "exec"), ns)
    return ns


ATTENTION = """
    import json
    import numpy as np
    from numpy import exp

    SCALE_POWER = -0.5
    q = [1, 2, 3]  # a notebook variable that shares a name with a parameter
    rng = np.random.default_rng(0)

    def softmax(x):
        z = x - x.max(axis=-1, keepdims=True)
        e = exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    def scaled_dot_product_attention(q, k, v, mask=None):
        scores = q @ np.swapaxes(k, -1, -2) * q.shape[-1] ** SCALE_POWER
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        weights = softmax(scores)
        return weights @ v, weights
"""


def reference_attention(q, k, v):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    return w @ v


def test_free_names_are_globals_only():
    src = textwrap.dedent("""
        @deco
        def f(q, k=DEFAULT):
            x = helper(q)
            g = lambda t: other(t) + x
            return [w for w in np.arange(3) if w > LIMIT], f
    """)
    assert set(free_names(src)) == {"deco", "DEFAULT", "helper", "other", "np", "LIMIT"}


def test_a_function_brings_its_helpers_imports_and_constants(tmp_path):
    mod = load_module(tmp_path, ATTENTION)
    got = collect([mod.scaled_dot_product_attention], ["scaled_dot_product_attention"])
    text = got.text()
    assert "import numpy as np" in got.imports and "from numpy import exp" in got.imports
    assert "json" not in text  # imported by the notebook, not used by the solution
    assert "SCALE_POWER = -0.5" in got.constants
    assert "q = [1, 2, 3]" not in text  # `q` is a parameter, not the notebook's variable
    assert text.index("def softmax") < text.index("def scaled_dot_product_attention")
    ns = run(text)
    rnd = np.random.default_rng(1)
    q, k, v = rnd.normal(size=(2, 4, 8)), rnd.normal(size=(2, 5, 8)), rnd.normal(size=(2, 5, 3))
    out, w = ns["scaled_dot_product_attention"](q, k, v)
    np.testing.assert_allclose(out, reference_attention(q, k, v), rtol=1e-10)
    assert got.notes == []


def test_a_value_that_cannot_be_copied_is_noted(tmp_path):
    mod = load_module(tmp_path, """
        import numpy as np
        rng = np.random.default_rng(0)
        def noisy(x):
            return x + rng.normal()
    """)
    got = collect([mod.noisy])
    assert any("rng" in n and "Generator" in n for n in got.notes), got.notes
    assert "rng =" not in got.text()


def test_several_functions_and_a_missing_one(tmp_path):
    mod = load_module(tmp_path, """
        import numpy as np

        def _moments(x):
            return x.mean(-1, keepdims=True), x.var(-1, keepdims=True)

        def layer_norm(x, gamma, beta, eps=1e-5):
            mu, var = _moments(x)
            return (x - mu) / np.sqrt(var + eps) * gamma + beta

        def rms_norm(x, weight, eps=1e-6):
            return x / np.sqrt((x ** 2).mean(-1, keepdims=True) + eps) * weight
    """)
    got = collect([mod.layer_norm, mod.rms_norm], ["layer_norm", "rms_norm"])
    text = got.text()
    assert text.count("def _moments") == 1 and text.count("import numpy as np") == 1
    ns = run(text)
    x = np.arange(8.0).reshape(2, 4)
    np.testing.assert_allclose(ns["rms_norm"](x, np.ones(4)).shape, (2, 4))
    np.testing.assert_allclose(ns["layer_norm"](x, np.ones(4), np.zeros(4)).mean(-1), 0, atol=1e-12)

    with pytest.raises(NotebookError) as err:
        collect([mod.layer_norm], ["layer_norm", "rms_norm"], "layer-norm")
    assert err.value.message == "drill 'layer-norm' needs rms_norm: not passed (got layer_norm)"
    assert err.value._render_traceback_() == ["tfprep: " + err.value.message,
                                              'pass it too, under these names: tfprep.check("layer-norm", layer_norm, rms_norm)']


def test_one_function_under_another_name_is_bound_to_the_drills_name(tmp_path):
    mod = load_module(tmp_path, """
        def my_attention(q, k, v, mask=None):
            return q, k
    """)
    got = collect([mod.my_attention], ["scaled_dot_product_attention"])
    assert run(got.text())["scaled_dot_product_attention"] is not None
    assert "scaled_dot_product_attention = my_attention" in got.text()


def test_a_class_brings_its_base_and_module_level_helpers(tmp_path):
    mod = load_module(tmp_path, """
        import math
        from torch import nn

        WIDTH = 4

        def scale(d):
            return 1 / math.sqrt(d)

        class Base(nn.Module):
            pass

        class MultiHeadAttention(Base):
            def __init__(self, d_model, n_heads, causal=False):
                super().__init__()
                self.s = scale(d_model // n_heads) * WIDTH
    """)
    got = collect([mod.MultiHeadAttention], ["MultiHeadAttention"])
    text = got.text()
    assert "import math" in got.imports and "from torch import nn" in got.imports
    assert text.index("class Base(nn.Module)") < text.index("class MultiHeadAttention(Base)")
    assert "def scale" in text and "WIDTH = 4" in text
    ns = run(text)
    assert ns["MultiHeadAttention"](8, 2).s == pytest.approx(2.0)


def test_a_class_from_a_notebook_cell_is_found_through_linecache():
    """IPython keeps cells in linecache under a made-up file name; inspect cannot find a class's
    source there (no module file) but its methods' code objects point at the cell."""
    cell = "import math\n\nclass Scaler:\n    def __init__(self, d):\n        self.s = math.sqrt(d)\n"
    filename = "<ipython-cell-test-1>"
    linecache.cache[filename] = (len(cell), None, cell.splitlines(True), filename)
    ns = {"__name__": "not_a_module"}
    try:
        exec(compile(cell, filename, "exec"), ns)
        got = collect([ns["Scaler"]], ["Scaler"])
    finally:
        del linecache.cache[filename]
    assert got.imports == ["import math"]
    assert run(got.text())["Scaler"](16).s == 4.0


def test_a_module_object_is_taken_whole(tmp_path):
    mod = load_module(tmp_path, """
        import numpy as np

        def softmax(x):
            e = np.exp(x - x.max(-1, keepdims=True))
            return e / e.sum(-1, keepdims=True)

        def softmax_backward(y, dy):
            return y * (dy - (dy * y).sum(-1, keepdims=True))
    """)
    got = collect([mod], ["softmax", "softmax_backward"])
    assert got.modules == [Path(mod.__file__).read_text(encoding="utf-8")]
    assert set(run(got.text())) >= {"softmax", "softmax_backward", "np"}
    with pytest.raises(NotebookError, match="attention"):
        collect([mod], ["softmax", "attention"])


def test_what_cannot_be_graded_is_refused():
    with pytest.raises(NotebookError, match="lambda"):
        collect([lambda q, k, v: q], ["scaled_dot_product_attention"])
    with pytest.raises(NotebookError, match="cannot grade"):
        collect([np.zeros(3)], ["scaled_dot_product_attention"])

    def inner(q, k, v):
        return q

    with pytest.raises(NotebookError, match="inside another function"):
        collect([inner], ["scaled_dot_product_attention"])
    with pytest.raises(NotebookError, match="inside a class: pass the class CheckedReport"):
        collect([notebook.CheckedReport.__repr__], ["__repr__"])


def test_an_older_file_is_kept_under_a_backup_name(tfprep_home):
    from tfprep import drills

    d = drills.load("attention")
    now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    target, kept = notebook.write_solution(d, "first = 1\n", now)
    assert target == tfprep_home / "notebook" / "attention.py" and kept is None
    assert notebook.write_solution(d, "first = 1\n", now) == (target, None)  # same code: nothing to keep
    target, kept = notebook.write_solution(d, "second = 2\n", now)
    _, kept2 = notebook.write_solution(d, "third = 3\n", now)  # same second: a unique name all the same
    assert kept.read_text() == "first = 1\n" and kept2.read_text() == "second = 2\n" and kept != kept2
    assert target.read_text() == "third = 3\n"


# --- a real notebook, run headless in an IPython kernel ----------------------------------------

WRONG = """\
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2)  # no 1/sqrt(d_k)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = softmax(scores)
    return weights @ v, weights
"""
RIGHT = WRONG.replace("np.swapaxes(k, -1, -2)  # no 1/sqrt(d_k)", "np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])")
HELPER = """\
def softmax(x):
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
"""
CLASS_CELL = """\
import math
from tfprep import notebook as nb

class MultiHeadAttention:
    def __init__(self, d_model, n_heads, causal=False):
        self.scale = 1 / math.sqrt(d_model // n_heads)

print(nb.collect([MultiHeadAttention], ["MultiHeadAttention"]).text())
"""
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def cell_text(cell) -> str:
    """Everything a cell showed: streams, rich displays (text and HTML), results and errors."""
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        for mime in ("text/plain", "text/html"):
            parts.append(out.get("data", {}).get(mime, ""))
        parts += [out.get("evalue", "")] + list(out.get("traceback", []))
    return ANSI.sub("", "\n".join(parts))


def test_a_real_notebook_checks_hints_and_records(tmp_path, tfprep_home, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))  # the kernel's history, not the user's
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))  # its connection file
    cells = ["import tfprep", 'tfprep.start("attention")', "import numpy as np", HELPER, WRONG,
             'r = tfprep.check("attention", scaled_dot_product_attention)\nprint("first passed:", r.passed)',
             'tfprep.hint("attention")', RIGHT,
             'r2 = tfprep.check("attention", scaled_dot_product_attention)\n'
             'print("second passed:", r2.passed, isinstance(r2, tfprep.notebook.Report))\nr2',
             'tfprep.check("layer-norm", scaled_dot_product_attention)', CLASS_CELL]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.cells[9].metadata["tags"] = ["raises-exception"]  # the missing names: an error, on purpose
    # the kernel inherits this process's environment, TFPREP_HOME (the fixture's) included
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    out = [cell_text(c) for c in nb.cells]

    assert "Scaled dot-product attention" in out[1] and "raise NotImplementedError" in out[1]
    first = out[5]
    assert "missing 1/sqrt(d_k) scaling" in first and "FAILED" in first, first
    assert "first passed: False" in first
    assert any("text/html" in o.get("data", {}) for o in nb.cells[5].outputs)  # rendered as rich HTML
    assert "Hint 1/4" in out[6]
    second = out[8]
    assert "PASSED" in second and "second passed: True True" in second, second
    assert "<tfprep report attention: passed" in second  # the cell's value: one line, not a dump
    assert "drill 'layer-norm' needs layer_norm and rms_norm" in out[9]
    assert nb.cells[9].outputs[-1]["output_type"] == "error" and "Traceback" not in out[9]
    assert "class MultiHeadAttention:" in out[10] and "import math" in out[10], out[10]

    db = sqlite3.connect(tfprep_home / "progress.db")
    attempts = db.execute("SELECT drill, passed, file FROM drill_attempts ORDER BY id").fetchall()
    events = [r[0] for r in db.execute("SELECT kind FROM drill_events WHERE drill = 'attention' ORDER BY id")]
    db.close()
    private = tfprep_home / "notebook" / "attention.py"
    assert attempts == [("attention", 0, str(private)), ("attention", 1, str(private))]
    assert events == ["start", "hint"]

    text = private.read_text(encoding="utf-8")
    assert "import numpy as np" in text.splitlines()
    assert RIGHT.strip() in text and HELPER.strip() in text
    assert "import tfprep" not in text  # the notebook imported it; the solution does not use it
    backups = list(private.parent.glob("attention.py.*.bak"))
    assert len(backups) == 1 and WRONG.strip() in backups[0].read_text(encoding="utf-8")


def test_checked_report_is_a_report():
    rep = Report(drill="attention", file="f.py", passed=True)
    checked = notebook.CheckedReport.of(rep, None, Path("f.py"))
    assert isinstance(checked, Report) and checked.passed and checked.to_dict() == rep.to_dict()
    assert repr(checked) == "<tfprep report attention: passed, 0/0 checks>"


def test_check_without_a_solution_looks_in_the_notebook(monkeypatch, tfprep_home):
    monkeypatch.setattr(notebook, "_namespace", lambda: {"softmax": len})
    with pytest.raises(NotebookError, match="needs softmax_backward: not defined in the notebook"):
        notebook.check("softmax")
    assert not (tfprep_home / "notebook").exists()  # nothing written, nothing graded
