"""Hidden suite for the `mha-module` drill (PyTorch tier). Never copied into the learner's workspace.

The learner's MultiHeadAttention is built (seeded), then the suite writes its own random values
into `qkv` and `proj`, so no check depends on the learner's initialisation and the scores are of
order 1, where every classic bug moves the output well beyond the tolerance. The expected output
is computed from those same weights with F.scaled_dot_product_attention in float64; expected
gradients are the reference's (tfprep.content.reference_impls.mha_module) with the learner's weights copied in.

Diagnosis: `attend` below writes attention out in float64 with one knob per classic bug; each
bug is emulated on the learner's own weights and inputs and named only when it is the unique
best explanation of what came back (checks.unique_best).
"""
from tfprep.grading import models as M  # noqa: I001

import math

import pytest
import torch
import torch.nn.functional as F

from tfprep.content.reference_impls.mha_module import MultiHeadAttention as Reference
from tfprep.grading import checks as C

M.setup()

CLASS = "MultiHeadAttention"
SHAPES = {"qkv.weight": lambda d: (3 * d, d), "qkv.bias": lambda d: (3 * d,),
          "proj.weight": lambda d: (d, d), "proj.bias": lambda d: (d,)}

# --- the classic bugs (labels the report shows) ----------------------------------------------

NO_SCALE = "scores not scaled by 1/sqrt(d_head)"
SQRT_D_MODEL = "scores scaled by 1/sqrt(d_model) instead of 1/sqrt(d_head)"
SPLIT_NO_T = ("heads split by reshaping (B, T, C) straight to (B, H, T, d_head) without a transpose "
              "(tokens and heads mixed)")
MERGE_NO_T = "heads merged by reshaping (B, H, T, d_head) straight to (B, T, C) without transposing back"
QKV_ORDER = "q, k and v taken from the wrong thirds of qkv (its output columns are q, then k, then v)"
QKV_PER_HEAD = ("qkv read per head as (H, 3, d_head) (the Megatron / GPT-NeoX layout) instead of "
                "q | k | v, each split into heads (nanoGPT's c_attn)")
DIAG_HIDDEN = ("causal mask off by one: the diagonal is hidden, so query t cannot see token t (query 0 is left "
               "with no key at all: NaN with a -inf fill, attention to every token with a finite fill)")
SEES_NEXT = "causal mask off by one: query t also sees token t+1"
NO_MASK = "causal=True ignored: no causal mask applied"
MASK_NOT_CAUSAL = "causal mask applied although causal=False"
SOFTMAX_DIM = "softmax over the query axis (dim=-2) instead of the key axis (dim=-1)"
NAIVE_SOFTMAX = "softmax written as exp(s) / sum(exp(s)) without subtracting the row max (exp overflows)"

NAN_CAUSES = ("a causal mask that hides the diagonal (query 0 then has no key left, and a softmax over nothing "
              "but -inf is 0/0 = NaN), exp overflowing in a softmax that does not subtract the row max, or "
              "output that was never written")


