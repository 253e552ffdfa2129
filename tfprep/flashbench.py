"""Speed table for a flash-attention kernel against PyTorch's SDPA and tfprep's reference.

Run as a child process (`python -m tfprep.flashbench`) by `tfprep bench flash-attention` and by
benchmarks/flash_attention.py; it imports torch and triton, so the CLI never imports it.

FLOPs follow the FlashAttention papers and Triton's tutorial: 4 * B * H * N^2 * D for the
forward (two matmuls of 2 * N^2 * D each per head), half of that with a causal mask, and 2.5x
the forward for the backward (five matmuls instead of two). Times are medians of
`triton.testing.do_bench`, every candidate measured in the same process on the same inputs.

`--smoke` runs the same code path on the CPU under Triton's interpreter with tiny shapes and a
wall-clock timer: it checks the plumbing (tests use it), its numbers mean nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from tfprep.errors import ExitStatus



def _timer(smoke: bool):
    if smoke:
        def wall_ms(fn, reps: int = 3) -> float:
            fn()
            times = []
            for _ in range(reps):
                t = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t) * 1e3)
            return sorted(times)[len(times) // 2]
        return wall_ms
    from triton.testing import do_bench

    return lambda fn: float(do_bench(fn, return_mode="median"))


def load_kernel(path: str | None):
    """`flash_attention` from the user's file, or tfprep's reference (with backward) when None."""
    if path is None:
        from tfprep.content.reference_impls.flash_attention_triton_backward import flash_attention

        return flash_attention
    import importlib.util

    spec = importlib.util.spec_from_file_location("user_kernel", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn = getattr(module, "flash_attention", None)
    if fn is None:
        raise SystemExit(f"{path} defines no `flash_attention`")
    return fn


def matmul_tflops(ms_of, smoke: bool) -> float:
    """The card's measured dense bf16 matmul rate (fp32 on the CPU smoke run)."""
    n = 256 if smoke else 8192
    dtype = torch.float32 if smoke else torch.bfloat16
    device = "cpu" if smoke else "cuda"
    a, b = (torch.randn(n, n, device=device, dtype=dtype) for _ in range(2))
    return 2 * n ** 3 / ms_of(lambda: a @ b) / 1e9


def _sdpa(backend):
    def run(q, k, v, causal):
        if backend is None:
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        with sdpa_kernel(backend):
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    return run


def measure(candidates: dict, B: int, H: int, N: int, D: int, causal: bool, mode: str, dtype, device, ms_of) -> dict:
    """Milliseconds per candidate for one shape; None where a candidate cannot run it."""
    q, k, v = (torch.randn(B, H, N, D, device=device, dtype=dtype, requires_grad=(mode == "bwd")) for _ in range(3))
    do = torch.randn_like(q)
    out = {}
    for name, fn in candidates.items():
        try:
            if mode == "fwd":
                with torch.no_grad():
                    out[name] = ms_of(lambda: fn(q, k, v, causal))
            else:
                o = fn(q, k, v, causal)
                if not o.requires_grad:
                    out[name] = None  # a forward-only kernel
                    continue
                out[name] = ms_of(lambda: torch.autograd.grad(o, (q, k, v), do, retain_graph=True))
        except (RuntimeError, ValueError, TypeError) as exc:  # e.g. a backend that does not support the shape
            print(f"  {name} skipped at N={N} D={D} {mode}: {str(exc).splitlines()[0][:120]}", file=sys.stderr)
            out[name] = None
    return out


