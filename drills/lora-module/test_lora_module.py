"""Hidden suite for the `lora-module` drill. Never copied into the learner's workspace.

The suite builds its own nn.Linear bases (seeded generators), wraps them with the learner's
`LoRALinear(base, r, alpha)` and checks the contract: the base kept (the same object) and frozen,
A (r, in) random and B (out, r) zero, r * (in + out) trainable numbers, the output
base(x) + (alpha / r) x A^T B^T, gradients, a short training run that moves only A and B, and
`merge()`. Expected values are the formula computed in float64 from the module's own weights;
each known bug is that formula with one knob turned, on the same weights. alpha and r are chosen
so that alpha / r, alpha, r / alpha, 1 and alpha // r mostly differ (a wrong scale that equals
alpha / r in a case is left out of that case's candidates).
"""
from tfprep.grading import models as M  # noqa: I001

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tfprep.grading import checks as C

M.setup()

CLS = "LoRALinear"

# --- the classic bugs ---------------------------------------------------------------------------

B_RANDOM = "B initialised randomly: B must start at zero so that a fresh adapter is the base layer"
A_ZERO = "A initialised to zero as well as B: no gradient reaches either, so the adapter never trains"
INIT_SWAPPED = "initialisations swapped: A zero and B random (LoRA: A random, B zero)"
SWAPPED = ("A and B swapped: A must be the random down-projection (r, in_features), B the zero "
           "up-projection (out_features, r)")
TRANSPOSED = ("A and B stored transposed (row-vector layout): A must be (r, in_features) and B "
              "(out_features, r), used as x A^T B^T")
NOT_FROZEN = "base not frozen: base.weight and base.bias must have requires_grad=False"
SCALE_ALPHA = "scale alpha instead of alpha / r"
SCALE_NONE = "scaling missing (the update must be multiplied by alpha / r)"
SCALE_INV = "scale inverted: r / alpha instead of alpha / r"
SCALE_FLOOR = "alpha // r: integer division truncates the scale"
SCALE_BASE = "alpha / r applied to the base output too (only the low-rank update is scaled)"
BASE_MISSING = "base output left out: the result is base(x) plus the update"
BIAS_DROPPED = "bias dropped: base.bias must be in the output (once) and kept by merge()"
BIAS_TWICE = "bias added twice: base(x) already contains base.bias"
MERGE_NO_SCALE = "merge without the scale: the merged weight must be W + (alpha / r) B A, not W + B A"
MERGE_UPDATE_ONLY = "merge returns the update alone: the merged weight is W plus (alpha / r) B A"
MERGE_IN_PLACE = "merge() folded the update into base in place: the LoRALinear then adds the update twice"


# --- inputs -------------------------------------------------------------------------------------

def make_base(seed: int, d_in: int, d_out: int, bias: bool = True) -> nn.Linear:
    """An nn.Linear with seeded weights ~ N(0, 1/in) and a bias ~ N(0, 0.25) large enough to see."""
    g = torch.Generator().manual_seed(seed)
    base = nn.Linear(d_in, d_out, bias=bias)
    with torch.no_grad():
        base.weight.copy_(torch.randn(d_out, d_in, generator=g) / d_in ** 0.5)
        if bias:
            base.bias.copy_(0.5 * torch.randn(d_out, generator=g))
    return base


def randn(seed: int, *shape: int, scale: float = 1.0, dtype=torch.float32) -> torch.Tensor:
    return (scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)).to(dtype)


def adapter(model: nn.Module, d_in: int, d_out: int, r: int) -> tuple[nn.Parameter, nn.Parameter]:
    """The learner's A and B: registered parameters with the contract's names and shapes, or a
    failure that says which layout they have instead."""
    params = dict(model.named_parameters())
    for name, shape in (("A", (r, d_in)), ("B", (d_out, r))):
        if name not in params:
            plain = getattr(model, name, None)
            why = (f"`self.{name}` is a plain {type(plain).__name__}: wrap it in nn.Parameter so that it is "
                   "registered, trained and counted" if isinstance(plain, torch.Tensor) else
                   f"there is no attribute `{name}` on the module; A and B are nn.Parameters set on the LoRALinear "
                   "itself (`self.A = nn.Parameter(...)`), not the weights of submodules")
            found = ", ".join(params) or "none"
            C.fail(f"no parameter named `{name}` (expected shape {shape}): {why}. Parameters found: {found}.")
    A, B = params["A"], params["B"]
    sa, sb = tuple(A.shape), tuple(B.shape)
    if (sa, sb) == ((r, d_in), (d_out, r)):
        return A, B
    have = f"A has shape {sa} and B {sb} for in_features={d_in}, out_features={d_out}, r={r}"
    if (sa, sb) == ((d_out, r), (r, d_in)):
        C.fail(f"{have}: these are each other's shapes. A (r, in) maps x down to r numbers and is random; "
               "B (out, r) maps them up to out_features and starts at zero.", SWAPPED)
    if (sa, sb) == ((d_in, r), (r, d_out)):
        C.fail(f"{have}: the transposes of the contract. Store them like nn.Linear weights, A (r, in) and "
               "B (out, r), and compute x @ A.T @ B.T.", TRANSPOSED)
    C.fail(f"{have}; expected A ({r}, {d_in}) and B ({d_out}, {r}).")