def attend(w, x, H, *, mask=None, scale="dh", split="transpose", merge="transpose", order="qkv",
           layout="3Hd", fill=float("-inf"), additive=False, softmax_dim=-1, naive=False):
    """Self-attention with the weights `w` (name -> tensor) in float64, one knob per classic bug.

    mask: None (no mask) or an offset o: query t may see keys j <= t + o (0 is the causal mask).
    order: what the three thirds of qkv are used as (the correct "qkv"; "kqv" reads k first).
    layout: "3Hd" (q | k | v, each split into heads) or "H3d" (each head's q, k, v side by side)."""
    x = x.to(torch.float64)  # not detached: `grads_of` differentiates through it
    B, T, Cm = x.shape
    dh = Cm // H
    z = F.linear(x, w["qkv.weight"].to(torch.float64), w["qkv.bias"].to(torch.float64))  # (B, T, 3C)
    if layout == "3Hd":
        thirds = z.split(Cm, dim=-1)  # each (B, T, C)
        q, k, v = (thirds[order.index(c)] for c in "qkv")
        if split == "transpose":
            q, k, v = (t.reshape(B, T, H, dh).transpose(1, 2) for t in (q, k, v))  # (B, H, T, dh)
        else:
            q, k, v = (t.reshape(B, H, T, dh) for t in (q, k, v))  # (B, H, T, dh), tokens and heads mixed
    else:
        q, k, v = z.reshape(B, T, H, 3, dh).transpose(1, 2).unbind(3)  # each (B, H, T, dh)
    att = q @ k.transpose(-2, -1) / {"dh": math.sqrt(dh), "none": 1.0, "d_model": math.sqrt(Cm)}[scale]
    if mask is not None:
        t = torch.arange(T)
        hidden = t[None, :] > t[:, None] + mask  # (T, T): key j hidden from query t
        att = att + hidden * fill if additive else att.masked_fill(hidden, fill)
    if naive:  # what a float32 exp without max-subtraction gives
        e = att.to(torch.float32).exp()
        att = (e / e.sum(softmax_dim, keepdim=True)).to(torch.float64)
    else:
        att = att.softmax(softmax_dim)
    y = att @ v  # (B, H, T, dh)
    y = y.transpose(1, 2).reshape(B, T, Cm) if merge == "transpose" else y.reshape(B, T, Cm)  # (B, T, C)
    return F.linear(y, w["proj.weight"].to(torch.float64), w["proj.bias"].to(torch.float64))


def bug_variants(causal):
    """label -> the ways of writing that bug (knobs of `attend`), on top of the correct mask."""
    base = {"mask": 0 if causal else None}
    v = {
        NO_SCALE: [dict(scale="none")],
        SQRT_D_MODEL: [dict(scale="d_model")],
        SPLIT_NO_T: [dict(split="view"), dict(split="view", merge="view")],
        MERGE_NO_T: [dict(merge="view")],
        QKV_ORDER: [dict(order=o) for o in ("kqv", "qvk", "vkq", "kvq", "vqk")],
        QKV_PER_HEAD: [dict(layout="H3d")],
        SOFTMAX_DIM: [dict(softmax_dim=-2)],
        NAIVE_SOFTMAX: [dict(naive=True)],
    }
    if causal:
        v[DIAG_HIDDEN] = [dict(mask=-1), dict(mask=-1, fill=-1e9), dict(mask=-1, fill=-1e9, additive=True)]
        v[SEES_NEXT] = [dict(mask=1)]
        v[NO_MASK] = [dict(mask=None)]
    else:
        v[MASK_NOT_CAUSAL] = [dict(mask=0)]
    return {label: [{**base, **knobs} for knobs in ways] for label, ways in v.items()}


def known_bugs(got, w, x, H, causal, pick=lambda out: out):
    """Lazily computed outputs of each classic bug on these weights and inputs (the variant
    closest to `got`), passed as `bugs=`."""
    g = M.to_np(got)

    def nearest(ways):
        return C.nearest(g, [M.to_np(pick(attend(w, x, H, **knobs))) for knobs in ways])

    return {label: (lambda ways=ways: nearest(ways)) for label, ways in bug_variants(causal).items()}


# --- helpers ---------------------------------------------------------------------------------

def gen(seed):
    return torch.Generator().manual_seed(seed)


def build(sub, d, H, causal=None):
    """The learner's model; causal=None leaves the argument to its default."""
    if causal is None:
        return M.build(sub, CLASS, d, H)
    return M.build(sub, CLASS, d, H, causal=causal)


