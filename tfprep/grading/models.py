"""Helpers for the PyTorch tier's hidden suites; imported only in the grading child process.

The tier grades whole nn.Modules on the CPU. Everything the learner's code does (building the
model, a forward pass, a training loop around it, `generate`) runs through `call`, which adds
to the plugin's shortcut guard a watch on PyTorch itself: a TorchFunctionMode sees every call
into torch below the Python API (an alias, `torch.ops.aten...`, the C binding), so
`scaled_dot_product_attention`, `nn.MultiheadAttention` and `nn.Transformer*` are refused with
that reason however they are reached. `deep=True` adds a TorchDispatchMode that watches the
aten kernels too (twice the cost per op, so used for single forward passes, not training).

Determinism: `setup()` fixes the seeds and one thread; inputs are cloned before the learner
sees them.
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Mapping

import numpy as np
import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from tfprep.grading import checks as C
from tfprep.grading.adam import Adam
from tfprep.grading import plugin as _plugin

REFUSED_BUILTIN = "refused: uses PyTorch's built-in attention"
# Substrings of the names of PyTorch's attention entry points: the public function, its
# backends and fast paths (nn.MultiheadAttention's and nn.TransformerEncoderLayer's).
_REFUSED_NAMES = ("scaled_dot_product", "multi_head_attention", "transformer_encoder_layer",
                  "transformer_decoder_only_layer", "flash_attention", "efficient_attention", "_fused_sdp",
                  "cudnn_attention")
_REFUSED_MODULES = (nn.MultiheadAttention, nn.Transformer, nn.TransformerEncoder, nn.TransformerDecoder,
                    nn.TransformerEncoderLayer, nn.TransformerDecoderLayer)
SEED = 0


def setup(threads: int = 1) -> None:
    """Seeds and threads for a deterministic run (call at import of every tier-2 suite)."""
    torch.manual_seed(SEED)
    torch.set_num_threads(threads)
    torch.set_default_dtype(torch.float32)


def _is_refused(name: str) -> bool:
    return any(part in name for part in _REFUSED_NAMES)


def _refuse(name: str) -> None:
    _plugin._shortcuts._refuse(
        f"your code calls PyTorch's own attention (`{name}`): in this tier the point is to write attention "
        "yourself: scores q k^T / sqrt(d_head), the mask, the softmax and the weighted sum of v. "
        "F.scaled_dot_product_attention, nn.MultiheadAttention and nn.Transformer* are refused.", REFUSED_BUILTIN)
    raise RuntimeError(f"{name} may not be used by a graded submission")


class _FunctionWatch(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", None) or str(func)
        if _is_refused(name):
            _refuse(name)
        return func(*args, **(kwargs or {}))


class _KernelWatch(TorchDispatchMode):
    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        return False  # else torch wraps __torch_dispatch__ and its first call imports torch._dynamo (1.5 s)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        if _is_refused(name):
            _refuse(f"aten.{name}")
        return func(*args, **(kwargs or {}))


def _clone(value: Any) -> Any:
    """Private copies of input tensors (a leaf that requires grad stays itself: its .grad is read)."""
    if isinstance(value, torch.Tensor) and not value.requires_grad:
        return value.detach().clone()
    if isinstance(value, (list, tuple)):
        return type(value)(_clone(v) for v in value)
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    return value


def refused_submodules(model: nn.Module) -> None:
    for name, module in model.named_modules():
        if isinstance(module, _REFUSED_MODULES):
            _plugin._shortcuts._refuse(
                f"your model contains `{name or 'itself'}`, a {type(module).__name__}: in this tier you write the "
                "attention yourself; nn.MultiheadAttention and nn.Transformer* are refused.", REFUSED_BUILTIN)
            _plugin.submission().refused()


def call(fn: Callable, *args, what: str = "your code", deep: bool = False, **kwargs) -> Any:
    """Run the learner's `fn(*args, **kwargs)` under the guards; any exception becomes a failed
    check that says what raised, where in their file."""
    sub = _plugin.submission()
    sub.refused()
    watch = contextlib.ExitStack()
    watch.enter_context(_FunctionWatch())
    if deep:
        watch.enter_context(_KernelWatch())
    return sub.call(what, fn, *_clone(args), guard=watch, **_clone(kwargs))


def build(sub: _plugin.Submission, name: str, *args, **kwargs) -> nn.Module:
    """Construct the learner's class `name` (seeded, so two builds give the same weights) and
    check that it is an nn.Module without PyTorch's attention modules inside."""
    cls = sub.attr(name)  # fails plainly when the file or the class is missing
    torch.manual_seed(SEED)
    model = call(cls, *args, what=name, **kwargs)
    if not isinstance(model, nn.Module):
        C.fail(f"`{name}(...)` returned a {type(model).__name__}; it should be a torch.nn.Module subclass.")
    refused_submodules(model)
    return model


