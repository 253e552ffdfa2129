"""GPU checks of the Triton tier: run them with `python -m pytest -m gpu` on a machine with CUDA.

They are skipped elsewhere (the CPU interpreter versions live in tests/oracles and in the drill
content check). On a GPU they check the reference kernels in every dtype at real sizes, that no
(N, N) buffer appears at N = 16384, and that the graded drills pass with speed notes.
"""
from pathlib import Path

import pytest

from tfprep import drills

torch = pytest.importorskip("torch")
pytest.importorskip("triton")

HAS_GPU = drills.gpu_present() and torch.cuda.is_available()
pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not HAS_GPU, reason="needs a CUDA GPU")]
F = torch.nn.functional
FLOOR = {torch.float32: 1e-5, torch.float16: 1e-3, torch.bfloat16: 8e-3}
DTYPES = [torch.float16, torch.bfloat16, torch.float32]


def randn(*shape, dtype, seed=0):
    g = torch.Generator(device="cuda").manual_seed(seed)
    return torch.randn(*shape, generator=g, device="cuda", dtype=dtype)


def assert_as_accurate(got, exact, same_precision):
    torch_err = (same_precision.double() - exact).abs().max().item()
    err = (got.double() - exact).abs().max().item()
    assert err <= 2 * torch_err + FLOOR[got.dtype], (err, torch_err)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("N,D", [(1000, 64), (2049, 128), (4096, 64), (333, 16), (777, 32)])
@pytest.mark.parametrize("causal", [False, True])
def test_reference_forward_and_backward(dtype, N, D, causal):
    from tfprep.content.reference_impls.flash_attention_triton_backward import flash_attention

    B, H = 2, 4
    q, k, v, do = (randn(B, H, N, D, dtype=dtype, seed=i) for i in range(4))

    def run(fn, *xs):
        xs = [x.detach().clone().requires_grad_(True) for x in xs]
        out = fn(*xs)
        return (out, *torch.autograd.grad(out, xs, do.to(out.dtype)))

    sdpa = lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=causal)  # noqa: E731
    exact = run(sdpa, q.double(), k.double(), v.double())
    same = run(sdpa, q, k, v)
    mine = run(lambda a, b, c: flash_attention(a, b, c, causal=causal), q, k, v)
    for g, e, s in zip(mine, exact, same):
        assert_as_accurate(g, e, s)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reference_softmax(dtype):
    from tfprep.content.reference_impls.softmax_triton import softmax

    for shape in [(4096, 781), (64, 65536), (3, 5)]:
        x = randn(*shape, dtype=dtype) * 4
        assert_as_accurate(softmax(x), torch.softmax(x.double(), -1), torch.softmax(x, -1))


def test_no_nxn_buffer_at_16k():
    from tfprep.content.reference_impls.flash_attention_triton_backward import flash_attention

    B, H, N, D = 1, 4, 16384, 64
    q, k, v = (randn(B, H, N, D, dtype=torch.float16, seed=i).requires_grad_(True) for i in range(3))
    out = flash_attention(q, k, v, causal=True)  # warm-up: autotuning allocates on its own
    torch.autograd.grad(out, (q, k, v), torch.ones_like(out))
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    out = flash_attention(q, k, v, causal=True)
    torch.autograd.grad(out, (q, k, v), torch.ones_like(out))
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() - base
    one_head_nxn = N * N * 2
    assert peak < one_head_nxn / 4, f"peak {peak / 2**20:.0f} MiB vs one (N, N) fp16 matrix {one_head_nxn / 2**20:.0f} MiB"


@pytest.mark.parametrize("name", ["softmax-triton", "flash-attention-triton", "flash-attention-triton-backward"])
def test_drills_pass_on_gpu_with_speed_notes(name, tmp_path):
    d = drills.load(name)
    # a learner's correct file (a submission may not import the reference)
    path = sorted((Path(__file__).parent / "drill_cases" / name).glob("correct_*.py"))[0]
    report = drills.grade(d, path)
    assert report.passed, [(c.title, c.message) for c in report.checks if not c.passed] or report.problem
    assert any("GB/s" in n or "TFLOP/s" in n for n in report.notes), report.notes
    assert not any("interpreter" in n for n in report.notes)


def test_reference_beats_math_attention():
    """A sanity floor, not the project's target (benchmarks/flash_attention.py measures that)."""
    from triton.testing import do_bench

    from tfprep.content.reference_impls.flash_attention_triton import flash_attention

    B, H, N, D = 4, 32, 4096, 64
    q, k, v = (randn(B, H, N, D, dtype=torch.float16, seed=i) for i in range(3))
    flash_attention(q, k, v)
    ours = do_bench(lambda: flash_attention(q, k, v), return_mode="median")
    with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.MATH):
        math_ms = do_bench(lambda: F.scaled_dot_product_attention(q, k, v), return_mode="median")
    assert ours < math_ms, (ours, math_ms)
