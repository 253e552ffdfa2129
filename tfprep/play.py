"""`tfprep drill gpt --play`: train the learner's own GPT on text and let it write.

The parent (the CLI) never imports torch: `run` starts `python -m tfprep.play` as a child and
yields the events it prints, one JSON object per line:

    {"event": "start", "vocab": 80, "params": 110592, "chars": 250000}
    {"event": "step", "step": 120, "elapsed": 2.1, "loss": 2.43, "val_loss": 2.51}
    {"event": "saved", "path": ".../play/gpt/model.pt", "kept": null}
    {"event": "sample", "prompt": "Attention", "text": "...", "saved": ".../play/gpt/model.pt"}
    {"event": "error", "message": "..."}

The corpus is text we wrote (the question banks' answers), character-level; the model is built
from the learner's `GPT` class with a small configuration that trains in about a minute on a
laptop CPU.

After training, the model is saved (before sampling) to TFPREP_HOME/play/gpt/model.pt, one
`torch.save` file holding all it takes to rebuild it — a copy of the learner's source, the
config, the character vocabulary, the state_dict, how it was trained and a sentence of its
training text — so `tfprep viz gpt` can load it. It is written to a temporary file and moved
into place with os.replace; a previous save is kept beside it (model.pt.<time>.bak), never
overwritten. Load it with `torch.load(path, weights_only=True)`: it holds tensors, numbers and
strings only.
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
SAVE_FORMAT = 1  # the layout of the saved file (bump it when the keys change)


def model_path() -> Path:
    """Where --play saves the trained GPT (and `tfprep viz gpt` finds it)."""
    from tfprep import paths

    return paths.home() / "play" / "gpt" / "model.pt"


def sample_sentence(text: str, longest: int = 32) -> str:
    """A short sentence of `text` for `tfprep viz gpt` to show: the first that mentions attention
    (20 to `longest` characters, plain ASCII on one line), else the first such sentence, else the
    text's first characters."""
    import re

    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text)]
    fits = [s for s in sentences if 20 <= len(s) <= longest and s.isascii() and s.isprintable() and s[:1].isupper()]
    return next((s for s in fits if "attention" in s.lower()), fits[0] if fits else text[:longest])


def corpus_text() -> str:
    """The banks' answers, one after another: about a quarter of a million characters."""
    from tfprep import banks

    parts = [q.answer.strip() for bank in banks.load_all().values() for q in bank.questions]
    return "\n\n".join(parts) + "\n"


def run(file: Path, corpus: Path, *, seconds: float, temperature: float, top_k: int | None,
        length: int = 400, seed: int = 0, save: Path | None = None) -> Iterator[dict]:
    """Train in a child process and yield its events; the child is killed if the caller stops.
    The trained model is saved to `save` (default: `model_path()`)."""
    cmd = [sys.executable, "-m", "tfprep.play", str(file), str(corpus), "--seconds", str(seconds),
           "--temperature", str(temperature), "--length", str(length), "--seed", str(seed),
           "--save", str(save or model_path())]
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


def save_model(path: Path, bundle: dict) -> Path | None:
    """torch.save `bundle` to `path` atomically (a temporary file beside it, then os.replace);
    a file already at `path` is kept as PATH.<time>.bak first. Returns the kept file, if any."""
    import tempfile

    import torch

    from tfprep import paths

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as an ordinary file, not mkstemp's 0600
        with os.fdopen(fd, "wb") as f:
            torch.save(bundle, f)
            f.flush()
            os.fsync(f.fileno())
        kept = None
        if path.exists():
            kept = paths.keep_as_bak(path)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return kept


def _train(file: str, corpus: str, seconds: float, temperature: float, top_k: int | None, length: int,
           seed: int, save: str | None = None) -> None:
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
    elapsed, held_out = round(time.monotonic() - start, 2), round(val_loss(), 4)
    _emit(event="step", step=step, elapsed=elapsed, loss=round(smooth or 0.0, 4), val_loss=held_out)
    model.eval()
    saved = None
    if save:
        from datetime import datetime, timezone

        bundle = {"format": SAVE_FORMAT, "source": Path(file).read_text(encoding="utf-8"),
                  "source_path": os.path.abspath(file),
                  "config": {"vocab_size": len(chars), "d_model": c["d_model"], "n_layers": c["n_layers"],
                             "n_heads": c["n_heads"], "max_len": c["max_len"]},
                  "chars": chars, "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
                  "trained": {"steps": step, "seconds": elapsed, "loss": round(smooth or 0.0, 4), "val_loss": held_out,
                              "seed": seed, "batch": c["batch"], "lr": c["lr"],
                              "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds")},
                  "sample_text": sample_sentence(text)}
        try:
            kept = save_model(Path(save), bundle)
            saved = str(save)
            _emit(event="saved", path=saved, kept=str(kept) if kept else None)
        except OSError as exc:  # the sample is still worth showing
            _emit(event="saved", path=None, kept=None, error=f"cannot save the model to {save}: {exc.strerror or exc}")
    prompt = torch.tensor([[stoi[ch] for ch in PROMPT if ch in stoi]], dtype=torch.long)
    out = model.generate(prompt, length, temperature=temperature, top_k=top_k)
    _emit(event="sample", prompt=PROMPT, text="".join(chars[i] for i in out[0].tolist()), saved=saved)


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
    p.add_argument("--save", default=None, help="where to save the trained model (torch.save)")
    a = p.parse_args(argv)
    try:
        _train(a.file, a.corpus, a.seconds, a.temperature, a.top_k, a.length, a.seed, a.save)
    except Exception as exc:  # the learner's model failed outside the graded shapes: say what and where
        import traceback

        frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) == os.path.abspath(a.file)]
        where = f" (line {frames[-1].lineno} of your file: {(frames[-1].line or '').strip()})" if frames else ""
        _emit(event="error", message=f"{type(exc).__name__}: {str(exc).strip()[:300]}{where}")
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