def to_np(value: Any) -> Any:
    """A float64 NumPy copy of a tensor (anything else unchanged)."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", torch.float64).numpy()
    return value


def as_tensor(got: Any, what: str, shape: tuple | None = None, dtype: torch.dtype | None = torch.float32) -> torch.Tensor:
    """The returned value as a tensor of `shape` and `dtype`, or a plain failure."""
    if got is None:
        C.fail(f"`{what}` is None: did the method forget to `return`?")
    if not isinstance(got, torch.Tensor):
        C.fail(f"`{what}` is a {type(got).__name__}; expected a torch.Tensor.")
    if shape is not None and tuple(got.shape) != tuple(shape):
        C.fail(f"`{what}` has shape {tuple(got.shape)}, expected {tuple(shape)}.")
    if dtype is not None and got.dtype != dtype:
        C.fail(f"`{what}` has dtype {got.dtype}, expected {dtype}.")
    return got


def expect_close(got: Any, expected: torch.Tensor, *, what: str, case: str = "", rtol: float = 1e-4,
                 atol: float = 1e-5, bugs: Mapping[str, Any] | None = None, nan_causes: str | None = None) -> None:
    """`checks.expect_close` on tensors: bug candidates may be tensors or zero-argument callables
    returning tensors (evaluated only on failure)."""
    as_tensor(got, what, tuple(expected.shape), None)
    lazy = {label: (lambda c=c: to_np(c() if callable(c) else c)) for label, c in (bugs or {}).items()}
    C.expect_close(to_np(got), to_np(expected), what=what, case=case, rtol=rtol, atol=atol, bugs=lazy or None,
                   nan_causes=nan_causes)


def copy_weights(dst: nn.Module, src: nn.Module, mapping: Mapping[str, str]) -> None:
    """dst.<key>.copy_(src.<value>) for each pair of parameter names (without autograd)."""
    sp, dp = dict(src.named_parameters()), dict(dst.named_parameters())
    with torch.no_grad():
        for d_name, s_name in mapping.items():
            dp[d_name].copy_(sp[s_name])


def parameter(model: nn.Module, name: str, shape: tuple, what: str) -> nn.Parameter:
    """The learner's parameter `name` with `shape`, or a failure that names the contract."""
    params = dict(model.named_parameters())
    p = params.get(name)
    if p is None:
        have = ", ".join(list(params)[:8])
        C.fail(f"{what}: no parameter `{name}` (the statement fixes this name). Parameters found: {have}.")
    if tuple(p.shape) != tuple(shape):
        C.fail(f"{what}: `{name}` has shape {tuple(p.shape)}, expected {tuple(shape)}.")
    return p


def train(model: nn.Module, batch: Callable[[int], tuple], loss_of: Callable, *, steps: int, lr: float,
          done: Callable[[float], bool], what: str = "training") -> tuple[int | None, float]:
    """Adam on `model` for at most `steps` steps (batch(step) -> inputs; loss_of(model, *inputs)
    -> scalar loss), stopping once done(loss) holds. Returns (steps used or None, last loss).
    The whole loop runs as the learner's code (their forward is inside it)."""
    def loop():
        torch.manual_seed(SEED)
        opt = Adam(model.parameters(), lr=lr)
        model.train()
        loss_value = float("nan")
        for step in range(1, steps + 1):
            loss = loss_of(model, *batch(step))
            loss_value = float(loss.detach())
            if not np.isfinite(loss_value):
                return None, loss_value
            if done(loss_value):
                return step, loss_value
            opt.zero_grad()
            loss.backward()
            opt.step()
        return None, loss_value

    return call(loop, what=what)