def build(sub, base: nn.Linear, r: int, alpha):
    model = M.build(sub, CLS, base, r, alpha)
    A, B = adapter(model, base.in_features, base.out_features, r)
    return model, A, B


def set_adapter(A: torch.Tensor, B: torch.Tensor, seed: int) -> None:
    """Known random A and B, sized so that x A^T B^T is about as large as base(x)."""
    r, d_in = A.shape
    with torch.no_grad():
        A.copy_(randn(seed, *A.shape, scale=d_in ** -0.5, dtype=A.dtype))
        B.copy_(randn(seed + 1, *B.shape, scale=r ** -0.5, dtype=B.dtype))


def snapshot(base: nn.Linear, A: torch.Tensor, B: torch.Tensor) -> dict:
    """float64 copies of W, b, A, B (the suite compares against copies it keeps)."""
    b = None if base.bias is None else base.bias.detach().double().clone()
    return {"W": base.weight.detach().double().clone(), "b": b, "A": A.detach().double().clone(),
            "B": B.detach().double().clone()}


# --- the formula and its bugs (float64) ---------------------------------------------------------

def lora_out(x, w, *, scale, bias_times=1, base_scale=1.0, W_delta=None):
    """base_scale * (x (W + W_delta)^T + bias_times * b) + scale * x A^T B^T, from the float64 copies w."""
    x = x.detach().double()
    W = w["W"] if W_delta is None else w["W"] + W_delta
    base = x @ W.T  # (..., out)
    if w["b"] is not None:
        base = base + bias_times * w["b"]
    return base_scale * base + scale * ((x @ w["A"].T) @ w["B"].T)  # (..., r) -> (..., out)


