"""The LoRALinear reference against independent oracles, in float64: the formula computed by hand
(F.linear for the base, explicit matmuls for the update), merge() against W + (alpha / r) B A,
and torch's own `nn.utils.parametrize` formulation of the same layer (the weight re-parametrised
as W + (alpha / r) B A on a plain nn.Linear)."""
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn.utils import parametrize  # noqa: E402

from tfprep.content.reference_impls.lora_module import LoRALinear  # noqa: E402

F = torch.nn.functional


def make(seed, d_in, d_out, r, bias):
    g = torch.Generator().manual_seed(seed)
    base = nn.Linear(d_in, d_out, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        base.weight.copy_(torch.randn(d_out, d_in, generator=g, dtype=torch.float64))
        if bias:
            base.bias.copy_(torch.randn(d_out, generator=g, dtype=torch.float64))
    torch.manual_seed(seed)
    model = LoRALinear(base, r, 7)
    A = torch.randn(r, d_in, generator=g, dtype=torch.float64)
    B = torch.randn(d_out, r, generator=g, dtype=torch.float64)
    return base, model, A, B, g


class LowRankDelta(nn.Module):
    """weight -> weight + scale * B A, for parametrize.register_parametrization."""

    def __init__(self, A, B, scale):
        super().__init__()
        self.A, self.B, self.scale = A, B, scale

    def forward(self, weight):
        return weight + self.scale * (self.B @ self.A)


CASES = [(0, (5,), 8, 6, 3, True), (1, (2, 4), 10, 13, 2, False), (2, (), 6, 9, 4, True), (3, (2, 3, 2), 7, 5, 1, True)]


@pytest.mark.parametrize("seed,lead,d_in,d_out,r,bias", CASES)
def test_forward_matches_hand_formula(seed, lead, d_in, d_out, r, bias):
    base, model, A, B, g = make(seed, d_in, d_out, r, bias)
    with torch.no_grad():
        model.A.copy_(A)
        model.B.copy_(B)
    x = torch.randn(*lead, d_in, generator=g, dtype=torch.float64)
    want = F.linear(x, base.weight, base.bias) + (7 / r) * torch.matmul(torch.matmul(x, A.T), B.T)
    torch.testing.assert_close(model(x), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed,lead,d_in,d_out,r,bias", CASES)
def test_matches_torch_parametrize(seed, lead, d_in, d_out, r, bias):
    base, model, A, B, g = make(seed, d_in, d_out, r, bias)
    with torch.no_grad():
        model.A.copy_(A)
        model.B.copy_(B)
    oracle = nn.Linear(d_in, d_out, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        oracle.weight.copy_(base.weight)
        if bias:
            oracle.bias.copy_(base.bias)
    parametrize.register_parametrization(oracle, "weight", LowRankDelta(A, B, 7 / r))
    x = torch.randn(*lead, d_in, generator=g, dtype=torch.float64)
    torch.testing.assert_close(model(x), oracle(x), rtol=1e-12, atol=1e-12)
    merged = model.merge()
    torch.testing.assert_close(merged.weight, oracle.weight, rtol=1e-12, atol=1e-12)  # the parametrised W + s B A


@pytest.mark.parametrize("bias", [True, False])
def test_merge(bias):
    base, model, A, B, g = make(4, 9, 11, 3, bias)
    W0 = base.weight.detach().clone()
    b0 = None if base.bias is None else base.bias.detach().clone()
    with torch.no_grad():
        model.A.copy_(A)
        model.B.copy_(B)
    x = torch.randn(4, 5, 9, generator=g, dtype=torch.float64)
    before = model(x)
    merged = model.merge()
    assert isinstance(merged, nn.Linear) and merged is not base
    assert (merged.in_features, merged.out_features) == (9, 11)
    torch.testing.assert_close(merged.weight, W0 + (7 / 3) * B @ A, rtol=1e-12, atol=1e-12)
    if bias:
        torch.testing.assert_close(merged.bias, b0, rtol=0, atol=0)
    else:
        assert merged.bias is None
    torch.testing.assert_close(merged(x), before, rtol=1e-12, atol=1e-12)
    # the LoRALinear is left as it was
    torch.testing.assert_close(base.weight, W0, rtol=0, atol=0)
    torch.testing.assert_close(model(x), before, rtol=0, atol=0)


def test_contract_at_construction():
    base = nn.Linear(12, 5)
    W0 = base.weight.detach().clone()
    model = LoRALinear(base, 4, 8)
    assert model.base is base and torch.equal(base.weight, W0)
    assert not base.weight.requires_grad and not base.bias.requires_grad
    assert model.A.shape == (4, 12) and model.B.shape == (5, 4)
    assert torch.count_nonzero(model.B) == 0 and torch.count_nonzero(model.A) == model.A.numel()
    bound = 1 / 12 ** 0.5  # kaiming_uniform_(a=sqrt(5)) on fan_in 12: U(-1/sqrt(12), 1/sqrt(12))
    assert float(model.A.detach().abs().max()) <= bound
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trainable == 4 * (12 + 5)
    x = torch.randn(3, 12)
    assert torch.equal(model(x), base(x))  # B = 0: exactly the base layer


def test_gradients_reach_only_the_adapter():
    """Gradients: at B = 0 only B gets one; after an SGD step A does too; the base never."""
    base, model, A, B, g = make(5, 8, 6, 2, True)
    x = torch.randn(10, 8, generator=g, dtype=torch.float64)
    y = torch.randn(10, 6, generator=g, dtype=torch.float64)
    opt = torch.optim.SGD([model.A, model.B], lr=0.1)
    F.mse_loss(model(x), y).backward()
    assert torch.count_nonzero(model.A.grad) == 0 and torch.count_nonzero(model.B.grad) > 0
    assert base.weight.grad is None and base.bias.grad is None
    opt.step()
    opt.zero_grad()
    F.mse_loss(model(x), y).backward()
    assert torch.count_nonzero(model.A.grad) == model.A.numel()
