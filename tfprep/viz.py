"""`tfprep viz`: see attention, computed by the learner's own code.

- `attention`: the learner's `scaled_dot_product_attention` (their attention drill file) on a
  labelled 9-token example, full and causal, and with their sliding-window mask and their ALiBi
  bias where those drill files exist.
- `gpt`: every head of every layer of the GPT that `tfprep drill gpt --play` trained and saved,
  on a sentence of its training text, with a few numbers and a one-word reading per head.

This module is the core: it finds the files, checks what is needed, runs
`python -m tfprep.vizchild` (numpy, torch, matplotlib and the learner's code live there, never
in the CLI process) and returns the child's data, checked, as plain dicts. It knows nothing of
the terminal; `tfprep.heatmap` draws the data and `--json` prints it.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tfprep.errors import ExitStatus, TfprepError

ATTENTION_TIMEOUT = 60.0  # seconds for the learner's attention on a 9 x 9 example (generous)
GPT_TIMEOUT = 120.0  # importing torch, rebuilding the model and one forward pass
VARIANTS = ("sliding-window", "alibi")

# A head's one-word reading, from its numbers (the first that applies; stated in `viz gpt --help`).
POSITIONAL = 0.5  # previous-token / self / first-token/sink: mean weight there >= this
UNIFORM = 0.9  # uniform: entropy >= this share of a uniform head's
SHARP = 0.3  # sharp: entropy <= this share of a uniform head's
READINGS = ("previous-token", "self", "first-token/sink", "uniform", "sharp", "mixed")


def label(s: str) -> str:
    """A token or character as drawn (terminal and PNG): blanks and control characters made visible."""
    return {" ": "␣", "\n": "↵", "\t": "⇥"}.get(s, s) if len(s) == 1 else s


def reading(m: dict) -> str:
    """One word for a head from its metrics: where most of its weight goes, else how spread it is."""
    if m["prev"] >= POSITIONAL:
        return "previous-token"
    if m["self"] >= POSITIONAL:
        return "self"
    if m["first"] is not None and m["first"] >= POSITIONAL:
        return "first-token/sink"
    if m["entropy"] >= UNIFORM * m["entropy_uniform"]:
        return "uniform"
    if m["entropy"] <= SHARP * m["entropy_uniform"]:
        return "sharp"
    return "mixed"


# --- viz attention -----------------------------------------------------------------------------

def attention_files(file: Path | None = None, workspace: Path | None = None) -> tuple[Path, dict[str, Path | None]]:
    """The learner's attention file (`file`, else the workspace's) and the variant drill files
    that exist in the workspace (None where not)."""
    from tfprep import drills

    d = drills.load("attention")
    target = file or drills.workspace_file(d, workspace)
    if file is None:
        drills.check_workspace(target.parent)
        if not target.exists():
            raise TfprepError(f"no attention file yet: {target} does not exist",
                              hint="start the drill (it writes the starter there): tfprep drill attention")
    drills.check_source(target)
    variants = {}
    for name in VARIANTS:
        path = drills.workspace_file(drills.load(name), workspace)
        variants[name] = path if path.is_file() else None
    return target, variants


def attention(file: Path | None = None, workspace: Path | None = None, png: Path | None = None) -> dict:
    """Run the learner's attention on the example in the child; the panels (full, causal,
    sliding-window, alibi), each with weights, or an error, or the command that starts it.
    `failed` is true when any panel's code failed. With `png`, the same heatmaps are drawn there."""
    _require("numpy", "tfprep viz needs numpy, which is not installed")
    if png is not None:
        _require_png(png)
    target, variants = attention_files(file, workspace)
    args = ["attention", "--file", str(target)]
    for name, path in variants.items():
        if path is not None:
            args += [f"--{name}", str(path)]
    data = _run(args, ATTENTION_TIMEOUT, png, "your attention")
    data["failed"] = any(p["error"] for p in data["panels"])
    return data


# --- viz gpt -----------------------------------------------------------------------------------

