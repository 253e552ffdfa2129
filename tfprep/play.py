"""`tfprep drill gpt --play`: train the learner's own GPT on text and let it write.

The parent (the CLI) never imports torch: `run` starts `python -m tfprep.play` as a child and
yields the events it prints, one JSON object per line:

    {"event": "start", "vocab": 80, "params": 110592, "chars": 250000}
    {"event": "step", "step": 120, "elapsed": 2.1, "loss": 2.43, "val_loss": 2.51}
    {"event": "sample", "prompt": "Attention", "text": "..."}
    {"event": "error", "message": "..."}

The corpus is text we wrote (the question banks' answers), character-level; the model is built
from the learner's `GPT` class with a small configuration that trains in about a minute on a
laptop CPU.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

CONFIG = {"d_model": 64, "n_layers": 2, "n_heads": 4, "max_len": 64, "batch": 32, "lr": 2e-3}
PROMPT = "Attention"


def corpus_text() -> str:
    """The banks' answers, one after another: about a quarter of a million characters."""
    from tfprep import banks

    parts = [q.answer.strip() for bank in banks.load_all().values() for q in bank.questions]
    return "\n\n".join(parts) + "\n"


def run(file: Path, corpus: Path, *, seconds: float, temperature: float, top_k: int | None,
        length: int = 400, seed: int = 0) -> Iterator[dict]:
    """Train in a child process and yield its events; the child is killed if the caller stops."""
    cmd = [sys.executable, "-m", "tfprep.play", str(file), str(corpus), "--seconds", str(seconds),
           "--temperature", str(temperature), "--length", str(length), "--seed", str(seed)]
    if top_k is not None:
        cmd += ["--top-k", str(top_k)]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                yield json.loads(line)
            except ValueError:
                continue  # the learner's own prints
        proc.wait()
        if proc.returncode:
            err = (proc.stderr.read() if proc.stderr else "").strip().splitlines()
            yield {"event": "error", "message": err[-1] if err else f"the training process exited with {proc.returncode}"}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- the child ---------------------------------------------------------------------------------

def _emit(**record) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def _train(file: str, corpus: str, seconds: float, temperature: float, top_k: int | None, length: int,
           seed: int) -> None:
    import importlib.util
    import time

    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    text = Path(corpus).read_text(encoding="utf-8")
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    split = int(0.9 * len(data))
    train, val = data[:split], data[split:]

    spec = importlib.util.spec_from_file_location("learner_gpt", file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    c = CONFIG
    model = module.GPT(len(chars), c["d_model"], c["n_layers"], c["n_heads"], c["max_len"])
    params = sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())
    _emit(event="start", vocab=len(chars), params=params, chars=len(text), seconds=seconds)

    gen = torch.Generator().manual_seed(seed)

    def batch(source):
        starts = torch.randint(0, len(source) - c["max_len"] - 1, (c["batch"],), generator=gen)
        x = torch.stack([source[s:s + c["max_len"]] for s in starts.tolist()])  # (B, T)
        y = torch.stack([source[s + 1:s + 1 + c["max_len"]] for s in starts.tolist()])  # (B, T): next tokens
        return x, y

    @torch.no_grad()
    def val_loss() -> float:
        model.eval()
        losses = [float(model(*batch(val))[1]) for _ in range(4)]
        model.train()
        return sum(losses) / len(losses)

    from tfprep.grading.adam import Adam

    opt = Adam(model.parameters(), lr=c["lr"])
    model.train()
    start = last = time.monotonic()
    step, smooth = 0, None
    while time.monotonic() - start < seconds:
        x, y = batch(train)
        _, loss = model(x, y)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        value = loss.item()
        smooth = value if smooth is None else 0.9 * smooth + 0.1 * value
        now = time.monotonic()
        if now - last >= 0.5:
            _emit(event="step", step=step, elapsed=round(now - start, 2), loss=round(smooth, 4))
            last = now
    _emit(event="step", step=step, elapsed=round(time.monotonic() - start, 2), loss=round(smooth or 0.0, 4),
          val_loss=round(val_loss(), 4))
    model.eval()
    prompt = torch.tensor([[stoi[ch] for ch in PROMPT if ch in stoi]], dtype=torch.long)
    out = model.generate(prompt, length, temperature=temperature, top_k=top_k)
    _emit(event="sample", prompt=PROMPT, text="".join(chars[i] for i in out[0].tolist()))


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m tfprep.play")
    p.add_argument("file")
    p.add_argument("corpus")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--length", type=int, default=400)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    try:
        _train(a.file, a.corpus, a.seconds, a.temperature, a.top_k, a.length, a.seed)
    except Exception as exc:  # the learner's model failed outside the graded shapes: say what and where
        import traceback

        frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) == os.path.abspath(a.file)]
        where = f" (line {frames[-1].lineno} of your file: {(frames[-1].line or '').strip()})" if frames else ""
        _emit(event="error", message=f"{type(exc).__name__}: {str(exc).strip()[:300]}{where}")
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
