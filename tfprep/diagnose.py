"""`tfprep doctor`: what works on this machine and how to fix what does not. Imports nothing heavy:
torch and triton are looked for, not loaded."""
from __future__ import annotations

import importlib.util

from tfprep import drills, paths, store
from tfprep.errors import TfprepError


def _store() -> dict:
    path = paths.db_path()
    try:
        conn = store.connect(path, write=False)
    except TfprepError as exc:
        return {"name": "progress store", "ok": False, "detail": exc.message, "fix": exc.hint}
    try:
        reviews = conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
        newer = store.unknown_migrations(conn)
    finally:
        conn.close()
    if newer:
        return {"name": "progress store", "ok": True, "detail": f"{path}: written by a newer tfprep "
                f"(migration {newer[0]}); readable, not writable", "fix": "upgrade tfprep"}
    return {"name": "progress store", "ok": True, "detail": f"{path}: sound, {reviews} reviews", "fix": None}


def _module(name: str, install: str) -> dict:
    found = importlib.util.find_spec(name) is not None
    return {"name": name, "ok": found, "detail": "installed" if found else "not installed",
            "fix": None if found else install}


def findings() -> list[dict]:
    from tfprep.grading import sandbox

    abi = sandbox.landlock_abi()
    gpu = drills.gpu_present()
    return [
        _store(),
        _module("torch", drills.INSTALL["torch"]),
        _module("triton", drills.INSTALL["triton"]),
        {"name": "GPU", "ok": gpu, "detail": "an NVIDIA GPU is present" if gpu else
         "none: Triton drills run in the CPU interpreter (correctness only)", "fix": None},
        {"name": "grader sandbox", "ok": abi > 0, "detail": f"Landlock ABI {abi}: graded code can write only "
         "its own private folder" if abi else "no Landlock on this kernel: graded code runs in a private folder "
         "without TFPREP_HOME, but is not fenced from writing elsewhere", "fix": None},
    ]
