# expect-bug: softplus applied to delta (delta is to be used as given)
import numpy as np


def selective_scan(x, delta, A, B, C, D):
    delta = np.log1p(np.exp(delta))  # Mamba's layer does this, but the drill's delta is final
    if x.ndim == 2:
        x, delta, B, C = x[None], delta[None], B[None], C[None]
        squeeze = True
    else:
        squeeze = False
    h = np.zeros((x.shape[0],) + A.shape)
    y = np.empty(x.shape)
    for t in range(x.shape[1]):
        dt = delta[:, t][..., None]
        h = np.exp(dt * A) * h + dt * B[:, t][:, None, :] * x[:, t][..., None]
        y[:, t] = (h @ C[:, t][..., None])[..., 0]
    y += D * x
    return y[0] if squeeze else y
