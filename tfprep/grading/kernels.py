"""Helpers for the Triton tier's hidden suites; imported only in the grading child process.

Import this module before anything imports triton: it decides where kernels run. With a CUDA
GPU they run compiled; without one it sets TRITON_INTERPRET=1 so the same kernels run in
Triton's CPU interpreter (small shapes only: it executes one program instance at a time).

It also checks that a submission really is a Triton kernel: `launch` runs a call while
counting Triton kernel launches and watching, below autograd, every PyTorch operator the
learner's code runs outside Triton, and every exit from torch to NumPy; host code may only
allocate, copy, cast and reshape, so a submission that computes the answer with PyTorch or NumPy
(`scaled_dot_product_attention`, `torch.softmax`, `q @ k^T`, `x.exp()`, `np.einsum`) fails with
that reason instead of passing.
"""
from __future__ import annotations

import os

import torch

if "TRITON_INTERPRET" not in os.environ and not torch.cuda.is_available():
    os.environ["TRITON_INTERPRET"] = "1"  # must be set before triton is imported

import numpy as np  # noqa: E402
import triton  # noqa: E402,F401
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402
from triton.runtime import autotuner as _autotuner  # noqa: E402
from triton.runtime import interpreter as _interpreter  # noqa: E402
from triton.runtime import jit as _jit  # noqa: E402

from tfprep.grading import checks as C  # noqa: E402
from tfprep.grading import plugin as _plugin  # noqa: E402

INTERPRET = os.environ.get("TRITON_INTERPRET") == "1"
ON_GPU = torch.cuda.is_available() and not INTERPRET
DEVICE = "cuda" if ON_GPU else "cpu"
# the interpreter's bfloat16 conversions truncate and its bf16 dot is wrong: bf16 is checked on GPUs only
DTYPES = (torch.float32, torch.float16, torch.bfloat16) if ON_GPU else (torch.float32, torch.float16)
# floor of the allowed error, about one unit in the last place at magnitude 1
FLOOR = {torch.float32: 1e-5, torch.float16: 1e-3, torch.bfloat16: 8e-3}
NOT_A_KERNEL = "not a Triton kernel: the host code computes the result"
NEEDS_GPU_NOTE = ("Ran in Triton's CPU interpreter (no CUDA GPU here): correctness only, on small shapes. "
                  "Memory (no (N, N) buffer at N = 16384) and speed are measured only on a GPU.")

# What host code may run outside a Triton kernel: allocation, copies, casts and views. Anything
# else (matmul, softmax, exp, sum, mul...) is arithmetic the kernel was supposed to do. Ops that
# Triton itself runs while launching (the interpreter's host copies, an autotuner's timing) do
# not count: they happen inside a launch.
HOST_OPS = frozenset({
    "empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided", "zeros", "zeros_like",
    "new_zeros", "ones", "ones_like", "new_ones", "full", "full_like", "new_full", "arange", "scalar_tensor",
    "lift_fresh", "lift_fresh_copy", "view", "_unsafe_view", "reshape", "_reshape_alias", "as_strided",
    "t", "transpose", "permute", "expand", "select", "slice", "unsqueeze", "squeeze", "alias", "detach",
    "unbind", "split", "split_with_sizes", "chunk", "narrow", "flatten", "unflatten", "view_as",
    "movedim", "contiguous", "clone", "copy_", "_to_copy", "to", "_copy_from", "_copy_from_and_resize",
    "set_", "resize_", "fill_", "zero_",
})
NUMPY_DOORS = ("numpy", "__array__", "tolist")  # ways out of torch into NumPy / Python numbers


# --- counting Triton launches, and telling Triton's own tensor work from the learner's ---------

_launches = [0]
_in_triton = [0]  # > 0 while Triton launches, autotunes or interprets a kernel
_watch: list = []  # the active _OpLog, if any


