"""`tfprep bench`: kernel speed tables, measured in a child process (tfprep.flashbench).

Nothing here imports torch or triton; the child does, and reports JSON. Speed needs a CUDA GPU:
without one the child exits 3 and so do we, pointing at the correctness check that works anywhere.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tfprep.drills import INSTALL
from tfprep.errors import ExitStatus, TfprepError

KERNELS = ("flash-attention",)
HEAD_DIMS = (16, 32, 64, 128)


def parse_ints(text: str, what: str, allowed=None) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise TfprepError(f"{what} must be comma-separated integers, got {text!r}") from None
    if not values or any(v <= 0 for v in values):
        raise TfprepError(f"{what} must be positive integers, got {text!r}")
    if allowed and any(v not in allowed for v in values):
        raise TfprepError(f"{what} must be among {', '.join(map(str, allowed))}; got {text!r}")
    return values


def flash_attention(file: Path | None, *, ns: list[int], ds: list[int], backward: bool, smoke: bool = False) -> dict:
    """Run the speed table for `file` (None: tfprep's reference) and return the child's JSON."""
    if file is not None and not file.is_file():
        raise TfprepError(f"cannot read {file}: no such file")
    for module in ("torch", "triton"):
        if importlib.util.find_spec(module) is None:
            raise TfprepError(f"benchmarking kernels needs {module}", ExitStatus.MISSING,
                              hint=f"install it with: {INSTALL['triton']}   (torch and triton; speed needs a CUDA GPU)")
    with tempfile.TemporaryDirectory(prefix="tfprep-bench-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "tfprep.flashbench", "--json", str(out), "--n", ",".join(map(str, ns)),
               "--d", ",".join(map(str, ds)), "--modes", "fwd,bwd" if backward else "fwd"]
        if file is not None:
            cmd += ["--file", str(file.resolve())]
        if smoke:
            cmd += ["--smoke", "--batch", "1", "--heads", "2"]
        rc = subprocess.call(cmd, stdin=subprocess.DEVNULL)  # progress lines go to the user's terminal
        if rc == ExitStatus.MISSING:  # tfprep.flashbench found no CUDA GPU
            hint = "check correctness anywhere with: tfprep drill flash-attention-triton" + (f" --file {file}" if file else "")
            raise TfprepError("measuring speed needs a CUDA GPU, and there is none here", ExitStatus.MISSING, hint=hint)
        if rc != 0 or not out.is_file():
            raise TfprepError(f"the benchmark failed (exit status {rc}); its output is above", ExitStatus.FAILED)
        return json.loads(out.read_text(encoding="utf-8"))
