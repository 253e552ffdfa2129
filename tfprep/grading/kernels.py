"""Helpers for the Triton tier's hidden suites; imported only in the grading child process.

Import this module before anything imports triton: it decides where kernels run. With a CUDA
GPU they run compiled; without one it sets TRITON_INTERPRET=1 so the same kernels run in
Triton's CPU interpreter (small shapes only: it executes one program instance at a time).

It also checks that a submission really is a Triton kernel: `launch` runs a call while
counting Triton kernel launches and watching, below autograd, every PyTorch operator that
runs; a submission that computes the answer with PyTorch (`scaled_dot_product_attention`,
`torch.softmax`, a full `q @ k^T`) fails with that reason instead of passing.
"""
from __future__ import annotations

import os

import torch

if "TRITON_INTERPRET" not in os.environ and not torch.cuda.is_available():
    os.environ["TRITON_INTERPRET"] = "1"  # must be set before triton is imported

import numpy as np  # noqa: E402
import triton  # noqa: E402,F401
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402
from triton.runtime import interpreter as _interpreter  # noqa: E402
from triton.runtime import jit as _jit  # noqa: E402

from tfprep.grading import checks as C  # noqa: E402

INTERPRET = os.environ.get("TRITON_INTERPRET") == "1"
ON_GPU = torch.cuda.is_available() and not INTERPRET
DEVICE = "cuda" if ON_GPU else "cpu"
# the interpreter's bfloat16 conversions truncate and its bf16 dot is wrong: bf16 is checked on GPUs only
DTYPES = (torch.float32, torch.float16, torch.bfloat16) if ON_GPU else (torch.float32, torch.float16)
# floor of the allowed error, about one unit in the last place at magnitude 1
FLOOR = {torch.float32: 1e-5, torch.float16: 1e-3, torch.bfloat16: 8e-3}
NOT_A_KERNEL = "not a Triton kernel: the result is computed by PyTorch"
NEEDS_GPU_NOTE = ("Ran in Triton's CPU interpreter (no CUDA GPU here): correctness only, on small shapes. "
                  "Memory (no (N, N) buffer at N = 16384) and speed are measured only on a GPU.")

MATMUL_OPS = frozenset({"mm", "bmm", "addmm", "baddbmm", "matmul", "dot", "linear", "einsum", "_scaled_mm"})
SOFTMAX_OPS = frozenset({"_softmax", "softmax", "_log_softmax", "log_softmax", "_safe_softmax", "logsumexp"})
EXP_OPS = frozenset({"exp", "exp_", "exp2", "exp2_", "expm1"})


def _is_attention_op(name: str) -> bool:
    return "scaled_dot_product" in name or "flash_attention" in name or "efficient_attention" in name \
        or "cudnn_attention" in name


# --- counting Triton launches ----------------------------------------------------------------

_launches = [0]


def _counting(run):
    def run_and_count(self, *args, **kwargs):
        _launches[0] += 1
        return run(self, *args, **kwargs)

    run_and_count.__wrapped__ = run
    return run_and_count


# Both the compiled (JITFunction) and interpreted kernels are launched through `run`; so is every
# configuration an autotuner tries.
for _cls in (_jit.JITFunction, _interpreter.InterpretedFunction):
    if not hasattr(_cls.run, "__wrapped__"):
        _cls.run = _counting(_cls.run)


class _OpLog(TorchDispatchMode):
    """Records the names of forbidden PyTorch operators that run while it is active."""

    def __init__(self, forbidden):
        super().__init__()
        self.forbidden = forbidden
        self.seen: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        if name in self.forbidden or _is_attention_op(name):
            if name not in self.seen:
                self.seen.append(name)
        return func(*args, **(kwargs or {}))


def launch(fn, *args, forbidden=MATMUL_OPS | SOFTMAX_OPS, what: str = "your function", **kwargs):
    """Call fn(*args, **kwargs); fail unless it launched a Triton kernel and left the math to it."""
    before = _launches[0]
    with _OpLog(forbidden) as log:
        result = fn(*args, **kwargs)
    if log.seen:
        ops = ", ".join(f"`aten.{n}`" for n in log.seen[:4])
        C.fail(f"{what} ran the PyTorch operator(s) {ops}: the computation must happen inside your Triton "
               "kernel (no scaled_dot_product_attention, torch.softmax or full q @ k^T in the host code).",
               NOT_A_KERNEL)
    if _launches[0] == before:
        C.fail(f"{what} launched no Triton kernel: write a @triton.jit kernel and launch it with "
               "`kernel[grid](...)`.", NOT_A_KERNEL)
    return result


# --- comparing tensors -------------------------------------------------------------------------

def to_np(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float64).numpy()


def as_tensor(got, what: str, like: torch.Tensor) -> torch.Tensor:
    """The returned value as a tensor shaped, typed and placed like `like`, or a plain failure."""
    if got is None:
        C.fail(f"`{what}` is None: did the function forget to `return`?")
    if not isinstance(got, torch.Tensor):
        C.fail(f"`{what}` is a {type(got).__name__}; expected a torch.Tensor.")
    if tuple(got.shape) != tuple(like.shape):
        C.fail(f"`{what}` has shape {tuple(got.shape)}, expected {tuple(like.shape)}.")
    if got.dtype != like.dtype:
        C.fail(f"`{what}` has dtype {got.dtype}; it should keep the input dtype {like.dtype}.")
    if got.device.type != like.device.type:
        C.fail(f"`{what}` is on {got.device}; the inputs were on {like.device}.")
    return got


def expect_accurate(got, exact: torch.Tensor, same_precision: torch.Tensor, *, what: str, case: str,
                    bugs=None, factor: float = 2.0) -> None:
    """Pass when |got - exact| <= factor * |PyTorch's own result in the input dtype - exact| + floor.

    `exact` is float64; `same_precision` is what PyTorch computes in the input dtype. This is
    the flash-attention project's test rule: a kernel may be as inexact as the framework, no worse.
    """
    got = as_tensor(got, what, same_precision)
    ref = to_np(exact)
    torch_err = float(np.abs(to_np(same_precision) - ref).max()) if ref.size else 0.0
    floor = FLOOR[same_precision.dtype]
    tol = factor * torch_err + floor
    C.expect_close(to_np(got), ref, what=what, rtol=0.0, atol=tol, bugs=bugs,
                   case=f"{case} (allowed error {tol:.2g}: {factor:g}x PyTorch's own {str(same_precision.dtype)[6:]} "
                        f"error {torch_err:.2g} + {floor:g})")


def copy_like(x: torch.Tensor) -> torch.Tensor:
    """A private copy with x's strides and storage offset (a clone of a strided view would be
    contiguous, and the learner would never see the layout a test meant to give)."""
    y = torch.empty(0, dtype=x.dtype, device=x.device)
    return y.set_(x.untyped_storage().clone(), x.storage_offset(), x.size(), x.stride())


def randn(seed: int, *shape: int, dtype=torch.float32, scale: float = 1.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale).to(DEVICE, dtype)


# --- GPU measurements --------------------------------------------------------------------------

def peak_gpu_bytes(fn) -> int:
    """Peak bytes allocated by PyTorch's caching allocator while fn runs, above what was live."""
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    fn()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - base


def median_ms(fn) -> float:
    from triton.testing import do_bench

    return float(do_bench(fn, return_mode="median"))