def _inside_triton(run, counts: bool):
    def run_in_triton(self, *args, **kwargs):
        if counts:
            _launches[0] += 1
            if _plugin._shortcuts.active and getattr(getattr(self, "fn", None), "__module__", "").startswith(
                    _plugin.REFERENCES):
                _plugin._shortcuts.reference_called()  # compiled kernels never run the swapped Python code
                raise RuntimeError("tfprep's reference kernel may not be launched by a graded submission")
        _in_triton[0] += 1
        try:
            return run(self, *args, **kwargs)
        finally:
            _in_triton[0] -= 1

    run_in_triton.__wrapped__ = run
    return run_in_triton


# Compiled (JITFunction) and interpreted kernels are launched through `run`, and so is every
# configuration an autotuner tries; Autotuner/Heuristics.run wrap them (and time them).
for _cls, _counts in ((_jit.JITFunction, True), (_interpreter.InterpretedFunction, True),
                      (_autotuner.Autotuner, False), (_autotuner.Heuristics, False)):
    if not hasattr(_cls.run, "__wrapped__"):
        _cls.run = _inside_triton(_cls.run, _counts)

if INTERPRET:
    # The interpreter has no device to time configurations on: an autotuned kernel runs its first
    # valid configuration (Triton skips benchmarking when one config is left).
    _prune = _autotuner.Autotuner.prune_configs
    _autotuner.Autotuner.prune_configs = lambda self, kwargs: _prune(self, kwargs)[:1]


def _numpy_door(name):
    original = getattr(torch.Tensor, name)

    def door(self, *args, **kwargs):
        if _watch and not _in_triton[0]:
            _watch[-1].note(f"Tensor.{name}")
        return original(self, *args, **kwargs)

    return door


for _name in NUMPY_DOORS:
    setattr(torch.Tensor, _name, _numpy_door(_name))


class _OpLog(TorchDispatchMode):
    """Records the PyTorch operators outside HOST_OPS that the learner's code runs."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        return False  # else torch wraps __torch_dispatch__ and its first call imports torch._dynamo (1.5 s)

    def __init__(self):
        super().__init__()
        self.seen: list[str] = []

    def note(self, name: str) -> None:
        if name not in self.seen:
            self.seen.append(name)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if not _in_triton[0]:
            name = func.overloadpacket.__name__
            if name not in HOST_OPS:
                self.note(f"aten.{name}")
        return func(*args, **(kwargs or {}))


def launch(fn, *args, what: str = "your function", **kwargs):
    """Call fn(*args, **kwargs); fail unless it launched a Triton kernel and left the math to it."""
    before = _launches[0]
    log = _OpLog()
    _watch.append(log)
    try:
        with log:
            result = fn(*args, **kwargs)
    finally:
        _watch.pop()
    if log.seen:
        ops = ", ".join(f"`{n}`" for n in log.seen[:4])
        C.fail(f"{what} computed outside Triton: it ran {ops}. Host code may only allocate, copy, cast "
               "and reshape tensors; the arithmetic (scores, softmax, sums, products) belongs in your Triton "
               "kernel. scaled_dot_product_attention, torch.softmax, q @ k^T and NumPy are all out.",
               NOT_A_KERNEL)
    if _launches[0] == before:
        C.fail(f"{what} launched no Triton kernel: write a @triton.jit kernel and launch it with "
               "`kernel[grid](...)`.", NOT_A_KERNEL)
    return result


# --- comparing tensors -------------------------------------------------------------------------

def to_np(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float64).numpy()


def nearest(got, outputs):
    """Of a bug's outputs for several block sizes (tensors), the one closest to `got`, as NumPy;
    None when there is none (the bug cannot show at these sizes)."""
    return C.nearest(got, [to_np(o) for o in outputs]) if outputs else None


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


def every_dtype_and_mask(shapes):
    """Parametrize a test over (shape, dtype, causal): each (B, H, N, D) shape, every dtype this
    device checks, causal and not, with ids like `37x16-float16-causal`."""
    import pytest

    cases = [(shape, dtype, causal) for shape in shapes for dtype in DTYPES for causal in (False, True)]
    ids = [f"{s[2]}x{s[3]}-{str(d)[6:]}-{'causal' if c else 'full'}" for s, d, c in cases]
    return pytest.mark.parametrize("shape,dtype,causal", cases, ids=ids)


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