def scales(alpha, r) -> dict:
    """The wrong scales a learner may use, where they differ from alpha / r."""
    s = alpha / r
    wrong = {SCALE_ALPHA: alpha, SCALE_NONE: 1.0, SCALE_INV: r / alpha, SCALE_FLOOR: alpha // r}
    return {label: v for label, v in wrong.items() if abs(v - s) > 1e-9}


def forward_bugs(x, w, alpha, r) -> dict:
    s = alpha / r
    bugs = {label: (lambda v=v: lora_out(x, w, scale=v)) for label, v in scales(alpha, r).items()}
    bugs[SCALE_BASE] = lambda: lora_out(x, w, scale=s, base_scale=s)
    bugs[BASE_MISSING] = lambda: lora_out(x, w, scale=s, base_scale=0.0)
    if w["b"] is not None:
        bugs[BIAS_DROPPED] = lambda: lora_out(x, w, scale=s, bias_times=0)
        bugs[BIAS_TWICE] = lambda: lora_out(x, w, scale=s, bias_times=2)
    return bugs


def fresh_bugs(x, w, s) -> dict:
    """What a fresh adapter returns with B initialised randomly, or with the bias dropped or doubled."""
    bugs = {B_RANDOM: lambda: lora_out(x, w, scale=s)}
    if w["b"] is not None:
        bugs[BIAS_DROPPED] = lambda: lora_out(x, w, scale=s, bias_times=0)
        bugs[BIAS_TWICE] = lambda: lora_out(x, w, scale=s, bias_times=2)
    return bugs


def merged_weight_bugs(w, alpha, r) -> dict:
    BA = w["B"] @ w["A"]  # (out, r) @ (r, in) -> (out, in)
    s = alpha / r
    bugs = {label: (lambda v=v: w["W"] + v * BA) for label, v in scales(alpha, r).items()}
    bugs[MERGE_NO_SCALE] = bugs.pop(SCALE_NONE)  # in merge() the missing scale has its own name
    bugs[MERGE_UPDATE_ONLY] = lambda: s * BA
    bugs[SCALE_BASE] = lambda: s * (w["W"] + BA)
    return bugs


def forward(model, x, what="forward(x)"):
    return M.call(model, x, what=what)


# --- checks -------------------------------------------------------------------------------------

@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_keeps_the_base_frozen(sub, bias):
    """Keeps `base` itself, unchanged, with weight and bias frozen"""
    base = make_base(1, 12, 9, bias)
    before = copy.deepcopy(base)
    model, A, B = build(sub, base, 3, 6)
    kept = getattr(model, "base", None)
    if kept is not base:
        what = ("a copy of it" if isinstance(kept, nn.Linear) else
                "nothing" if kept is None else f"a {type(kept).__name__}")
        C.fail(f"`self.base` is {what}, not the nn.Linear passed in: keep the caller's module itself "
               "(`self.base = base`), so that the adapter wraps the model's layer and not a copy.")
    C.expect(torch.equal(base.weight, before.weight) and (not bias or torch.equal(base.bias, before.bias)),
             "constructing LoRALinear changed base's values: the base layer must be kept as it is "
             "(freeze it, do not re-initialise it).")
    thawed = [name for name, p in base.named_parameters() if p.requires_grad]
    C.expect(not thawed, f"base.{' and base.'.join(thawed)} still require{'s' if len(thawed) == 1 else ''} grad "
             "after LoRALinear(base, r, alpha): "
             "freeze the base, bias included (`base.requires_grad_(False)`).", NOT_FROZEN)
    for name, p in (("A", A), ("B", B)):
        C.expect(isinstance(p, nn.Parameter) and p.requires_grad,
                 f"`{name}` has requires_grad=False: A and B are what LoRA trains.")


def test_trainable_parameter_count(sub):
    """Trainable parameters: exactly A and B, r * (in + out) numbers"""
    d_in, d_out, r = 20, 14, 4
    base = make_base(2, d_in, d_out)
    model, A, B = build(sub, base, r, 8)
    trainable = {name: p.numel() for name, p in model.named_parameters() if p.requires_grad}
    n, want = sum(trainable.values()), r * (d_in + d_out)
    if n == want and set(trainable) == {"A", "B"}:
        return
    listed = ", ".join(f"{k} ({v})" for k, v in trainable.items()) or "none"
    frozen_missing = any(k.startswith("base.") for k in trainable)
    C.fail(f"{n} trainable numbers (parameters with requires_grad: {listed}); expected r * (in + out) = "
           f"{r} * ({d_in} + {d_out}) = {want}, all in A and B"
           + (": the base's in * out (+ out) numbers are still trainable." if frozen_missing else "."),
           NOT_FROZEN if frozen_missing else None)


def init_problem(A: torch.Tensor, B: torch.Tensor) -> tuple[str, str] | None:
    """(message, bug) when A and B are not initialised as LoRA says (A random, B zero), else None."""
    a_zero, b_zero = not torch.any(A != 0), not torch.any(B != 0)
    if not b_zero and a_zero:
        return (f"B has {int(torch.count_nonzero(B))} non-zero entries of {B.numel()} after construction while A "
                "is all zero: the two initialisations are swapped. A (r, in) is the random one, B (out, r) the "
                "zero one.", INIT_SWAPPED)
    if not b_zero:
        return (f"B has {int(torch.count_nonzero(B))} non-zero entries of {B.numel()} after construction: LoRA "
                "initialises B to zero (and A randomly), so that the adapted layer starts as the base layer "
                "exactly.", B_RANDOM)
    if a_zero:
        return ("A is all zero as well as B: then the gradient of A is proportional to B and that of B to A, "
                "both zero, and the adapter never moves. Initialise A randomly (kaiming_uniform_ or normal).",
                A_ZERO)
    return None


def test_initialisation(sub):
    """B starts at zero and A is random (not zero)"""
    base = make_base(3, 16, 10)
    model, A, B = build(sub, base, 4, 8)
    problem = init_problem(A, B)
    if problem:
        C.fail(*problem)
    C.expect(torch.unique(A).numel() > 1, f"every entry of A equals {float(A.flatten()[0]):.4g}: A should be "
             "random (kaiming_uniform_(a=sqrt(5)) as PEFT does, or a normal), so that its r rows differ.")


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_initial_output_is_the_base(sub, bias):
    """A fresh adapter's output equals base(x)"""
    base = make_base(4, 16, 10, bias)
    reference = copy.deepcopy(base)
    model, A, B = build(sub, base, 4, 10)
    w = snapshot(reference, A, B)
    x = randn(104, 2, 5, 16)
    got = forward(model, x)
    M.as_tensor(got, "forward(x)", (2, 5, 10), torch.float32)
    with torch.no_grad():
        want = reference(x)
    M.expect_close(got, want, what="forward(x) of a fresh LoRALinear",
                   case="A random, B zero: the update x A^T B^T is zero, so the output is base(x)",
                   rtol=1e-6, atol=1e-6, bugs=fresh_bugs(x, w, 10 / 4))


FORWARD_CASES = [  # seed, leading axes of x, in, out, r, alpha, bias
    (10, (6,), 16, 12, 4, 10, True),  # 2-D x
    (11, (2, 5), 12, 20, 3, 8, True),  # 3-D x
    (12, (3,), 10, 6, 2, 5.0, False),  # 2-D, no bias, float alpha
    (13, (2, 4), 8, 14, 6, 3, False),  # 3-D, no bias, alpha < r
    (14, (), 9, 7, 3, 16, True),  # a single vector
    (15, (2, 2, 3), 6, 10, 2, 7, True),  # 4-D
]


@pytest.mark.parametrize("seed,lead,d_in,d_out,r,alpha,bias", FORWARD_CASES)
def test_forward_matches_formula(sub, seed, lead, d_in, d_out, r, alpha, bias):
    """With A and B set, forward(x) = base(x) + (alpha / r) x A^T B^T"""
    model, A, B = build(sub, make_base(seed, d_in, d_out, bias), r, alpha)
    set_adapter(A, B, seed + 100)
    w = snapshot(model.base, A, B)
    x = randn(seed + 200, *lead, d_in)
    got = forward(model, x)
    M.as_tensor(got, "forward(x)", (*lead, d_out), torch.float32)
    M.expect_close(got, lora_out(x, w, scale=alpha / r), what="forward(x)",
                   case=f"x {tuple(x.shape)}, in={d_in}, out={d_out}, r={r}, alpha={alpha!r}, "
                        f"{'with' if bias else 'without'} bias",
                   bugs=forward_bugs(x, w, alpha, r))


def test_float64(sub):
    """After model.double(), float64 input gives the formula to float64 precision"""
    model, A, B = build(sub, make_base(16, 10, 8), 2, 6)
    set_adapter(A, B, 116)
    M.call(model.double, what="model.double()")
    A, B = adapter(model, 10, 8, 2)
    w = snapshot(model.base, A, B)
    x = randn(216, 4, 10, dtype=torch.float64)
    got = forward(model, x)
    M.as_tensor(got, "forward(x) after model.double()", (4, 8), torch.float64)
    M.expect_close(got, lora_out(x, w, scale=3.0), what="forward(x) in float64", case="model.double(), x float64",
                   rtol=1e-10, atol=1e-12, bugs=forward_bugs(x, w, 6, 2))


def test_gradients(sub):
    """Gradients reach B at once and A after one step on B; none reach the base"""
    d_in, d_out, r, alpha = 10, 7, 3, 6
    model, A, B = build(sub, make_base(17, d_in, d_out), r, alpha)
    problem = init_problem(A, B)
    if problem:  # this check starts from LoRA's initialisation
        C.fail("the gradient check starts from A random, B zero. " + problem[0], problem[1])
    x, g = randn(117, 5, d_in), randn(118, 5, d_out)
    step_B = randn(119, d_out, r, scale=r ** -0.5)  # what one step moves B by

    def two_backward_passes():
        grads = []
        for step in range(2):
            for p in model.parameters():
                p.grad = None
            (model(x) * g).sum().backward()  # dL/d out = g
            grads.append({name: None if p.grad is None else p.grad.detach().clone()
                          for name, p in model.named_parameters()})
            if step == 0:
                with torch.no_grad():
                    B.add_(step_B)  # B no longer zero: now A gets a gradient too
        return grads

    first, second = M.call(two_backward_passes, what="forward(x) and loss.backward()")
    for grads in (first, second):
        reached = [name for name, gr in grads.items() if name.startswith("base.") and gr is not None]
        C.expect(not reached, f"{', '.join(reached)} received a gradient: the base must be frozen "
                 "(requires_grad=False), so backward never computes one for it.", NOT_FROZEN)
    s = alpha / r
    A0 = A.detach().double()
    B1 = B.detach().double()  # after the step
    x64, g64 = x.double(), g.double()
    for name, grads in (("A", first), ("B", first), ("A", second), ("B", second)):
        C.expect(grads.get(name) is not None, f"`{name}` received no gradient: is it an nn.Parameter with "
                 "requires_grad=True, used in forward?")
    # dL/dB = s g^T (x A^T) (out, r); dL/dA = s (g B)^T x (r, in)
    C.expect(not torch.any(first["A"] != 0), "at B = 0 the gradient of A must be zero (it is proportional to B); "
             f"got max |dA| = {float(first['A'].abs().max()):.3g}. Does forward use B as initialised?")
    M.expect_close(first["B"], s * g64.T @ (x64 @ A0.T), what="B.grad at initialisation",
                   case="loss = sum(forward(x) * g), B = 0: dL/dB = (alpha/r) g^T (x A^T)",
                   bugs={label: (lambda v=v: v * g64.T @ (x64 @ A0.T)) for label, v in scales(alpha, r).items()})
    C.expect(torch.any(second["A"] != 0), "after one step on B, A still gets a zero gradient: A must multiply x "
             "before B (x A^T B^T), so that dL/dA = (alpha/r) (g B)^T x.")
    M.expect_close(second["A"], s * (g64 @ B1).T @ x64, what="A.grad once B is non-zero",
                   case="loss = sum(forward(x) * g) after B moved: dL/dA = (alpha/r) (g B)^T x",
                   bugs={label: (lambda v=v: v * (g64 @ B1).T @ x64) for label, v in scales(alpha, r).items()})


# Adam steps. To reach 10% of the starting loss at lr 1e-2 the reference needs 44; the correct cases
# 43-45; A ~ N(0, 1) (torch.randn, the largest init a learner is likely to write) 118.
TRAIN_BUDGET = 300
TRAIN_LR = 1e-2


def test_training_moves_only_the_adapter(sub):
    """Training on a regression target lowers the loss and moves only A and B"""
    d_in, d_out, r = 16, 12, 4
    base = make_base(18, d_in, d_out)
    model, A, B = build(sub, base, r, 8)
    w0 = snapshot(base, A, B)
    x = randn(118, 64, d_in)
    U, V = randn(119, d_out, r, scale=0.5), randn(120, r, d_in, scale=0.25)
    with torch.no_grad():
        delta = x @ V.T @ U.T  # (64, out): a rank-r change of the layer, which A and B can represent
        y = base(x) + delta
    start = float((delta ** 2).mean())
    target = 0.1 * start
    steps, loss = M.train(model, lambda step: (), lambda m: F.mse_loss(m(x), y), steps=TRAIN_BUDGET, lr=TRAIN_LR,
                          done=lambda value: value < target, what="training (forward and backward)")
    moved = [name for name, now in (("weight", base.weight), ("bias", base.bias))
             if not torch.equal(now.detach().double(), w0["W" if name == "weight" else "b"])]
    C.expect(not moved, f"base.{' and base.'.join(moved)} changed during training: the optimiser was given the "
             "base's parameters with requires_grad=True. Freeze the base; only A and B may train.", NOT_FROZEN)
    for name, p in (("A", A), ("B", B)):
        C.expect(not torch.equal(p.detach().double(), w0[name]), f"`{name}` did not change in {TRAIN_BUDGET} Adam "
                 "steps: is it a trainable nn.Parameter used in forward?")
    C.expect(steps is not None, f"MSE loss {loss:.4g} after {TRAIN_BUDGET} Adam steps (lr {TRAIN_LR}); started at "
             f"{start:.4g}, expected below {target:.4g}: the target is base(x) plus a rank-{r} change, which "
             "A and B can represent exactly. Check the forward formula and that A and B are the trained parameters.")


MERGE_CASES = [(20, 16, 12, 4, 10, True), (21, 9, 14, 3, 8, False)]


def merged_linear(model, d_in, d_out):
    merged = M.call(model.merge, what="merge()")
    if not isinstance(merged, nn.Linear):
        C.fail(f"merge() returned a {type(merged).__name__}; expected an nn.Linear with the update folded in.")
    C.expect((merged.in_features, merged.out_features) == (d_in, d_out),
             f"merge() returned nn.Linear({merged.in_features}, {merged.out_features}); expected "
             f"nn.Linear({d_in}, {d_out}), the base's shape.")
    return merged


@pytest.mark.parametrize("seed,d_in,d_out,r,alpha,bias", MERGE_CASES, ids=["bias", "no-bias"])
def test_merge_weight(sub, seed, d_in, d_out, r, alpha, bias):
    """merge() returns an nn.Linear with weight W + (alpha / r) B A and the base's bias"""
    model, A, B = build(sub, make_base(seed, d_in, d_out, bias), r, alpha)
    set_adapter(A, B, seed + 100)
    w = snapshot(model.base, A, B)
    merged = merged_linear(model, d_in, d_out)
    weight = M.as_tensor(merged.weight, "merge().weight", (d_out, d_in), torch.float32)
    M.expect_close(weight, w["W"] + (alpha / r) * (w["B"] @ w["A"]), what="merge().weight",
                   case=f"in={d_in}, out={d_out}, r={r}, alpha={alpha}", bugs=merged_weight_bugs(w, alpha, r))
    if bias:
        C.expect(merged.bias is not None, "merge() returned an nn.Linear without a bias although the base has one: "
                 "the merged layer keeps base.bias.", BIAS_DROPPED)
        M.expect_close(merged.bias, w["b"], what="merge().bias", case="the bias is not part of the update",
                       bugs={BIAS_TWICE: 2 * w["b"], BIAS_DROPPED: torch.zeros_like(w["b"])})
    else:
        C.expect(merged.bias is None or not torch.any(merged.bias != 0),
                 "merge() returned a non-zero bias for a base without one (nn.Linear's default bias left "
                 "in place?): build it with bias=False when base.bias is None.")


@pytest.mark.parametrize("seed,d_in,d_out,r,alpha,bias", MERGE_CASES, ids=["bias", "no-bias"])
def test_merged_equals_unmerged(sub, seed, d_in, d_out, r, alpha, bias):
    """The merged nn.Linear gives the same output as the LoRALinear"""
    model, A, B = build(sub, make_base(seed + 10, d_in, d_out, bias), r, alpha)
    set_adapter(A, B, seed + 110)
    w = snapshot(model.base, A, B)
    x = randn(seed + 210, 3, 4, d_in)
    unmerged = M.as_tensor(forward(model, x), "forward(x)", (3, 4, d_out))
    merged = merged_linear(model, d_in, d_out)
    got = M.call(merged, x, what="merge()(x)")
    s, BA = alpha / r, w["B"] @ w["A"]
    # what merge()(x) gives when the merged weight is W + v B A for a wrong v, or (alpha / r) B A alone
    bugs = {(MERGE_NO_SCALE if label == SCALE_NONE else label):
            (lambda v=v: lora_out(x, w, scale=0.0, W_delta=v * BA)) for label, v in scales(alpha, r).items()}
    bugs[MERGE_UPDATE_ONLY] = lambda: lora_out(x, w, scale=0.0, W_delta=s * BA - w["W"])
    M.expect_close(got, unmerged, what="merge()(x)",
                   case=f"x {tuple(x.shape)}: compared with forward(x) before merging", bugs=bugs)


def test_merge_leaves_the_module_working(sub):
    """merge() leaves the LoRALinear unchanged: it keeps its output, base, A and B"""
    d_in, d_out, r, alpha = 12, 9, 3, 9
    model, A, B = build(sub, make_base(22, d_in, d_out), r, alpha)
    set_adapter(A, B, 122)
    w = snapshot(model.base, A, B)
    x = randn(222, 6, d_in)
    before = M.as_tensor(forward(model, x), "forward(x)", (6, d_out))
    merged_linear(model, d_in, d_out)
    A2, B2 = adapter(model, d_in, d_out, r)
    now = snapshot(model.base, A2, B2)
    s, BA = alpha / r, w["B"] @ w["A"]
    if not torch.equal(now["W"], w["W"]):
        C.fail("merge() changed base.weight: the statement asks for a new nn.Linear and the LoRALinear left as it "
               "was (it still adds its own update, so the update would count twice).",
               MERGE_IN_PLACE if torch.allclose(now["W"], w["W"] + s * BA, rtol=1e-4, atol=1e-5) else None)
    C.expect(torch.equal(now["A"], w["A"]) and torch.equal(now["B"], w["B"]),
             "merge() changed A or B: it must leave the LoRALinear as it was (build the merged layer from them, "
             "do not reset them).")
    after = forward(model, x, "forward(x) after merge()")
    M.expect_close(after, before, what="forward(x) after merge()", case="the same x before and after merge()",
                   bugs={MERGE_IN_PLACE: lambda: lora_out(x, w, scale=s, W_delta=s * BA)})