def set_weights(model, d, seed, dtype=torch.float32):
    """Write random weights (std 1/sqrt(d)) and biases (std 0.5) into the learner's qkv and proj;
    returns name -> a float64 copy of them."""
    g = gen(1000 + seed)
    with torch.no_grad():
        for name, shape in SHAPES.items():
            p = M.parameter(model, name, shape(d), CLASS)
            scale = 1 / math.sqrt(d) if name.endswith("weight") else 0.5
            p.copy_((torch.randn(shape(d), generator=g, dtype=torch.float64) * scale).to(dtype))
    return {name: p.detach().to(torch.float64).clone() for name, p in model.named_parameters() if name in SHAPES}


def sdpa(w, x, H, causal):
    """The expected output: F.scaled_dot_product_attention on the learner's weights, in float64."""
    x = x.detach().to(torch.float64)
    B, T, Cm = x.shape
    q, k, v = F.linear(x, w["qkv.weight"], w["qkv.bias"]).split(Cm, dim=-1)
    q, k, v = (t.reshape(B, T, H, Cm // H).transpose(1, 2) for t in (q, k, v))
    y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    return F.linear(y.transpose(1, 2).reshape(B, T, Cm), w["proj.weight"], w["proj.bias"])


def close(got, want, *, what, case, bugs=None, rtol=1e-4, atol=1e-5):
    M.expect_close(got, want, what=what, case=case, rtol=rtol, atol=atol, bugs=bugs, nan_causes=NAN_CAUSES)


def describe(d, H, causal, x):
    return f"MultiHeadAttention({d}, {H}, causal={causal}), x {tuple(x.shape)} {str(x.dtype).removeprefix('torch.')}"


def forward(model, x, deep=False):
    return M.call(model, x, what="forward(x)", deep=deep)


def check_forward(sub, B, T, d, H, causal, seed, scale=1.5, rtol=1e-4, atol=1e-5, deep=False):
    model = build(sub, d, H, causal)
    w = set_weights(model, d, seed)
    x = torch.randn(B, T, d, generator=gen(seed)) * scale
    got = forward(model, x, deep=deep)
    close(got, sdpa(w, x, H, causal), what="forward(x)", case=describe(d, H, causal, x), rtol=rtol, atol=atol,
          bugs=known_bugs(got, w, x, H, causal))


# (B, T, d_model, n_heads): one head, d_model / 2 heads (d_head = 2), B = 1 and T = 1
CONFIGS = [(2, 7, 32, 4), (1, 5, 16, 1), (3, 6, 16, 8), (2, 9, 24, 3), (1, 1, 16, 4)]


# --- the contract --------------------------------------------------------------------------------

def test_parameters(sub):
    """`qkv` and `proj` have the statement's parameter names and shapes, and there are no others"""
    for d, H in ((32, 4), (24, 3)):
        model = build(sub, d, H)
        for name, shape in SHAPES.items():
            M.parameter(model, name, shape(d), f"{CLASS}({d}, {H})")
        extra = [name for name, _ in model.named_parameters() if name not in SHAPES]
        C.expect(not extra, f"{CLASS}({d}, {H}) has parameters beyond qkv.weight, qkv.bias, proj.weight and "
                 f"proj.bias: {', '.join(extra)}. A fixed causal mask is not learned: register it with "
                 "self.register_buffer(...) (or build it in forward), and the scale 1/sqrt(d_head) is a number.")


@pytest.mark.parametrize("B,T,d,H,causal", [(2, 7, 32, 4, False), (1, 5, 16, 1, True), (3, 6, 16, 8, False),
                                            (2, 9, 24, 3, True), (1, 1, 16, 4, True), (1, 1, 16, 8, False)])
def test_shape_and_dtype(sub, B, T, d, H, causal):
    """forward(x) returns (B, T, d_model) in float32 for float32 x"""
    model = build(sub, d, H, causal)
    set_weights(model, d, seed=B * 100 + T)
    x = torch.randn(B, T, d, generator=gen(B * 100 + T))
    got = forward(model, x)
    M.as_tensor(got, f"forward(x) for {describe(d, H, causal, x)}", (B, T, d), torch.float32)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("B,T,d,H", CONFIGS)
def test_matches_sdpa(sub, B, T, d, H, causal):
    """The output equals attention computed from your own qkv and proj weights"""
    check_forward(sub, B, T, d, H, causal, seed=10 * B + T + 7 * H + causal, deep=True)


def test_float64(sub):
    """A model converted with .double() takes and returns float64, at float64 precision"""
    d, H, causal = 16, 4, True
    model = build(sub, d, H, causal)
    M.call(model.double, what="model.double()")
    w = set_weights(model, d, seed=64, dtype=torch.float64)
    x = torch.randn(2, 6, d, generator=gen(64), dtype=torch.float64) * 1.5
    got = forward(model, x)
    M.as_tensor(got, f"forward(x) for {describe(d, H, causal, x)}", (2, 6, d), torch.float64)
    close(got, sdpa(w, x, H, causal), what="forward(x)", case=describe(d, H, causal, x), rtol=1e-9, atol=1e-10,
          bugs=known_bugs(got, w, x, H, causal))


def test_several_lengths(sub):
    """One model serves sequences of several lengths, up to 64 (nothing sized for the first T is reused)"""
    d, H = 16, 4
    model = build(sub, d, H, True)
    w = set_weights(model, d, seed=5)
    for T in (4, 64, 2, 7):
        x = torch.randn(2, T, d, generator=gen(50 + T)) * 1.5
        got = forward(model, x)
        close(got, sdpa(w, x, H, True), what="forward(x)",
              case=describe(d, H, True, x) + " (the same model called before with other lengths)",
              bugs=known_bugs(got, w, x, H, True))


@pytest.mark.parametrize("causal", [False, True])
def test_large_scores(sub, causal):
    """Scores in the hundreds (up to ~1000) give finite, correct outputs (stable softmax)"""
    # x scaled by 20: scores q.k / sqrt(d_head) have a standard deviation of about 400
    check_forward(sub, 2, 6, 16, 2, causal, seed=77 + causal, scale=20.0, rtol=1e-3, atol=1e-3)


# --- causality and bidirectionality ------------------------------------------------------------

def test_causal_no_future(sub):
    """causal=True: changing later tokens never changes an earlier output"""
    B, T, d, H = 2, 7, 16, 4
    model = build(sub, d, H, True)
    w = set_weights(model, d, seed=21)
    x = torch.randn(B, T, d, generator=gen(21)) * 1.5
    out = forward(model, x)
    M.as_tensor(out, "forward(x)", (B, T, d), None)
    if not torch.isfinite(out).all():  # nothing to compare: the value check explains the NaN
        close(out, sdpa(w, x, H, True), what="forward(x)", case=describe(d, H, True, x),
              bugs=known_bugs(out, w, x, H, True))
    for s in range(1, T):
        x2 = x.clone()
        x2[:, s:] = torch.randn(B, T - s, d, generator=gen(200 + s)) * 3.0
        out2 = forward(model, x2)
        M.as_tensor(out2, "forward(x)", (B, T, d), None)
        close(out2[:, :s], out[:, :s],
              what=f"outputs at positions 0..{s - 1} (against the same model's outputs before the change)",
              case=f"tokens {s}..{T - 1} replaced (with causal=True, query t may only see tokens 0..t, "
                   f"so these outputs may not change)", rtol=1e-5, atol=1e-6,
              bugs=known_bugs(out2[:, :s], w, x2, H, True, pick=lambda o, s=s: o[:, :s]))


def test_bidirectional_by_default(sub):
    """causal=False (the default): a later token changes the earlier outputs"""
    B, T, d, H = 2, 6, 16, 4
    model = build(sub, d, H)  # causal left to its default
    w = set_weights(model, d, seed=31)
    x = torch.randn(B, T, d, generator=gen(31)) * 1.5
    out = forward(model, x)
    x2 = x.clone()
    x2[:, -1] = torch.randn(B, d, generator=gen(32)) * 3.0
    out2 = forward(model, x2)
    for o in (out, out2):
        M.as_tensor(o, "forward(x)", (B, T, d), None)
    change = float((out2[:, :-1] - out[:, :-1]).detach().abs().amax(dim=-1).min())  # the least changed position
    if change > 1e-4:
        return
    bug = None
    if torch.allclose(out.double(), attend(w, x, H, mask=0), rtol=1e-4, atol=1e-5):
        bug = MASK_NOT_CAUSAL
    C.fail(f"{CLASS}({d}, {H}) (causal left to its default, False) lets every token attend to every token, so "
           f"replacing the last token must change the output at every position; some earlier position changed by "
           f"only {change:.3g}. Check that the mask is applied only when causal=True and that causal defaults to "
           "False.", bug)


# --- gradients -----------------------------------------------------------------------------------

def grads_of(fn, w, x, r):
    """d/d(x, parameters) of sum(fn(weights, x) * r), in float64."""
    leaves = {name: t.detach().to(torch.float64).requires_grad_() for name, t in w.items()}
    xl = x.detach().to(torch.float64).requires_grad_()
    loss = (fn(leaves, xl) * r.to(torch.float64)).sum()
    gs = torch.autograd.grad(loss, [xl, *leaves.values()], allow_unused=True)
    return dict(zip(["x", *leaves], gs))


@pytest.mark.parametrize("causal", [False, True])
def test_gradients(sub, causal):
    """Gradients of a loss with respect to x and to every parameter equal the reference's"""
    B, T, d, H = 2, 6, 16, 4
    model = build(sub, d, H, causal)
    w = set_weights(model, d, seed=41 + causal)
    x = (torch.randn(B, T, d, generator=gen(41)) * 1.5).requires_grad_()
    r = torch.randn(B, T, d, generator=gen(42))

    def loss_backward(m, inp):
        (m(inp) * r).sum().backward()

    M.call(loss_backward, model, x, what="forward(x) and loss.backward()")
    ref = Reference(d, H, causal).to(torch.float64)
    M.copy_weights(ref, model, {name: name for name in SHAPES})
    xr = x.detach().to(torch.float64).requires_grad_()
    (ref(xr) * r.to(torch.float64)).sum().backward()
    expected = {"x": xr.grad, **{name: p.grad for name, p in ref.named_parameters()}}
    got = {"x": x.grad, **{name: p.grad for name, p in model.named_parameters() if name in SHAPES}}

    missing = [name for name in expected if got.get(name) is None]
    C.expect(not missing, f"no gradient reached {', '.join(missing)} after loss.backward() "
             f"({describe(d, H, causal, x)}): the forward pass must use these tensors through differentiable "
             "operations (no .detach(), .data, .numpy() or torch.no_grad() on the way).")
    cache = {}

    def bug_grad(label, ways, name):
        def pick():
            if label not in cache:
                cache[label] = [grads_of(lambda ww, xx, kn=kn: attend(ww, xx, H, **kn), w, x, r) for kn in ways]
            return C.nearest(M.to_np(got[name]), [M.to_np(gr[name]) for gr in cache[label]])
        return pick

    for name, want in expected.items():
        scale = float(want.abs().max())
        try:
            close(got[name], want, what=f"gradient of {name}",
                  case=f"loss = sum(forward(x) * r), {describe(d, H, causal, x)}",
                  rtol=1e-4, atol=1e-5 * max(1.0, scale),
                  bugs={label: bug_grad(label, ways, name) for label, ways in bug_variants(causal).items()})
        except C.CheckFailed as exc:
            if exc.bug:
                raise
            raise C.CheckFailed(exc.message + "\nIf forward(x) passes its checks, the gradient is cut or bent on the "
                                "way: look for .detach(), .data, .item() or an in-place change of a tensor autograd "
                                "needs.") from None
