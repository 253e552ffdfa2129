"""Hidden suite for the `softmax-triton` drill. Never copied into the learner's workspace.

On a CUDA GPU bfloat16 and large rows join and the report gives the kernel's bandwidth as a
fraction of a plain device copy; in Triton's CPU interpreter the correctness checks run on
small shapes.
"""
from tfprep.grading import kernels as K  # first: chooses the GPU or Triton's interpreter

import pytest
import torch
import triton

from tfprep.grading import checks as C

FN = "softmax"


def exact(x):
    return torch.softmax(x.detach().to("cpu", torch.float64), dim=-1)


NO_MAX = "no max subtraction (or a running max that starts at 0, not -inf): exp overflows or underflows"
TAIL = "columns past n_cols not masked with -inf: padding lanes enter the max and the sum"
ROW_STRIDE = "row stride assumed to be n_cols: a non-contiguous input is read from the wrong places"


def no_max(x):
    e = torch.exp(x.detach().cpu().float())
    return e / e.sum(-1, keepdim=True)


def padded(x, block):
    """Lanes past n_cols loaded as 0 and kept: they take part in the max and add exp(0 - m) each."""
    x = x.detach().to("cpu", torch.float64)
    pad = -x.shape[-1] % block
    return torch.softmax(torch.cat([x, x.new_zeros(x.shape[:-1] + (pad,))], -1), -1)[..., :x.shape[-1]]


def known_bugs(got, x):
    n = x.shape[-1]
    blocks = {triton.next_power_of_2(n), 128, 256, 512, 1024, 2048, 4096}
    return {NO_MAX: lambda: no_max(x),
            TAIL: lambda: K.nearest(got, [padded(x, b) for b in sorted(blocks) if n % b])}


def run_case(sub, x, bugs=None, case=None):
    got = K.launch(sub.fn(FN), K.copy_like(x))
    got = K.as_tensor(got, "y", x)
    all_bugs = known_bugs(K.to_np(got), x)
    all_bugs.update(bugs or {})
    K.expect_accurate(got, exact(x), torch.softmax(x, -1), what="y", bugs=all_bugs,
                      case=case or f"x {tuple(x.shape)} {str(x.dtype)[6:]}")
    return got


SHAPES = [(4, 5), (3, 100), (2, 3, 1000), (7,), (5, 1), (2, 1025), (1, 20000)]
if K.ON_GPU:
    SHAPES += [(4096, 781), (64, 65536)]
CASES = [(shape, dtype) for shape in SHAPES for dtype in K.DTYPES]


@pytest.mark.parametrize("shape,dtype", CASES, ids=[f"{'x'.join(map(str, s))}-{str(d)[6:]}" for s, d in CASES])
def test_matches_torch(sub, shape, dtype):
    """Equals softmax over the last dimension (as accurate as torch.softmax in that dtype)"""
    run_case(sub, K.randn(sum(shape), *shape, dtype=dtype, scale=3.0))


def test_hostile_magnitudes(sub):
    """Logits around +-1000 (float32) give exact, finite probabilities"""
    x = K.randn(1, 6, 300) * 1000.0
    run_case(sub, x)


def test_very_negative_rows(sub):
    """Rows whose logits are all below -250 (exp of each underflows to 0 without the max)"""
    x = K.randn(3, 4, 70, scale=5.0) - 300.0
    run_case(sub, x)


def test_rows_sum_to_one(sub):
    """Every row sums to 1 (float32, 513 columns)"""
    x = K.randn(2, 9, 513, scale=5.0)
    y = K.as_tensor(K.launch(sub.fn(FN), x.clone()), "y", x)
    worst = (y.double().sum(-1) - 1).abs().max().item()
    C.expect(worst <= 1e-5, f"row sums differ from 1 by up to {worst:.3g}.",
             C.matching_bug(K.to_np(y), known_bugs(K.to_np(y), x), 1e-4, 1e-5, K.to_np(exact(x))))


def test_non_contiguous_rows(sub):
    """A column slice of a wider tensor (row stride larger than the row length)"""
    wide = K.randn(3, 8, 96)
    x = wide[:, :60]  # (8, 60) view, row stride 96
    stride_bug = lambda: exact(wide.reshape(-1)[:x.numel()].view(x.shape))  # noqa: E731
    run_case(sub, x, bugs={ROW_STRIDE: stride_bug}, case="x (8, 60) float32, a view with row stride 96")
    batched = K.randn(4, 3, 5, 80)[:, :2, :60]  # (3, 2, 60): flattening its rows needs a copy
    run_case(sub, batched, case="x (3, 2, 60) float32, a slice of a (3, 5, 80) tensor")


def test_transposed_input(sub):
    """A transposed tensor (last dimension not contiguous)"""
    x = K.randn(4, 40, 24).t()  # (24, 40), stride (1, 24)
    run_case(sub, x, case="x (24, 40) float32, transposed (column-major)")


def test_input_unchanged(sub):
    """Leaves x unmodified"""
    x = K.randn(5, 4, 33)
    copy = x.clone()
    K.launch(sub.fn(FN), x)
    C.expect(torch.equal(x, copy), "`softmax` modified its input in place.")


if not K.ON_GPU:
    C.note("Ran in Triton's CPU interpreter (no CUDA GPU here): correctness only, on small shapes. "
           "Bandwidth is measured only on a GPU.")

if K.ON_GPU:
    def test_bandwidth_report(sub):
        """Bandwidth on (8192, 4096) float32, against a device copy (reported, not graded)"""
        x = K.randn(8, 8192, 4096)
        fn = sub.fn(FN)
        K.launch(fn, x)
        moved = 2 * x.numel() * x.element_size()  # read x once, write y once
        ms = K.median_ms(lambda: fn(x))
        copy_ms = K.median_ms(lambda: torch.empty_like(x).copy_(x))
        torch_ms = K.median_ms(lambda: torch.softmax(x, -1))
        C.note(f"bandwidth on (8192, 4096) float32: yours {moved / ms / 1e6:.0f} GB/s = {copy_ms / ms:.0%} of a "
               f"device copy ({moved / copy_ms / 1e6:.0f} GB/s); torch.softmax {moved / torch_ms / 1e6:.0f} GB/s.")