def table(user_file: str | None, ns, ds, modes, causals, B: int, H: int, smoke: bool) -> dict:
    device = "cpu" if smoke else "cuda"
    dtype = torch.float32 if smoke else torch.float16
    ms_of = _timer(smoke)
    from tfprep.content.reference_impls.flash_attention_triton_backward import flash_attention as reference

    user = load_kernel(user_file) if user_file else None
    candidates = {"reference": lambda q, k, v, c: reference(q, k, v, causal=c)}
    if user is not None:
        candidates = {"yours": lambda q, k, v, c: user(q, k, v, causal=c), **candidates}
    candidates["sdpa_flash"] = _sdpa(SDPBackend.FLASH_ATTENTION)
    candidates["sdpa_default"] = _sdpa(None)
    peak = matmul_tflops(ms_of, smoke)
    rows = []
    for mode in modes:
        for causal in causals:
            for D in ds:
                for N in ns:
                    flops = 4 * B * H * N * N * D * (0.5 if causal else 1.0) * (2.5 if mode == "bwd" else 1.0)
                    ms = measure(candidates, B, H, N, D, causal, mode, dtype, device, ms_of)
                    tflops = {name: (flops / t / 1e9 if t else None) for name, t in ms.items()}
                    rows.append({"mode": mode, "causal": causal, "N": N, "D": D, "ms": ms, "tflops": tflops})
                    print(f"  {mode} causal={causal} D={D} N={N}: " + ", ".join(
                        f"{k} {v:.1f}" for k, v in tflops.items() if v), file=sys.stderr)
    return {"device": torch.cuda.get_device_name() if not smoke else "cpu (smoke run, Triton interpreter)",
            "torch": torch.__version__, "triton": _triton_version(), "dtype": str(dtype)[6:], "B": B, "H": H,
            "matmul_tflops": peak, "matmul": "fp32 256^3 CPU matmul" if smoke else "bf16 8192^3 matmul",
            "subject": "yours" if user is not None else "reference", "rows": rows}


def _triton_version() -> str:
    import triton

    return triton.__version__


def plot(result: dict, path: str) -> bool:
    """TFLOP/s against N, one panel per (mode, causal, D); needs matplotlib (optional)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib)", file=sys.stderr)
        return False
    panels = sorted({(r["mode"], r["causal"], r["D"]) for r in result["rows"]})
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6), squeeze=False)
    for ax, (mode, causal, D) in zip(axes[0], panels):
        rows = [r for r in result["rows"] if (r["mode"], r["causal"], r["D"]) == (mode, causal, D)]
        for name in rows[0]["tflops"]:
            pts = [(r["N"], r["tflops"][name]) for r in rows if r["tflops"][name]]
            if pts:
                ax.plot(*zip(*pts), marker="o", label=name)
        ax.set_xscale("log", base=2)
        ax.set_title(f"{mode} {'causal' if causal else 'full'} D={D}")
        ax.set_xlabel("N")
        ax.set_ylabel("TFLOP/s")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"{result['device']}, {result['dtype']}, B={result['B']} H={result['H']}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return True


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tfprep.flashbench", description=__doc__.split("\n\n")[0])
    p.add_argument("--file", help="a file defining flash_attention(q, k, v, causal=False, sm_scale=None)")
    p.add_argument("--n", default="1024,2048,4096,8192,16384", help="sequence lengths, comma-separated")
    p.add_argument("--d", default="64,128", help="head dims, comma-separated")
    p.add_argument("--modes", default="fwd,bwd", help="fwd, bwd or both")
    p.add_argument("--causal", default="false,true", help="false, true or both")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--heads", type=int, default=32)
    p.add_argument("--json", dest="json_out", help="write the result as JSON here")
    p.add_argument("--plot", help="write a PNG plot of TFLOP/s against N here (needs matplotlib)")
    p.add_argument("--smoke", action="store_true", help="CPU + interpreter plumbing check; numbers mean nothing")
    args = p.parse_args(argv)
    if args.smoke:
        os.environ.setdefault("TRITON_INTERPRET", "1")  # triton is imported later, in table()
    if not args.smoke and not torch.cuda.is_available():
        print("no CUDA GPU: speed can only be measured on one", file=sys.stderr)
        return int(ExitStatus.MISSING)
    result = table(args.file, [int(x) for x in args.n.split(",")], [int(x) for x in args.d.split(",")],
                   args.modes.split(","), [c.strip().lower() == "true" for c in args.causal.split(",")],
                   args.batch, args.heads, args.smoke)
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
    else:
        print(json.dumps(result, indent=2))
    if args.plot:
        plot(result, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
