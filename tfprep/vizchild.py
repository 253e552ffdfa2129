"""The child of `tfprep viz`: runs the learner's code (and numpy, torch, matplotlib) away from the CLI.

    python -m tfprep.vizchild attention --file F [--sliding-window F] [--alibi F] --out RESULT [--png TMP]
    python -m tfprep.vizchild gpt --model MODEL.pt --text=TEXT --out RESULT [--png TMP]

It writes one JSON object to RESULT (never to stdout, where the learner's prints go): the data
`tfprep.viz` checks and the terminal renderer draws, or {"error", "status", "hint"} when nothing
can be shown (status 1: the learner's code failed; 2: bad input; 3: a missing library). With
--png it also draws the same heatmaps into TMP, which the parent moves into place.

The attention example: 9 tokens with fixed, seeded queries and keys built from a few word
features (determiner, animal, object, verb, preposition, ...): each key says what its token is,
each query what its token looks for (`it` and `sat` look for an animal, `mat` for a
preposition, `on` and `and` for a verb), plus a little noise. So the full weights show the
"related token" pattern, and the masks show what each one takes away.
"""
from __future__ import annotations

import json
import math
import os
import sys
import traceback
from pathlib import Path

from tfprep.viz import install_hint, label, reading

TOKENS = ("The", "cat", "sat", "on", "the", "mat", "and", "it", "ate")
FEATURES = ("det", "animal", "object", "verb", "prep", "conj", "pron")
D_K = 8  # the seven features and one noise-only dimension
D_V = 4
OFFERS = {"The": {"det": 1}, "cat": {"animal": 1}, "sat": {"verb": 1}, "on": {"prep": 1}, "the": {"det": 1},
          "mat": {"object": 1}, "and": {"conj": 1}, "it": {"pron": 1, "animal": 0.3}, "ate": {"verb": 1}}
SEEKS = {"The": {"animal": 1}, "cat": {"det": 1}, "sat": {"animal": 1}, "on": {"verb": 1},
         "the": {"object": 1}, "mat": {"prep": 1}, "and": {"verb": 1}, "it": {"animal": 1},
         "ate": {"pron": 1, "animal": 0.5}}
MATCH_SCORE = 4.0  # a query's score for a key with the feature it seeks, after the 1/sqrt(d_k)
SEED = 0
WINDOW = 3
ALIBI_HEADS, ALIBI_HEAD = 8, 0  # head 0 of 8: slope 1/2, the steepest
ROW_SUM_TOL = 1e-6
SOFTMAX_NAMES = ("softmax", "_softmax", "special_softmax", "_safe_softmax")


class Failed(Exception):
    """Nothing can be shown: the message, and the exit status the CLI should give."""

    def __init__(self, message: str, status: int = 1, hint: str | None = None):
        super().__init__(message)
        self.message, self.status, self.hint = message, status, hint


def _where(exc: BaseException, file: str) -> str:
    """' (line N of your file: CODE)' for the deepest frame in the learner's file, else ''."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) == os.path.abspath(file)]
    if not frames:
        return ""
    return f" (line {frames[-1].lineno} of your file: {(frames[-1].line or '').strip()})"


def _explain(exc: BaseException, name: str, file: str) -> str:
    text = str(exc).strip().splitlines()
    return f"`{name}` raised {type(exc).__name__}{': ' + text[0][:300] if text else ''}{_where(exc, file)}"


def _load(file: str, module_name: str, functions: tuple[str, ...], drill: str) -> dict:
    """The named functions of the learner's file, or Failed saying why not."""
    import importlib.util

    try:
        spec = importlib.util.spec_from_file_location(module_name, file)
        if spec is None or spec.loader is None:
            raise Failed(f"cannot import {file}", 2)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Failed:
        raise
    except SyntaxError as exc:
        raise Failed(f"SYNTAX ERROR in {file}" + (f", line {exc.lineno}" if exc.lineno else "") + f": {exc.msg}") from None
    except BaseException as exc:  # noqa: BLE001 - anything at import time is the learner's
        raise Failed(f"{file} failed while being imported: {type(exc).__name__}: {str(exc).strip()[:300]}"
                     f"{_where(exc, file)}") from None
    found = {}
    for name in functions:
        fn = getattr(module, name, None)
        if not callable(fn):
            raise Failed(f"MISSING FUNCTION: no `{name}` in {file}", hint=f"the {drill} drill defines it: tfprep drill {drill}")
        found[name] = fn
    return found


