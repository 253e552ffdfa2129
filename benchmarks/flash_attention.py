"""Flash-attention speed: tfprep's reference Triton kernel against PyTorch's SDPA, on a CUDA GPU.

    python benchmarks/flash_attention.py [--file my_flash.py] [--out benchmarks/results]

Shapes are the Triton tutorial's: fp16, B=4, H=32, N = 1024 .. 16384, D = 64 and 128, causal and
not, forward and backward. Every candidate is timed with `triton.testing.do_bench` (median) in
one process: the reference, SDPA forced to its FLASH backend (`torch.nn.attention.sdpa_kernel`),
SDPA's default choice (cuDNN on Hopper), and your kernel with --file. Writes
OUT/flash_attention.json, OUT/flash_attention.png (if matplotlib is installed) and prints a
Markdown table for the README, followed by the project's targets for N >= 4096:

    forward  >= 1.2x SDPA FLASH (causal and not), aim >= 0.8x SDPA default
    backward >= 0.8x SDPA FLASH

Without a GPU it exits 3. `--smoke` runs tiny shapes on the CPU under Triton's interpreter to
check this script's plumbing only.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tfprep import flashbench  # noqa: E402

TARGETS = [("fwd", "sdpa_flash", 1.2), ("fwd", "sdpa_default", 0.8), ("bwd", "sdpa_flash", 0.8)]


def markdown(result: dict) -> str:
    subject = result["subject"]
    names = list(result["rows"][0]["tflops"])
    lines = [f"{result['device']}, torch {result['torch']}, triton {result['triton']}, {result['dtype']}, "
             f"B={result['B']} H={result['H']}; measured {result['matmul']}: {result['matmul_tflops']:.0f} TFLOP/s",
             "",
             "| pass | D | N | " + " | ".join(f"{n} TFLOP/s" for n in names) + f" | {subject}/FLASH | {subject}/default | of matmul peak |",
             "|---|---|---|" + "---|" * (len(names) + 3)]
    for r in result["rows"]:
        tf = r["tflops"]
        mine = tf[subject]

        def ratio(other):
            return f"{mine / tf[other]:.2f}x" if mine and tf.get(other) else "—"

        lines.append(f"| {r['mode']} {'causal' if r['causal'] else 'full'} | {r['D']} | {r['N']} | "
                     + " | ".join(f"{tf[n]:.1f}" if tf[n] else "—" for n in names)
                     + f" | {ratio('sdpa_flash')} | {ratio('sdpa_default')} | "
                     + (f"{mine / result['matmul_tflops']:.0%}" if mine else "—") + " |")
    return "\n".join(lines)


def targets(result: dict, min_n: int) -> list[str]:
    subject = result["subject"]
    out = []
    for mode, other, bar in TARGETS:
        ratios = [r["tflops"][subject] / r["tflops"][other] for r in result["rows"]
                  if r["mode"] == mode and r["N"] >= min_n and r["tflops"][subject] and r["tflops"].get(other)]
        if ratios:
            worst = min(ratios)
            out.append(f"{mode} {subject}/{other} at N >= {min_n}: worst {worst:.2f}x, best {max(ratios):.2f}x "
                       f"(target {bar}x: {'met' if worst >= bar else 'MISSED'})")
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--file", help="benchmark this kernel file instead of the reference")
    p.add_argument("--out", default="benchmarks/results", help="folder for the JSON and PNG")
    p.add_argument("--smoke", action="store_true", help="tiny CPU run under the interpreter (plumbing only)")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    argv = ["--json", str(out / "flash_attention.json"), "--plot", str(out / "flash_attention.png")]
    if args.file:
        argv += ["--file", args.file]
    if args.smoke:
        argv += ["--smoke", "--n", "32,64", "--d", "16", "--batch", "1", "--heads", "2"]
    rc = flashbench.main(argv)
    if rc:
        return rc
    result = json.loads((out / "flash_attention.json").read_text())
    print(markdown(result))
    print()
    for line in targets(result, 64 if args.smoke else 4096):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
