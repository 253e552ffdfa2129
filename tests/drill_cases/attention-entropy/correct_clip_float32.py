# A correct solution in the style of training-loop diagnostics: clamp the log's argument to the
# dtype's smallest normal number (as `torch.log(w.clamp_min(eps))` does), keep float32 weights float32.
import numpy as np


def attention_entropy(weights):
    w = np.asarray(weights)
    tiny = np.finfo(w.dtype).tiny if w.dtype.kind == "f" else np.finfo(np.float64).tiny
    return -(w * np.log(np.maximum(w, tiny))).sum(axis=-1)
