# A correct solution in the style of torch's F.unfold: gather the (C, p, p) columns first as
# (B, C*p*p, N), then transpose to tokens, with the index arithmetic written out.
import numpy as np


def patchify(images, patch):
    B, C, H, W = images.shape
    p = patch
    gh, gw = H // p, W // p
    c, u, v = np.meshgrid(np.arange(C), np.arange(p), np.arange(p), indexing="ij")
    i, j = np.meshgrid(np.arange(gh), np.arange(gw), indexing="ij")
    rows = i.reshape(1, -1) * p + u.reshape(-1, 1)   # (C*p*p, N)
    cols = j.reshape(1, -1) * p + v.reshape(-1, 1)
    chans = np.broadcast_to(c.reshape(-1, 1), rows.shape)
    columns = images[:, chans, rows, cols]           # (B, C*p*p, N), like F.unfold
    return np.ascontiguousarray(np.swapaxes(columns, 1, 2))
