"""The vit-patches reference against torch: `F.unfold` (im2col) and a stride-p `nn.Conv2d`
patch embedding, plus the statement's worked example by hand."""
import numpy as np
import pytest

from tfprep.content.reference_impls.vit_patches import patchify

torch = pytest.importorskip("torch")
F = torch.nn.functional


@pytest.mark.parametrize("B,C,H,W,p", [(2, 3, 8, 8, 4), (1, 3, 12, 8, 4), (2, 2, 6, 9, 3), (1, 4, 5, 5, 5),
                                       (2, 3, 3, 4, 1)])
def test_matches_unfold(B, C, H, W, p):
    """F.unfold with kernel p, stride p gives (B, C*p*p, N): columns in (C, p, p) order, blocks row-major."""
    x = np.random.default_rng(0).standard_normal((B, C, H, W))
    cols = F.unfold(torch.from_numpy(x), kernel_size=p, stride=p)  # (B, C p^2, N)
    np.testing.assert_array_equal(patchify(x, p), cols.transpose(1, 2).numpy())


@pytest.mark.parametrize("B,C,H,W,p,D", [(2, 3, 8, 12, 4, 16), (1, 2, 9, 6, 3, 5)])
def test_matches_conv2d_patch_embedding(B, C, H, W, p, D):
    """patchify(x) @ W.reshape(D, -1).T equals Conv2d(C, D, p, stride=p) flattened to tokens (ViT's PatchEmbed)."""
    g = np.random.default_rng(1)
    x = g.standard_normal((B, C, H, W))
    conv = torch.nn.Conv2d(C, D, kernel_size=p, stride=p, bias=True).double()
    with torch.no_grad():
        expected = conv(torch.from_numpy(x)).flatten(2).transpose(1, 2).numpy()  # (B, N, D)
        w = conv.weight.numpy()  # (D, C, p, p)
        b = conv.bias.numpy()
    got = patchify(x, p) @ w.reshape(D, -1).T + b
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_worked_example():
    """The statement's example: C=2, 4x4, p=2."""
    x = np.arange(32.0).reshape(1, 2, 4, 4)
    expected = np.array([[0, 1, 4, 5, 16, 17, 20, 21], [2, 3, 6, 7, 18, 19, 22, 23],
                         [8, 9, 12, 13, 24, 25, 28, 29], [10, 11, 14, 15, 26, 27, 30, 31]], dtype=float)
    np.testing.assert_array_equal(patchify(x, 2)[0], expected)
