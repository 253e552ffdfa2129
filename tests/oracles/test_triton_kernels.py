"""Check the reference Triton kernels against torch (softmax, SDPA, autograd) in float64.

Without a GPU they run in Triton's CPU interpreter (tests/conftest.py sets TRITON_INTERPRET=1),
on small shapes in float32 and float16. The error allowed is the flash-attention project's:
at most 2x the error of PyTorch's own result in the same dtype, plus about one ulp.
"""
import math

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("triton")
F = torch.nn.functional

from tfprep.content.reference_impls.flash_attention_triton import flash_attention, forward  # noqa: E402
from tfprep.content.reference_impls.flash_attention_triton_backward import flash_attention as flash_attention_bwd  # noqa: E402
from tfprep.content.reference_impls.softmax_triton import softmax  # noqa: E402

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
FLOOR = {torch.float32: 1e-5, torch.float16: 1e-3, torch.bfloat16: 8e-3}


def randn(seed, *shape, dtype=torch.float32, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale).to(DEVICE, dtype)


def assert_as_accurate(got, exact, same_precision):
    torch_err = (same_precision.double() - exact).abs().max().item()
    err = (got.double() - exact).abs().max().item()
    assert err <= 2 * torch_err + FLOOR[got.dtype], (err, torch_err)


@pytest.mark.parametrize("shape", [(4, 5), (3, 1000), (2, 3, 77), (7,), (5, 1), (2, 20000)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_softmax_against_torch(shape, dtype):
    x = randn(len(shape) + shape[-1], *shape, dtype=dtype, scale=4.0)
    y = softmax(x)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert_as_accurate(y, torch.softmax(x.double(), -1), torch.softmax(x, -1))


def test_softmax_hostile_and_strided():
    x = randn(1, 5, 300, scale=1000.0)
    assert_as_accurate(softmax(x), torch.softmax(x.double(), -1), torch.softmax(x, -1))
    wide = randn(2, 6, 90)
    view = wide[:, :50]  # row stride 90
    assert_as_accurate(softmax(view), torch.softmax(view.double(), -1), torch.softmax(view, -1))
    t = randn(3, 40, 24).t()
    assert_as_accurate(softmax(t), torch.softmax(t.double(), -1), torch.softmax(t, -1))


CASES = [(1, 2, 37, 16), (2, 1, 100, 32), (1, 2, 77, 64), (1, 1, 129, 128), (1, 1, 1, 32)]


@pytest.mark.parametrize("shape", CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@pytest.mark.parametrize("causal", [False, True])
def test_flash_forward_against_sdpa(shape, dtype, causal):
    q, k, v = (randn(sum(shape) + i, *shape, dtype=dtype) for i in range(3))
    exact = F.scaled_dot_product_attention(q.double(), k.double(), v.double(), is_causal=causal)
    same = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    out = flash_attention(q, k, v, causal=causal)
    assert out.shape == q.shape and out.dtype == dtype
    assert_as_accurate(out, exact, same)


@pytest.mark.parametrize("causal", [False, True])
def test_flash_forward_saves_log2_lse(causal):
    B, H, N, D = 1, 2, 45, 32
    q, k, v = (randn(10 + i, B, H, N, D) for i in range(3))
    _, lse = forward(q, k, v, causal, 0.2)
    s = (q.double() @ k.double().transpose(-1, -2)) * 0.2
    if causal:
        s = s.masked_fill(torch.ones(N, N, dtype=torch.bool, device=s.device).triu(1), float("-inf"))
    expected = torch.logsumexp(s, -1) / math.log(2.0)  # base 2, what the backward's exp2 expects
    assert torch.allclose(lse.double(), expected, rtol=1e-5, atol=1e-5)


def test_flash_forward_scale_and_layout():
    B, H, N, D = 2, 3, 45, 32
    qkv = randn(60, B, N, 3, H, D)
    q, k, v = (qkv[:, :, i].transpose(1, 2) for i in range(3))  # non-contiguous views
    exact = F.scaled_dot_product_attention(q.double(), k.double(), v.double(), scale=0.3)
    assert_as_accurate(flash_attention(q, k, v, sm_scale=0.3), exact,
                       F.scaled_dot_product_attention(q, k, v, scale=0.3))


@pytest.mark.parametrize("bad", ["dim", "dtype", "mixed"])
def test_flash_rejects_bad_inputs(bad):
    q = randn(0, 1, 1, 8, 16)
    if bad == "dim":
        args = (randn(0, 1, 1, 8, 48),) * 3
    elif bad == "dtype":
        args = (q.double(),) * 3
    else:
        args = (q, q.half(), q)
    with pytest.raises(ValueError):
        flash_attention(*args)


@pytest.mark.parametrize("shape", [(1, 2, 37, 16), (2, 1, 70, 32), (1, 1, 45, 64), (1, 1, 33, 128)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@pytest.mark.parametrize("causal", [False, True])
def test_flash_backward_against_autograd(shape, dtype, causal):
    q, k, v, do = (randn(sum(shape) + i, *shape, dtype=dtype) for i in range(4))

    def grads(fn, *xs):
        xs = [x.detach().clone().requires_grad_(True) for x in xs]
        return torch.autograd.grad(fn(*xs), xs, do.to(xs[0].dtype))

    exact = grads(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=causal), q.double(), k.double(), v.double())
    same = grads(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=causal), q, k, v)
    mine = grads(lambda a, b, c: flash_attention_bwd(a, b, c, causal=causal), q, k, v)
    for g, e, s in zip(mine, exact, same):
        assert g.dtype == dtype
        assert_as_accurate(g, e, s)
