"""`python -m tfprep.probe KIND...`: capabilities checked in a child process of `tfprep doctor`.

Each kind imports what it checks (numpy, torch, triton) here, never in doctor's own process, so
an install that raises, hangs or crashes the interpreter shows up as a finding instead of
taking doctor down. Each kind's result is one JSON line on stdout, written as soon as it is
known: {"kind": KIND, ...facts} or {"kind": KIND, "error": why}; after an error the later kinds
(which need the earlier ones: triton needs torch) are not tried and the exit status is 1. The
Triton canaries run a tiny kernel (y = 2x + 1 over a masked block): `triton` in the CPU
interpreter (the parent sets TRITON_INTERPRET=1), `triton-gpu` on the GPU.
"""
from __future__ import annotations

import json
import sys

N = 10  # elements the canary kernel writes; its block is 16, so the mask matters


def numpy_facts() -> dict:
    import numpy

    x = numpy.arange(6.0).reshape(2, 3)
    assert float((x @ x.T).sum()) == 83.0  # the compiled core works, not just the import
    return {"version": numpy.__version__}


def torch_facts() -> dict:
    import torch

    facts = {"version": torch.__version__, "cuda": torch.version.cuda, "available": False, "devices": 0,
             "device": None}
    assert float(torch.ones(3).sum()) == 3.0
    if torch.version.cuda:
        facts["available"] = bool(torch.cuda.is_available())
        if facts["available"]:
            facts["devices"] = torch.cuda.device_count()
            facts["device"] = torch.cuda.get_device_name(0)
    return facts


def _canary_kernel():
    import triton
    import triton.language as tl

    @triton.jit
    def affine(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
        offs = tl.arange(0, BLOCK)
        mask = offs < n
        x = tl.load(x_ptr + offs, mask=mask)
        tl.store(y_ptr + offs, x * 2.0 + 1.0, mask=mask)

    return affine


def _run_canary(device: str) -> None:
    import torch

    kernel = _canary_kernel()
    x = torch.arange(N, dtype=torch.float32, device=device)
    y = torch.full((N,), -1.0, device=device)
    kernel[(1,)](x, y, N, BLOCK=16)
    if device == "cuda":
        torch.cuda.synchronize()
    if not torch.equal(y.cpu(), x.cpu() * 2 + 1):
        raise AssertionError(f"the canary kernel computed {y.cpu().tolist()}, expected 2x + 1")


def triton_facts() -> dict:
    import triton

    _run_canary("cpu")
    return {"version": triton.__version__}


def triton_gpu_facts() -> dict:
    import torch
    import triton

    if not torch.cuda.is_available():
        return {"version": triton.__version__, "skipped": "torch sees no CUDA GPU"}
    _run_canary("cuda")
    return {"version": triton.__version__, "device": torch.cuda.get_device_name(0)}


KINDS = {"numpy": numpy_facts, "torch": torch_facts, "triton": triton_facts, "triton-gpu": triton_gpu_facts}


def main(argv: list[str]) -> int:
    if not argv or any(k not in KINDS for k in argv):
        print(json.dumps({"kind": None, "error": f"usage: python -m tfprep.probe {'|'.join(KINDS)}..."}))
        return 2
    for kind in argv:
        try:
            facts = KINDS[kind]()
        except BaseException as exc:  # an install that raises anything at all is a finding
            text = str(exc).strip().splitlines()
            print(json.dumps({"kind": kind, "error": f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")}),
                  flush=True)
            return 1
        print(json.dumps({"kind": kind, **facts}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
