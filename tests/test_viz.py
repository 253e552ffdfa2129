"""`tfprep viz attention` and `tfprep viz gpt`: the learner's own code, run in a child process,
drawn as heatmaps; and `drill gpt --play` saving the model that `viz gpt` loads. Real files and
real processes throughout."""
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import run_tfprep
from tfprep import viz

CASES = Path(__file__).parent / "drill_cases"
TOKENS = ["The", "cat", "sat", "on", "the", "mat", "and", "it", "ate"]

CORRECT = (CASES / "attention" / "correct_einsum.py").read_text()
WRONG_AXIS = '''import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-2, keepdims=True))
    weights = e / e.sum(axis=-2, keepdims=True)  # the classic bug: normalised over the queries
    return weights @ v, weights
'''
RAISES = '''def scaled_dot_product_attention(q, k, v, mask=None):
    raise ValueError("shapes do not line up")
'''
SLIDING = '''import numpy as np


def sliding_window_mask(seq_len, window):
    i, j = np.arange(seq_len)[:, None], np.arange(seq_len)[None, :]
    return (j <= i) & (j > i - window)
'''
ALIBI = '''import numpy as np


def alibi_bias(n_heads, seq_len):
    slopes = 2.0 ** (-8.0 * np.arange(1, n_heads + 1) / n_heads)
    pos = np.arange(seq_len)
    return slopes[:, None, None] * (pos[None, :] - pos[:, None])
'''


def softmax(scores, mask=None):
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.fixture
def workspace(tfprep_home):
    folder = tfprep_home / "workspace"
    folder.mkdir(parents=True)
    return folder


def panels(data):
    return {p["name"]: p for p in data["panels"]}


# --- viz attention -----------------------------------------------------------------------------

def test_heatmaps_of_the_learners_attention_with_labels_and_missing_variants(cli, workspace):
    (workspace / "attention.py").write_text(CORRECT)
    result = cli("viz", "attention")
    assert result.exit_code == 0, result.output
    out = result.output
    header = next(line for line in out.splitlines() if "The cat sat" in line)  # the keys across the top
    assert header.split() == TOKENS + TOKENS  # full and causal side by side
    grid_lines = [line for line in out.splitlines() if any(c in line for c in "░▒▓█") and not line.startswith("blank")]
    assert [line.split()[0] for line in grid_lines] == TOKENS  # the queries down the side
    assert "█" in out and "blank: 0 (masked)" in out and ">= .7" in out  # the shades and their legend
    assert "equals tfprep's softmax(q k^T / sqrt(d_k))" in out
    assert "sliding-window: not written yet: tfprep drill sliding-window" in out
    assert "alibi: not written yet: tfprep drill alibi" in out