def gpt(text: str | None = None, png: Path | None = None) -> dict:
    """The saved GPT's attention maps on `text` (default: a sentence of its training text), one
    per head and layer, with each head's entropy, weights on the previous / same / first token
    and its reading."""
    from tfprep import play

    _require("torch", "viz gpt needs torch, which is not installed")
    _require("numpy", "tfprep viz needs numpy, which is not installed")
    if png is not None:
        _require_png(png)
    model = play.model_path()
    if not model.is_file():
        raise TfprepError(f"no saved GPT yet: {model} does not exist",
                          hint="train yours (once it passes) and it is saved there: tfprep drill gpt --play")
    if text is not None and not text:
        raise TfprepError("--text is empty", hint='give a sentence, e.g. --text "Attention is all you need."')
    args = ["gpt", "--model", str(model)] + ([f"--text={text}"] if text is not None else [])
    return _run(args, GPT_TIMEOUT, png, "your GPT")


# --- the child ---------------------------------------------------------------------------------

def install_hint(module: str) -> str:
    """The command that installs `module` (numpy, torch or matplotlib), from the one place each is
    named: the drills' INSTALL, and the plot extra's."""
    from tfprep import drills, plot

    return plot.INSTALL if module == "matplotlib" else drills.INSTALL[module]


def _require(module: str, message: str) -> None:
    """Exit 3 with the install command when `module` is not installed (found without importing it)."""
    if importlib.util.find_spec(module) is None:
        raise TfprepError(message, ExitStatus.MISSING, hint=f"install it with: {install_hint(module)}")


def _require_png(png: Path) -> None:
    _require("matplotlib", "drawing the heatmaps to a PNG needs matplotlib, which is not installed")
    if png.is_dir():
        raise TfprepError(f"{png} is a folder", hint="give --png a file name, e.g. --png attention.png")
    if not png.parent.is_dir():
        raise TfprepError(f"cannot write {png}: the folder {png.parent} does not exist",
                          hint="choose a folder that exists and that you can write to")


def _run(args: list[str], timeout: float, png: Path | None, what: str) -> dict:
    """Start `python -m tfprep.vizchild ARGS`, wait for its result file and return the data;
    TfprepError with the child's status when it could show nothing. A PNG it drew is moved to
    `png` (a file already there is kept beside it, as `tfprep stats --plot` does)."""
    tmp_png = None if png is None else png.with_name(f".{png.name}.{os.getpid()}.tmp")
    with tempfile.TemporaryDirectory(prefix="tfprep-viz-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "tfprep.vizchild", *args, "--out", str(out)]
        if tmp_png is not None:
            cmd += ["--png", str(tmp_png)]
        try:
            try:
                proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
                                      start_new_session=True)
            except subprocess.TimeoutExpired:
                raise TfprepError(f"{what} ran for more than {timeout:g} s on a tiny input and was stopped",
                                  ExitStatus.FAILED, hint="look for an endless loop in your file") from None
            try:
                data = json.loads(out.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                lines = (proc.stderr or "").strip().splitlines()
                raise TfprepError(f"{what} ended the process before it could report (exit status {proc.returncode})"
                                  + (f": {lines[-1][:300]}" if lines else ""), ExitStatus.FAILED,
                                  hint="does your file call exit(), or use more memory than this machine has?") from None
            if "error" in data:
                raise TfprepError(data["error"], ExitStatus(data.get("status", 1)), hint=data.get("hint"))
            data["png"], data["png_kept"] = None, None
            if tmp_png is not None and tmp_png.is_file():
                data["png_kept"] = _place(tmp_png, png)
                data["png"] = str(png)
        finally:
            if tmp_png is not None:
                tmp_png.unlink(missing_ok=True)
    return data


def _place(tmp: Path, path: Path) -> str | None:
    """Move `tmp` to `path`; a file already there is kept as PATH.<time>.bak (never overwritten)."""
    from tfprep import paths

    kept = None
    try:
        if path.exists():
            kept = paths.keep_as_bak(path)
        tmp.replace(path)
    except OSError as exc:
        raise TfprepError(f"cannot write {path} ({exc.strerror or exc})",
                          hint="choose a folder that exists and that you can write to") from None
    return str(kept) if kept else None
