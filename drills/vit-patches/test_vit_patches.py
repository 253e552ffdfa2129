"""Hidden suite for the `vit-patches` drill. Never copied into the learner's workspace.

patchify is a pure rearrangement, so values are compared exactly; images whose pixel values
encode their own (c, y, x) position let the messages say which pixel landed where.
"""
import numpy as np
import pytest

from tfprep.content.reference_impls.vit_patches import patchify as reference
from tfprep.grading import checks as C

FN = "patchify"


# --- known bugs: what each classic mistake would return on the same inputs -----------------

def _split(images, p):
    B, C_, H, W = images.shape
    return images.reshape(B, C_, H // p, p, W // p, p)  # (B, C, gh, u, gw, v)


def _gather(images, p, axes):
    B, C_, H, W = images.shape
    return _split(images, p).transpose(axes).reshape(B, (H // p) * (W // p), C_ * p * p)


def bug_channels_last(images, p):
    return _gather(images, p, (0, 2, 4, 3, 5, 1))  # (B, gh, gw, u, v, C)


def bug_column_major(images, p):
    return _gather(images, p, (0, 4, 2, 1, 3, 5))  # (B, gw, gh, C, u, v)


def bug_both(images, p):
    return _gather(images, p, (0, 4, 2, 3, 5, 1))  # (B, gw, gh, u, v, C)


def bug_pixels_column_major(images, p):
    return _gather(images, p, (0, 2, 4, 1, 5, 3))  # (B, gh, gw, C, v, u)


def bug_no_transpose(images, p):
    B, C_, H, W = images.shape
    return images.reshape(B, (H // p) * (W // p), C_ * p * p)


CHANNELS_LAST = "patch flattened in (p, p, C) order (channels last) instead of (C, p, p)"
COLUMN_MAJOR = "patches ordered column-major over the grid (patch n must be grid cell (n // (W/p), n % (W/p)))"
BUGS = {
    CHANNELS_LAST: bug_channels_last,
    COLUMN_MAJOR: bug_column_major,
    "patches column-major over the grid and flattened (p, p, C)": bug_both,
    "pixels inside a patch flattened column-major ((C, v, u) instead of (C, u, v))": bug_pixels_column_major,
    "reshape without a transpose (each 'patch' is a run of consecutive pixels, not a p x p block)": bug_no_transpose,
}


def known_bugs(images, p, then=None):
    """Lazily computed known-bug outputs; `then` maps a patchify output to what is compared."""
    def value(f):
        out = f(images, p)
        return out if then is None else then(out)
    return {label: (lambda f=f: value(f)) for label, f in BUGS.items()}


# --- cases ----------------------------------------------------------------------------------

def coded(B, C_, H, W):
    """Pixel value = its own flat index into (B, C, H, W): every pixel distinct, exactly representable."""
    return np.arange(B * C_ * H * W, dtype=np.float64).reshape(B, C_, H, W)


def decode(value, shape):
    """(b, c, y, x) of a coded pixel value."""
    return tuple(int(i) for i in np.unravel_index(int(value), shape))


def run_case(sub, images, p):
    expected = reference(images, p)
    got = sub.fn(FN)(images, p)
    C.expect_close(got, expected, what="patchify(images, patch)", case=C.describe(images=images, patch=p),
                   rtol=0, atol=0, bugs=known_bugs(images, p))
    return C.as_array(got, "patchify(images, patch)")


@pytest.mark.parametrize("seed,B,C_,H,W,p", [
    (0, 2, 3, 8, 8, 4),
    (1, 1, 3, 12, 8, 4),   # H != W: more grid rows than columns
    (2, 2, 2, 6, 9, 3),    # W > H, odd sizes
    (3, 3, 4, 10, 10, 5),
    (4, 1, 3, 16, 16, 2),
])
def test_matches_reference(sub, seed, B, C_, H, W, p):
    """patchify matches the reference exactly (several batch sizes, channels, patch sizes, H != W)"""
    run_case(sub, C.randn(C.rng(seed), B, C_, H, W), p)


@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_other_dtypes(sub, dtype):
    """float32 and uint8 images are rearranged with their values unchanged"""
    images = (C.rng(5).random((2, 3, 8, 12)) * 255).astype(dtype)
    run_case(sub, images, 4)


def test_grid_order_row_major(sub):
    """Patches run row-major over the grid: patch n is grid cell (n // (W/p), n % (W/p))"""
    B, C_, H, W, p = 1, 2, 6, 9, 3  # a 2 x 3 grid
    images = coded(B, C_, H, W)
    out = C.as_array(sub.fn(FN)(images, p), "patchify(images, patch)")
    bug = C.matching_bug(out, known_bugs(images, p), 0, 0)
    C.expect(out.shape == (B, 6, C_ * p * p), f"patchify returned shape {out.shape} for images (1, 2, 6, 9) and "
             f"patch 3; expected (1, 6, 18): 2 x 3 = 6 patches of 2 * 3 * 3 = 18 values.", bug)
    gw = W // p
    for n in range(6):
        want = (n // gw, n % gw)
        vals = out[0, n]
        if not np.all(np.isin(vals, images)):
            C.fail(f"patch {n} holds values that are not pixels of the image.", bug)
        cells = {(decode(v, images.shape)[2] // p, decode(v, images.shape)[3] // p) for v in vals}
        if cells != {want}:
            got = ", ".join(f"({r}, {c})" for r, c in sorted(cells))
            C.fail(f"patch {n} should be the p x p block at grid cell (row, column) = {want} of the 2 x 3 grid "
                   f"(rows {want[0] * p}..{want[0] * p + p - 1}, columns {want[1] * p}..{want[1] * p + p - 1}); "
                   f"its pixels come from grid cell(s) {got}.", bug)


def test_flatten_order_c_p_p(sub):
    """Inside a patch, feature c*p*p + u*p + v is pixel (c, u, v) of the block ((C, p, p) order)"""
    B, C_, H, W, p = 1, 3, 4, 4, 2
    images = coded(B, C_, H, W)
    out = C.as_array(sub.fn(FN)(images, p), "patchify(images, patch)")
    bug = C.matching_bug(out, known_bugs(images, p), 0, 0)
    C.expect(out.shape == (B, 4, C_ * p * p), f"patchify returned shape {out.shape}, expected (1, 4, 12).", bug)
    for f in range(C_ * p * p):
        c, u, v = f // (p * p), (f // p) % p, f % p
        _, gc, gy, gx = decode(out[0, 0, f], images.shape) if out[0, 0, f] in images else (0, -1, -1, -1)
        if (gc, gy, gx) != (c, u, v):
            C.fail(f"feature {f} of patch 0 should be channel {c}, row {u}, column {v} of the block "
                   f"((C, p, p) order, as a Conv2d weight (D, C, p, p) flattens); yours is "
                   + (f"channel {gc}, row {gy}, column {gx}." if gc >= 0 else "not a pixel of the image."), bug)


def test_each_pixel_once(sub):
    """Every pixel appears exactly once in the output (a rearrangement, nothing lost or repeated)"""
    images = coded(2, 3, 6, 8)
    out = C.as_array(sub.fn(FN)(images, 2), "patchify(images, patch)")
    bug = C.matching_bug(out, known_bugs(images, 2), 0, 0)
    C.expect(out.size == images.size, f"patchify returned {out.size} values for an image of {images.size} pixels.",
             bug)
    C.expect(np.array_equal(np.sort(out, axis=None), images.ravel()),
             "the output is not a rearrangement of the input pixels: some are missing, repeated or changed.", bug)
    for b in range(2):
        C.expect(np.array_equal(np.sort(out[b], axis=None), images[b].ravel()),
                 f"batch item {b}'s patches hold pixels of another image.", bug)


def conv2d_patch_embed(images, weight, p):
    """Conv2d(C, D, kernel_size=p, stride=p, bias=False) on images, flattened to tokens (B, N, D):
    out[b, i*gw + j, d] = sum_{c,u,v} weight[d, c, u, v] * images[b, c, i*p + u, j*p + v]."""
    B, C_, H, W = images.shape
    x = images.reshape(B, C_, H // p, p, W // p, p)
    out = np.einsum("bciujv,dcuv->bijd", x, weight)  # (B, gh, gw, D)
    return out.reshape(B, -1, weight.shape[0])


@pytest.mark.parametrize("seed,B,C_,H,W,p,D", [(6, 2, 3, 8, 12, 4, 5), (7, 1, 2, 9, 6, 3, 7)])
def test_equals_conv2d_patch_embedding(sub, seed, B, C_, H, W, p, D):
    """patchify(images) @ W.reshape(D, -1).T equals a stride-p Conv2d with weight W (D, C, p, p)"""
    g = C.rng(seed)
    images, weight = C.randn(g, B, C_, H, W), C.randn(g, D, C_, p, p)
    E = weight.reshape(D, -1).T  # (C p^2, D): the Linear that a Conv2d weight becomes
    patches = C.as_array(sub.fn(FN)(images, p), "patchify(images, patch)")
    if patches.shape != (B, (H // p) * (W // p), C_ * p * p):
        C.fail(f"patchify returned shape {patches.shape}, expected {(B, (H // p) * (W // p), C_ * p * p)}.",
               C.matching_bug(patches, known_bugs(images, p), 0, 0))
    C.expect_close(patches @ E, conv2d_patch_embed(images, weight, p), what="patchify(images) @ E",
                   case=f"a Conv2d({C_}, {D}, kernel_size={p}, stride={p}) weight reshaped to E (C*p*p, D)",
                   rtol=1e-10, atol=1e-10, bugs=known_bugs(images, p, then=lambda out: out @ E))


@pytest.mark.parametrize("shape,p", [((2, 3, 5, 5), 5), ((1, 3, 3, 4), 1)])
def test_edge_patch_sizes(sub, shape, p):
    """Edge patch sizes: one patch covering the whole image, and 1 x 1 patches"""
    run_case(sub, C.randn(C.rng(8), *shape), p)