def test_json_weights_are_the_softmax_of_the_example_for_every_panel(cli, workspace):
    (workspace / "attention.py").write_text(CORRECT)
    (workspace / "sliding_window.py").write_text(SLIDING)
    (workspace / "alibi.py").write_text(ALIBI)
    result = cli("viz", "attention", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["tokens"] == TOKENS and not data["failed"]
    q, k = np.array(data["q"]), np.array(data["k"])
    T = len(TOKENS)
    scores = q @ k.T / math.sqrt(q.shape[1])
    i, j = np.arange(T)[:, None], np.arange(T)[None, :]
    causal = j <= i
    expected = {"full": softmax(scores), "causal": softmax(scores, causal),
                "sliding-window": softmax(scores, causal & (j > i - data["window"])),
                "alibi": softmax(scores + 0.5 * (j - i), causal)}  # head 0 of 8: slope 2^-1
    got = panels(data)
    for name, want in expected.items():
        w = np.array(got[name]["weights"])
        assert got[name]["error"] is None and got[name]["missing"] is None
        np.testing.assert_allclose(w.sum(axis=-1), 1.0, atol=1e-12)
        np.testing.assert_allclose(w, want, atol=1e-12, err_msg=name)
    # the example means something: "it" looks back at "cat", unless the window hides it
    it, cat = TOKENS.index("it"), TOKENS.index("cat")
    assert np.argmax(got["causal"]["weights"][it]) == cat
    assert got["sliding-window"]["weights"][it][cat] == 0.0
    assert "alibi_bias(8, 9)[0]" in got["alibi"]["how"] and "boolean mask only" in got["alibi"]["how"]


def test_softmax_over_the_wrong_axis_is_drawn_and_fails_with_a_message(cli, tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text(WRONG_AXIS)
    result = cli("viz", "attention", "--file", str(wrong))
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "rows of weights do not sum to 1" in out and "softmax over the query axis?" in out
    assert "full ✗" in out and "FAILED" in out and "The cat sat on the mat and it ate" in out  # still drawn
    data = json.loads(cli("viz", "attention", "--file", str(wrong), "--json").output)
    assert data["failed"] and all(p["error"] for p in data["panels"] if not p["missing"])


def test_code_that_raises_exits_1_with_the_line_and_no_traceback(cli, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(RAISES)
    result = cli("viz", "attention", "--file", str(bad))
    assert result.exit_code == 1 and "Traceback" not in result.output
    out = " ".join(result.output.split())
    assert "`scaled_dot_product_attention` raised ValueError: shapes do not line up (line 2 of your file" in out
    bad.write_text("def scaled_dot_product_attention(q, k, v, mask=None)\n    return q\n")
    result = cli("viz", "attention", "--file", str(bad))
    assert result.exit_code == 1 and "SYNTAX ERROR" in result.output and "line 1" in result.output


def test_bad_input_exits_2(cli, tmp_path, workspace):
    result = cli("viz", "attention", "--file", str(tmp_path / "nope.py"))
    assert result.exit_code == 2 and "no such file" in result.output
    result = cli("viz", "attention")  # nothing in the workspace yet
    assert result.exit_code == 2 and "tfprep drill attention" in result.output
    (workspace / "attention.py").write_text(CORRECT)
    result = cli("viz", "attention", "--png", str(tmp_path / "no" / "such" / "a.png"))
    assert result.exit_code == 2 and "does not exist" in result.output


def test_a_variant_still_at_its_starter_is_not_written_yet(cli, workspace):
    from tfprep import paths

    (workspace / "attention.py").write_text(CORRECT)
    (workspace / "alibi.py").write_text((paths.drills_dir() / "alibi" / "starter.py").read_text())
    result = cli("viz", "attention")
    assert result.exit_code == 0
    assert "alibi: not written yet: tfprep drill alibi (your file is still the starter)" in " ".join(result.output.split())


PROBE = """
import atexit, sys
atexit.register(lambda: sys.__stderr__.write('HEAVY=' + ','.join(sorted({m.split('.')[0] for m in sys.modules}
                & {'numpy', 'torch', 'triton', 'matplotlib'})) + '\\n'))
sys.argv = ['tfprep'] + sys.argv[1:]
from tfprep.cli import main
main()
"""


def test_png_is_written_an_existing_file_kept_and_the_cli_process_stays_light(cli, workspace, tmp_path):
    """--png draws in the child; the CLI process itself never imports numpy, torch or matplotlib."""
    matplotlib_image = pytest.importorskip("matplotlib.image")
    (workspace / "attention.py").write_text(CORRECT)
    png = tmp_path / "attention.png"
    result = cli("viz", "attention", "--png", str(png))
    assert result.exit_code == 0, result.output
    assert f"Heatmaps written to {png}" in result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib_image.imread(png)
    assert image.shape[0] > 200 and image.shape[1] > 400 and image[..., :3].std() > 0.05
    first = png.read_bytes()
    proc = subprocess.run([sys.executable, "-c", PROBE, "viz", "attention", "--png", str(png), "--json"],
                          capture_output=True, text=True, timeout=120, env=os.environ.copy())
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["png"] == str(png) and "Heatmaps written to" in proc.stderr  # stdout: JSON only
    assert [ln for ln in proc.stderr.splitlines() if ln.startswith("HEAVY=")] == ["HEAVY="]
    kept = list(tmp_path.glob("attention.png.*.bak"))
    assert len(kept) == 1 and kept[0].read_bytes() == first
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and not list(tmp_path.glob(".*.tmp"))


def test_a_missing_library_in_the_child_exits_3_with_the_install_command(workspace, tmp_path):
    """A numpy or matplotlib that cannot be imported (here: stand-ins that raise ImportError, found
    first on PYTHONPATH) is a missing capability, reported by the child."""
    (workspace / "attention.py").write_text(CORRECT)
    for name, args, install in (("matplotlib", ["--png", str(tmp_path / "a.png")], "pip install 'tfprep[plot]'"),
                                ("numpy", [], "pip install 'numpy>=1.24'")):
        fake = tmp_path / f"no-{name}" / name
        fake.mkdir(parents=True)
        (fake / "__init__.py").write_text("raise ImportError('not here')\n")
        proc = run_tfprep("viz", "attention", *args, env={"PYTHONPATH": str(fake.parent)})
        assert proc.returncode == 3, proc.stderr
        assert f"needs {name}" in proc.stderr and install in proc.stderr


# --- the saved GPT and viz gpt --------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The passing nanoGPT-style case trained for one step or two by `--play`'s child, saved to a file."""
    pytest.importorskip("torch")
    from tfprep import play

    tmp = tmp_path_factory.mktemp("play")
    corpus = tmp / "corpus.txt"
    corpus.write_text(play.corpus_text(), encoding="utf-8")
    model = tmp / "model.pt"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TFPREP_HOME", str(tmp / "home"))
        events = list(play.run(CASES / "gpt" / "correct_nanogpt.py", corpus, seconds=0.2, temperature=1.0, top_k=None,
                               length=5, save=model))
    saved = [e for e in events if e["event"] == "saved"]
    assert saved == [{"event": "saved", "path": str(model), "kept": None}], events
    sample = next(e for e in events if e["event"] == "sample")
    assert sample["saved"] == str(model)
    return model


def test_play_saves_what_it_takes_to_rebuild_the_model(trained):
    import torch

    bundle = torch.load(trained, weights_only=True)  # tensors, numbers and strings only
    assert bundle["source"] == (CASES / "gpt" / "correct_nanogpt.py").read_text()
    cfg = bundle["config"]
    assert cfg == {"vocab_size": len(bundle["chars"]), "d_model": 64, "n_layers": 2, "n_heads": 4, "max_len": 64}
    assert bundle["chars"] == sorted(set(bundle["chars"])) and bundle["trained"]["steps"] >= 1
    assert bundle["state_dict"]["transformer.wte.weight"].shape == (cfg["vocab_size"], 64)
    assert bundle["sample_text"] and set(bundle["sample_text"]) <= set(bundle["chars"])
    assert not list(trained.parent.glob(".*.tmp"))


def test_a_new_save_keeps_the_previous_one(tmp_path):
    pytest.importorskip("torch")
    import torch

    from tfprep import play

    path = tmp_path / "play" / "gpt" / "model.pt"
    assert play.save_model(path, {"n": 1}) is None
    kept = play.save_model(path, {"n": 2})
    assert kept is not None and kept.name.startswith("model.pt.") and kept.name.endswith(".bak")
    assert torch.load(kept, weights_only=True) == {"n": 1} and torch.load(path, weights_only=True) == {"n": 2}
    assert play.save_model(path, {"n": 3}) != kept  # a third save keeps the second under a new name
    assert len(list(path.parent.glob("model.pt.*.bak"))) == 2 and not list(path.parent.glob(".*.tmp"))


def test_viz_gpt_without_a_saved_model_says_how_to_get_one(cli):
    result = cli("viz", "gpt")
    assert result.exit_code == 2
    assert "no saved GPT yet" in result.output and "tfprep drill gpt --play" in result.output


def test_viz_gpt_shows_every_head_of_every_layer(cli, trained, tfprep_home):
    from tfprep import play

    play.model_path().parent.mkdir(parents=True)
    shutil.copyfile(trained, play.model_path())
    result = cli("viz", "gpt", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    T = len(data["text"])
    assert T >= 20 and data["note"] is None and data["softmax_calls"] == 2  # one (1, 4, T, T) call per layer
    assert [(h["layer"], h["head"]) for h in data["heads"]] == [(l, h) for l in range(2) for h in range(4)]
    for h in data["heads"]:
        w = np.array(h["weights"])
        assert w.shape == (T, T)
        np.testing.assert_allclose(w.sum(axis=-1), 1.0, atol=1e-5)
        assert np.all(np.triu(w, 1) == 0) and h["causal"]  # the learner's causal mask
        assert 0 <= h["entropy"] <= h["entropy_uniform"] + 1e-9 <= math.log(T) + 1e-9
        assert h["log_t"] == pytest.approx(math.log(T))
        for key in ("prev", "self", "first"):
            assert 0 <= h[key] <= 1
        assert h["reading"] in viz.READINGS and h["reading"] == viz.reading(h)
    import torch

    assert data["text"] == torch.load(trained, weights_only=True)["sample_text"]  # the default: a training sentence
    from tfprep import console, heatmap

    with console.out.capture() as captured:  # the terminal rendering of the same data
        heatmap.gpt(data)
    out = captured.get()
    assert "Layer 0" in out and "Layer 1" in out and "L1 H3" in out and "entropy" in out and "reading" in out
    assert data["text"].replace(" ", "␣") in out  # the keys across the top, blanks made visible


def test_a_gpt_without_a_softmax_call_is_said_plainly(cli, tmp_path):
    """A learner's GPT that normalises exp() by hand: nothing to capture, and the output says why."""
    pytest.importorskip("torch")
    import importlib.util

    from tfprep import play

    source = (CASES / "gpt" / "correct_nanogpt.py").read_text()
    source = source.replace("att = F.softmax(att, dim=-1)", "att = att.exp() / att.exp().sum(-1, keepdim=True)")
    assert "att.exp()" in source
    file = tmp_path / "gpt_by_hand.py"
    file.write_text(source)
    spec = importlib.util.spec_from_file_location("gpt_by_hand", file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    chars = sorted("abc .")
    cfg = {"vocab_size": len(chars), "d_model": 16, "n_layers": 1, "n_heads": 2, "max_len": 16}
    model = module.GPT(*cfg.values())
    play.save_model(play.model_path(), {"format": play.SAVE_FORMAT, "source": source, "config": cfg, "chars": chars,
                                        "state_dict": model.state_dict(), "sample_text": "abc."})
    result = cli("viz", "gpt", "--text", "a b.", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["text"] == "a b." and data["heads"] == [] and data["softmax_calls"] == 0
    assert "without a softmax call" in data["note"]


def test_viz_gpt_help_states_the_reading_thresholds(cli):
    out = " ".join(cli("viz", "gpt", "--help").output.split())
    assert f"prev >= {viz.POSITIONAL}" in out and f"entropy >= {viz.UNIFORM} x uniform" in out
    assert f"entropy <= {viz.SHARP} x uniform" in out