# --- viz attention -----------------------------------------------------------------------------

def example():
    """Queries, keys and values of the labelled example (float64, seeded): q, k (T, d_k), v (T, d_v)."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    T = len(TOKENS)
    q, k = np.zeros((T, D_K)), np.zeros((T, D_K))
    for i, tok in enumerate(TOKENS):
        for f, w in OFFERS[tok].items():
            k[i, FEATURES.index(f)] = w
        for f, w in SEEKS[tok].items():
            q[i, FEATURES.index(f)] = w * MATCH_SCORE * math.sqrt(D_K)  # the 1/sqrt(d_k) takes it back
    k += rng.normal(0.0, 0.1, k.shape)
    q += rng.normal(0.0, 0.3, q.shape)
    v = rng.normal(0.0, 1.0, (T, D_V))
    return q, k, v


def softmax_rows(scores, mask=None):
    """Our own softmax over the keys (the check of the learner's weights), masked keys exactly 0."""
    import numpy as np

    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    z = scores - scores.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _call_attention(attn, file: str, q, k, v, mask, panel: dict) -> None:
    """Run the learner's attention on copies; fill `panel` with its weights, or an error."""
    import numpy as np

    T = q.shape[0]
    labels = TOKENS
    try:
        result = attn(q.copy(), k.copy(), v.copy(), None if mask is None else mask.copy())
    except NotImplementedError as exc:
        panel["error"] = (f"`scaled_dot_product_attention` raises NotImplementedError{_where(exc, file)}: "
                          "write it first (tfprep drill attention)")
        return
    except Exception as exc:  # noqa: BLE001 - the learner's code
        panel["error"] = _explain(exc, "scaled_dot_product_attention", file)
        return
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        panel["error"] = f"`scaled_dot_product_attention` must return (out, weights); it returned {type(result).__name__}"
        return
    try:
        out, weights = (np.asarray(x, dtype=np.float64) for x in result)
    except (TypeError, ValueError) as exc:
        panel["error"] = f"(out, weights) are not numeric arrays: {exc}"
        return
    if weights.shape != (T, T):
        panel["error"] = (f"weights has shape {tuple(weights.shape)}; expected ({T}, {T}) "
                          f"(one row per query, one column per key) for q, k of shape {q.shape}")
        return
    if out.shape != (T, v.shape[1]):
        panel["error"] = f"out has shape {tuple(out.shape)}; expected {(T, v.shape[1])} (queries x d_v) for v of shape {v.shape}"
        return
    for what, arr in (("weights", weights), ("out", out)):
        bad = ~np.isfinite(arr)
        if bad.any():
            row = int(np.argwhere(bad)[0][0])
            kind = "NaN" if np.isnan(arr).any() else "inf"
            panel["error"] = f"{what} contains {kind} (first in the row of '{labels[row]}'): a fully masked row, or no max-subtraction?"
            return
    panel["weights"] = weights.tolist()
    sums = weights.sum(axis=-1)
    worst = int(np.argmax(np.abs(sums - 1.0)))
    if abs(sums[worst] - 1.0) > ROW_SUM_TOL:
        cols = weights.sum(axis=0)
        axis = " (its columns do: softmax over the query axis?)" if np.allclose(cols, 1.0, atol=1e-6) else ""
        panel["error"] = f"rows of weights do not sum to 1: the row of '{labels[worst]}' sums to {sums[worst]:.4g}{axis}"
        return
    if weights.min() < -1e-12:
        panel["error"] = f"weights has a negative entry ({weights.min():.3g}): weights are probabilities"
        return
    if mask is not None:
        leak = np.where(mask, 0.0, np.abs(weights))
        if leak.max() > 1e-9:
            i, j = np.unravel_index(int(np.argmax(leak)), leak.shape)
            panel["error"] = (f"weight {weights[i, j]:.3g} on a masked key ('{labels[i]}' -> '{labels[j]}'): "
                              "mask ignored or inverted?")
            return
    gap = float(np.max(np.abs(out - weights @ v)))
    if gap > 1e-6:
        panel["error"] = f"out is not weights @ v (they differ by up to {gap:.3g})"


def _helper(fns: dict, name: str, file: str, *args):
    """Call a variant drill's function: Failed if it raises, except NotImplementedError (a
    starter, still to be written), which the caller lists as not written yet."""
    try:
        return fns[name](*args)
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise Failed(_explain(exc, name, file)) from None


def attention(args) -> dict:
    import numpy as np

    name = "scaled_dot_product_attention"
    attn = _load(args.file, "tfprep_viz_attention", (name,), "attention")[name]
    q, k, v = example()
    T = len(TOKENS)
    scores = q @ k.T / math.sqrt(D_K)  # (T, T)
    causal = np.tril(np.ones((T, T), dtype=bool))
    panels = []

    def panel(name: str, title: str, how: str, look: str, mask, bias=None, q_=q, k_=k, check=None,
              file: str = args.file) -> dict:
        p = {"name": name, "title": title, "file": file, "how": how, "look": look,
             "mask": None if mask is None else mask.tolist(), "bias": None if bias is None else bias.tolist(),
             "weights": None, "error": None, "max_abs_diff": None, "missing": None}
        _call_attention(attn, args.file, q_, k_, v, mask, p)
        if p["weights"] is not None and check is not None:
            p["max_abs_diff"] = float(np.max(np.abs(np.asarray(p["weights"]) - check)))
        panels.append(p)
        return p

    panel("full", "full", "your attention, no mask: every query sees every key",
          "sat and it find cat, mat finds on, each determiner finds the noun after it", None,
          check=softmax_rows(scores))
    panel("causal", "causal", "your attention with a causal mask: query i sees keys j <= i",
          "the future is blank: The sees only itself, and the second the, whose noun (mat) comes later, "
          "spreads out", causal, check=softmax_rows(scores, causal))

    if args.sliding_window:
        try:
            fns = _load(args.sliding_window, "tfprep_viz_sliding_window", ("sliding_window_mask",), "sliding-window")
            mask = _helper(fns, "sliding_window_mask", args.sliding_window, T, WINDOW)
            mask = np.asarray(mask)
            if mask.shape != (T, T):
                raise Failed(f"`sliding_window_mask({T}, {WINDOW})` returned shape {mask.shape}; expected ({T}, {T})")
            if mask.dtype != np.bool_:
                raise Failed(f"`sliding_window_mask` returned {mask.dtype}; a bool array is expected (True = may attend)")
            if not mask.any(axis=-1).all():
                row = int(np.argmin(mask.any(axis=-1)))
                raise Failed(f"`sliding_window_mask({T}, {WINDOW})` leaves the row of '{TOKENS[row]}' no key to attend to")
            panel("sliding-window", f"sliding window ({WINDOW})",
                  f"your attention with your sliding_window_mask({T}, {WINDOW}) as the mask",
                  f"each query sees its {WINDOW} latest keys: it can no longer reach cat", mask,
                  check=softmax_rows(scores, mask), file=args.sliding_window)
        except NotImplementedError:
            panels.append(_missing("sliding-window", args.sliding_window, started=True))
        except Failed as exc:
            panels.append({**_missing("sliding-window", args.sliding_window), "missing": None, "error": exc.message,
                           "title": f"sliding window ({WINDOW})"})
    else:
        panels.append(_missing("sliding-window", None))

    if args.alibi:
        try:
            fns = _load(args.alibi, "tfprep_viz_alibi", ("alibi_bias",), "alibi")
            full = np.asarray(_helper(fns, "alibi_bias", args.alibi, ALIBI_HEADS, T), dtype=np.float64)
            if full.shape != (ALIBI_HEADS, T, T):
                raise Failed(f"`alibi_bias({ALIBI_HEADS}, {T})` returned shape {full.shape}; expected "
                             f"({ALIBI_HEADS}, {T}, {T})")
            bias = np.where(causal, full[ALIBI_HEAD], 0.0)  # only j <= i is used (the causal mask hides the rest)
            if not np.isfinite(bias).all():
                raise Failed(f"`alibi_bias({ALIBI_HEADS}, {T})` has NaN or inf where j <= i")
            slope = -bias[1, 0]
            # Fold the bias into the scores exactly: q' = [q sqrt(d'/d), sqrt(d') e_i], k' = [k, bias^T]
            # give q'_i . k'_j / sqrt(d') = q_i . k_j / sqrt(d) + bias[i, j].
            d2 = D_K + T
            q2 = np.concatenate([q * math.sqrt(d2 / D_K), math.sqrt(d2) * np.eye(T)], axis=1)  # (T, d_k + T)
            k2 = np.concatenate([k, bias.T], axis=1)  # (T, d_k + T)
            back = TOKENS.index("it") - TOKENS.index("cat")
            panel("alibi", f"ALiBi (head {ALIBI_HEAD} of {ALIBI_HEADS}, slope {slope:.3g})",
                  f"softmax(q k^T / sqrt(d_k) + bias) with a causal mask, bias = your "
                  f"alibi_bias({ALIBI_HEADS}, {T})[{ALIBI_HEAD}], computed by your attention: it takes a "
                  f"boolean mask only, so the bias rides in {T} extra columns of q and k: q' = "
                  f"[q sqrt(d'/d_k), sqrt(d') I], k' = [k, bias^T], d' = d_k + {T}, give "
                  f"q' k'^T / sqrt(d') = q k^T / sqrt(d_k) + bias exactly",
                  f"each key back costs {slope:.3g} of score: it -> cat ({back} back) fades, near keys gain",
                  causal, bias=bias, q_=q2, k_=k2, check=softmax_rows(scores + bias, causal), file=args.alibi)
        except NotImplementedError:
            panels.append(_missing("alibi", args.alibi, started=True))
        except Failed as exc:
            panels.append({**_missing("alibi", args.alibi), "missing": None, "error": exc.message, "title": "ALiBi"})
    else:
        panels.append(_missing("alibi", None))

    data = {"kind": "attention", "file": args.file, "tokens": list(TOKENS), "d_k": D_K, "d_v": D_V,
            "example": "each query looks for a related token: sat, it -> cat (an animal), ate -> it, "
                       "mat -> on, on and and -> a verb, the determiners -> a noun",
            "q": q.tolist(), "k": k.tolist(), "v": v.tolist(), "window": WINDOW, "panels": panels}
    if args.png:
        _png_attention(data, args.png)
    return data


def _missing(name: str, file: str | None, started: bool = False) -> dict:
    return {"name": name, "title": name, "file": file, "weights": None, "error": None, "mask": None, "bias": None,
            "max_abs_diff": None, "missing": f"tfprep drill {name}", "look": None,
            "how": "your file is still the starter" if started else "no file in the workspace"}


def _png_attention(data: dict, path: str) -> None:
    shown = [p for p in data["panels"] if p["weights"] is not None]
    fig, axes = _figure(1, max(1, len(shown)), 4.2, 4.2)
    for ax, p in zip(axes[0], shown):
        _imshow(ax, p["weights"], data["tokens"], data["tokens"], p["title"] + (" (FAILED)" if p["error"] else ""))
    for ax in axes[0][len(shown):]:
        ax.set_visible(False)
    fig.suptitle(f"Your attention: {os.path.basename(data['file'])}  (rows: queries, columns: keys)", fontsize=11)
    _save_png(fig, path)


# --- viz gpt -----------------------------------------------------------------------------------

def _capture_softmax():
    """A TorchFunctionMode that keeps every softmax result (torch.softmax, F.softmax,
    Tensor.softmax, nn.Softmax: they all pass through here once)."""
    import torch
    from torch.overrides import TorchFunctionMode

    class Capture(TorchFunctionMode):
        def __init__(self):
            super().__init__()
            self.results = []

        def __torch_function__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            name = (getattr(func, "__name__", "") or "").split(".")[0]  # aten ops: "_softmax.default"
            if name in SOFTMAX_NAMES and isinstance(out, torch.Tensor):
                self.results.append(out.detach())
            return out

    return Capture()


def _metrics(w, causal: bool) -> dict:
    """Per head: entropy (nats, mean over queries 1..T-1), the same for a uniform head, and the
    mean weight on the previous token, on the token itself (queries 1..T-1) and on the first
    token (queries 2..T-1, where it is not also the previous one)."""
    import numpy as np

    T = w.shape[0]
    rows = np.arange(1, T)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(w > 0, w * np.log(w), 0.0)  # 0 log 0 = 0
    entropy = -plogp.sum(axis=-1)  # (T,)
    uniform = np.log(rows + 1) if causal else np.full(T - 1, math.log(T))  # keys each query sees
    return {"entropy": float(entropy[rows].mean()), "entropy_uniform": float(uniform.mean()), "log_t": math.log(T),
            "prev": float(w[rows, rows - 1].mean()), "self": float(w[rows, rows].mean()),
            "first": float(w[2:, 0].mean()) if T > 2 else None, "row_entropy": entropy.tolist()}


def gpt(args) -> dict:
    import tempfile

    try:
        import torch
    except ImportError:
        raise Failed("viz gpt needs torch, which is not installed", 3, f"install it with: {install_hint('torch')}") from None
    import numpy as np

    model_path = args.model
    try:
        bundle = torch.load(model_path, map_location="cpu", weights_only=True)
        config, chars, state, source = bundle["config"], list(bundle["chars"]), bundle["state_dict"], bundle["source"]
    except Exception as exc:  # noqa: BLE001 - a damaged or foreign file
        raise Failed(f"cannot read the saved model {model_path} ({type(exc).__name__}: {str(exc).strip()[:200]})", 2,
                     "train and save it again: tfprep drill gpt --play") from None
    text = args.text if args.text is not None else bundle.get("sample_text") or "".join(chars[:config["max_len"]])
    unknown = sorted({c for c in text if c not in chars})
    if unknown:
        raise Failed(f"--text has characters your model never saw: {''.join(unknown)!r}", 2,
                     "use characters of the training text (tfprep's answers: letters, digits, punctuation)")
    if not 2 <= len(text) <= config["max_len"]:
        raise Failed(f"--text must be 2 to {config['max_len']} characters (your model's max_len), got {len(text)}", 2)

    torch.manual_seed(0)
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="tfprep-viz-") as tmp:
        file = str(Path(tmp) / "gpt.py")
        Path(file).write_text(source, encoding="utf-8")
        cls = _load(file, "tfprep_viz_gpt", ("GPT",), "gpt")["GPT"]
        try:
            model = cls(config["vocab_size"], config["d_model"], config["n_layers"], config["n_heads"], config["max_len"])
            model.load_state_dict(state)
        except Exception as exc:  # noqa: BLE001
            raise Failed(f"your saved GPT could not be rebuilt: {type(exc).__name__}: {str(exc).strip()[:300]}",
                         hint="train and save it again: tfprep drill gpt --play") from None
        model.eval()
        idx = torch.tensor([[chars.index(c) for c in text]], dtype=torch.long)  # (1, T)
        capture = _capture_softmax()
        try:
            with torch.no_grad(), capture:
                model(idx)
        except Exception as exc:  # noqa: BLE001
            raise Failed(f"your GPT's forward failed: {_explain(exc, 'forward', file)}",
                         hint="train and save it again: tfprep drill gpt --play") from None
    T = len(text)
    calls = [r for r in capture.results if r.dim() >= 2 and tuple(r.shape[-2:]) == (T, T)]
    maps = [m for r in calls for m in r.to(torch.float64).reshape(-1, T, T).numpy()]  # B = 1: one map per head
    L, H = config["n_layers"], config["n_heads"]
    note = None
    if not maps:
        note = ("no attention weights were seen: your model computes them without a softmax call "
                "(torch.softmax, F.softmax, Tensor.softmax or nn.Softmax), so there is nothing to draw")
    elif len(maps) != L * H:
        note = (f"{len(maps)} attention maps came out of {len(calls)} softmax calls, not n_layers x n_heads = {L * H}: "
                "they are numbered in the order they were computed")
    heads = []
    for n, w in enumerate(maps):
        if not np.isfinite(w).all():
            raise Failed(f"attention map {n} of your GPT has NaN or inf")
        causal = bool(np.all(np.triu(w, 1) == 0))
        layer, head = (n // H, n % H) if len(maps) == L * H else (None, n)
        m = _metrics(w, causal)
        heads.append({"layer": layer, "head": head, "weights": w.tolist(), "causal": causal, **m, "reading": reading(m)})
    data = {"kind": "gpt", "model": model_path, "text": text, "config": dict(config), "trained": bundle.get("trained"),
            "softmax_calls": len(calls), "heads": heads, "note": note}
    if args.png and heads:
        _png_gpt(data, args.png)
    return data


def _png_gpt(data: dict, path: str) -> None:
    heads = data["heads"]
    labels = [label(c) for c in data["text"]]
    cols = max(h["head"] for h in heads) + 1 if heads[0]["layer"] is not None else min(4, len(heads))
    rows = -(-len(heads) // cols)
    size = 2.2 + 0.09 * len(labels)
    fig, axes = _figure(rows, cols, size, size)
    for n, h in enumerate(heads):
        ax = axes[n // cols][n % cols]
        where = f"layer {h['layer']} head {h['head']}" if h["layer"] is not None else f"map {h['head']}"
        _imshow(ax, h["weights"], labels, labels, f"{where}: {h.get('reading', '')}".rstrip(": "))
    for n in range(len(heads), rows * cols):
        axes[n // cols][n % cols].set_visible(False)
    fig.suptitle(f"Your GPT's attention on {data['text']!r}  (rows: queries, columns: keys)", fontsize=11)
    _save_png(fig, path)


# --- matplotlib ------------------------------------------------------------------------------------

def _figure(rows: int, cols: int, w: float, h: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w * cols, h * rows + 0.6), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False)
    return fig, axes


def _imshow(ax, weights, rows, cols, title: str) -> None:
    import matplotlib
    import numpy as np

    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="white")  # exact zeros (masked keys) blank, as in the terminal
    im = ax.imshow(np.ma.masked_equal(np.asarray(weights, dtype=np.float64), 0.0), cmap=cmap, vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(cols)), cols, rotation=90 if max(map(len, cols)) > 1 else 0, fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_xlabel("key", fontsize=8)
    ax.set_ylabel("query", fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.figure.colorbar(im, ax=ax, shrink=0.8)


def _save_png(fig, path: str) -> None:
    try:
        fig.savefig(path, format="png")
    except OSError as exc:
        raise Failed(f"cannot write the PNG ({exc.strerror or exc})", 2, "choose a folder you can write to") from None


# --- main ----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m tfprep.vizchild")
    sub = p.add_subparsers(dest="what", required=True)
    a = sub.add_parser("attention")
    a.add_argument("--file", required=True)
    a.add_argument("--sliding-window", default=None)
    a.add_argument("--alibi", default=None)
    g = sub.add_parser("gpt")
    g.add_argument("--model", required=True)
    g.add_argument("--text", default=None)
    for s in (a, g):
        s.add_argument("--out", required=True)
        s.add_argument("--png", default=None)
    args = p.parse_args(argv)
    try:
        try:
            import numpy  # noqa: F401
        except ImportError:
            raise Failed("tfprep viz needs numpy, which is not installed", 3,
                         f"install it with: {install_hint('numpy')}") from None
        if args.png:
            try:
                import matplotlib  # noqa: F401
            except ImportError:
                raise Failed("drawing the heatmaps to a PNG needs matplotlib, which is not installed", 3,
                             f"install it with: {install_hint('matplotlib')}") from None
        data = attention(args) if args.what == "attention" else gpt(args)
    except Failed as exc:
        data = {"error": exc.message, "status": exc.status, "hint": exc.hint}
    tmp = args.out + ".part"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, allow_nan=False)
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
