"""The PyTorch tier's hand-written Adam (tfprep.grading.models.Adam) against torch.optim.Adam."""
import pytest

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("lr,betas,eps", [(1e-2, (0.9, 0.999), 1e-8), (3e-3, (0.8, 0.95), 1e-6)])
def test_matches_torch_adam(lr, betas, eps):
    from tfprep.grading.adam import Adam

    g = torch.Generator().manual_seed(0)
    a = torch.randn(5, 3, generator=g, requires_grad=True)
    frozen = torch.randn(4, generator=g, requires_grad=False)
    b = a.detach().clone().requires_grad_(True)
    ours, ref = Adam([a, frozen], lr=lr, betas=betas, eps=eps), torch.optim.Adam([b], lr=lr, betas=betas, eps=eps)
    assert ours.params == [a]  # parameters that do not require grad are left out
    for _ in range(25):
        grad = torch.randn(5, 3, generator=g) * 10 ** torch.empty(1).uniform_(-4, 1, generator=g)
        a.grad, b.grad = grad.clone(), grad.clone()
        ours.step()
        ref.step()
        assert torch.allclose(a.detach(), b.detach(), rtol=1e-6, atol=1e-7)
    ours.zero_grad()
    assert a.grad is None
