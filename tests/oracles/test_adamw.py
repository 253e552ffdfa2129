"""The AdamW reference against `torch.optim.AdamW`: multi-step runs, param and the optimizer state."""
import numpy as np
import pytest

from tfprep.content.reference_impls.adamw import adamw_step

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,hp", [
    ((7,), dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)),
    ((4, 5), dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ((2, 3, 4), dict(lr=0.3, betas=(0.5, 0.9), eps=1e-8, weight_decay=0.5)),
])
def test_matches_torch_adamw(shape, hp, dtype):
    g = np.random.default_rng(0)
    p0 = g.standard_normal(shape).astype(dtype)
    grads = [(g.standard_normal(shape) * 10.0 ** g.uniform(-6, 1, shape)).astype(dtype) for _ in range(10)]
    p_t = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    opt = torch.optim.AdamW([p_t], **hp, foreach=False)
    p, m, v = p0.astype(np.float64), np.zeros(shape), np.zeros(shape)
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    for t, gr in enumerate(grads, start=1):
        p_t.grad = torch.from_numpy(gr.copy())
        opt.step()
        p, m, v = adamw_step(p, gr.astype(np.float64), m, v, t, lr=hp["lr"], beta1=hp["betas"][0],
                             beta2=hp["betas"][1], eps=hp["eps"], weight_decay=hp["weight_decay"])
        state = opt.state[p_t]
        assert int(state["step"]) == t
        np.testing.assert_allclose(p, p_t.detach().numpy(), rtol=rtol, atol=rtol * 1e-2)
        np.testing.assert_allclose(m, state["exp_avg"].numpy(), rtol=rtol, atol=1e-30)
        np.testing.assert_allclose(v, state["exp_avg_sq"].numpy(), rtol=max(rtol, 1e-12) * 10, atol=1e-30)


def test_inputs_untouched():
    g = np.random.default_rng(1)
    p, gr = g.standard_normal(5), g.standard_normal(5)
    m, v = np.zeros(5), np.zeros(5)
    copies = [a.copy() for a in (p, gr, m, v)]
    adamw_step(p, gr, m, v, 1)
    for a, c in zip((p, gr, m, v), copies):
        np.testing.assert_array_equal(a, c)
