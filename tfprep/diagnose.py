"""`tfprep doctor`: what works on this machine and how to fix what does not.

One finding per capability, {name, status, detail, fix, optional}: status is "ok", "missing" (not
installed, or not here) or "broken" (installed, but it fails); fix is the command that fixes it
(None when there is nothing to run). numpy, torch and triton are never imported in this
process: each is checked in a child process (`python -m tfprep.probe`, all at once) with a time
limit, so an install that raises, hangs or kills its interpreter is a "broken" finding, not a
crash of doctor. An optional capability (an extra, the GPU) that is missing is no failure; one
that is installed but broken is.
"""
from __future__ import annotations

import importlib.util
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

from tfprep import drills, paths, store
from tfprep.errors import TfprepError

DEFAULT_TIMEOUT_S = 60.0  # per child check; TFPREP_DOCTOR_TIMEOUT overrides it
OK, MISSING, BROKEN = "ok", "missing", "broken"
STORE = "progress store"
REINSTALL = {"numpy": "pip install --force-reinstall 'numpy>=1.24'",
             "torch": "pip install --force-reinstall 'torch>=2.1'",
             "triton": "pip install --force-reinstall 'triton>=3.2'"}


# missing, these are no failure (an extra not installed, no GPU here); broken, they are
OPTIONAL = {"torch", "triton", "GPU", "grader sandbox", "anki export", "plots", "notebooks"}


def _finding(name: str, status: str, detail: str, fix: str | None = None) -> dict:
    return {"name": name, "status": status, "detail": detail, "fix": fix, "optional": name in OPTIONAL}


def timeout_s() -> float:
    try:
        return max(1.0, float(os.environ.get("TFPREP_DOCTOR_TIMEOUT", DEFAULT_TIMEOUT_S)))
    except ValueError:
        return DEFAULT_TIMEOUT_S


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a half-imported module, or a spec-less entry in sys.modules
        return False


def version(dist: str) -> str | None:
    """The installed distribution's version, read from its metadata (nothing is imported)."""
    import importlib.metadata

    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


# --- child processes ------------------------------------------------------------------------

class _Probe:
    """`python -m tfprep.probe KIND...` started now, read later."""

    def __init__(self, kinds: list[str], interpret: bool = False):
        env = dict(os.environ)
        env.pop("TRITON_INTERPRET", None)
        if interpret:
            env["TRITON_INTERPRET"] = "1"
        self.kinds = kinds
        self.proc = subprocess.Popen([sys.executable, "-m", "tfprep.probe", *kinds], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
                                     start_new_session=True)  # its own group: a timeout ends it and its children

    def results(self, deadline: float) -> dict[str, dict]:
        """Each kind's JSON facts, or {"error": why}: an exception, a crash, a hang, no answer, or
        an earlier kind that failed (the later ones are not tried)."""
        import json

        why = None
        try:
            out, err = self.proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self._kill()
            out, err = self.proc.communicate()
            why = f"did not finish in {timeout_s():g} s (hung? TFPREP_DOCTOR_TIMEOUT sets the limit)"
        found: dict[str, dict] = {}
        for line in out.splitlines():
            try:
                facts = json.loads(line)
            except ValueError:
                continue
            if isinstance(facts, dict) and facts.get("kind") in self.kinds:
                found[facts.pop("kind")] = facts
        rc = self.proc.returncode
        if why is None and rc is not None and rc < 0:
            try:
                name = signal.Signals(-rc).name
            except ValueError:
                name = f"signal {-rc}"
            why = f"the interpreter crashed ({name})"
        if why is None:
            last = [ln.strip() for ln in err.splitlines() if ln.strip()]
            why = f"exit status {rc}" + (f": {last[-1][:300]}" if last else "")
        failed = next((k for k in self.kinds if "error" in found.get(k, {})), None)
        for kind in self.kinds:
            if kind not in found:
                found[kind] = {"error": f"not checked: {failed} fails" if failed else why}
        return found

    def _kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            self.proc.kill()


# --- each capability ------------------------------------------------------------------------

def _python() -> dict:
    v = platform.python_version()
    if sys.version_info >= (3, 10):
        return _finding("Python", OK, f"{v} ({sys.executable})")
    return _finding("Python", BROKEN, f"{v} ({sys.executable}): tfprep needs Python 3.10 or newer",
                    "install Python 3.10 or newer, then in it: python3 -m pip install tfprep")


def _numpy(facts: dict | None) -> dict:
    if facts is None:
        return _finding("numpy", MISSING, "not installed: tfprep needs it (the NumPy drills, the grader)",
                        "pip install 'numpy>=1.24'")
    if "error" in facts:
        return _finding("numpy", BROKEN, f"{version('numpy') or 'installed'}, but it fails: {facts['error']}",
                        REINSTALL["numpy"])
    return _finding("numpy", OK, facts["version"])


def _torch(facts: dict | None, gpu: bool) -> dict:
    if facts is None:
        return _finding("torch", MISSING, "not installed: needed by the PyTorch drills and the Triton tier",
                        drills.INSTALL["torch"])
    if "error" in facts:
        return _finding("torch", BROKEN, f"{version('torch') or 'installed'}, but it fails: {facts['error']}",
                        REINSTALL["torch"])
    v = facts["version"]
    if not facts.get("cuda"):
        if gpu:
            return _finding("torch", OK, f"{v}, CPU build: the GPU here is not used",
                            "for the GPU, a CUDA build (PyPI's Linux wheel is one): pip install --force-reinstall "
                            "'torch>=2.1'")
        return _finding("torch", OK, f"{v}, CPU build (CUDA not available)")
    build = f"{v}, CUDA {facts['cuda']} build"
    if facts.get("available"):
        n = facts.get("devices") or 1
        return _finding("torch", OK, f"{build}, CUDA available ({n} x {facts.get('device')})")
    if gpu:
        return _finding("torch", BROKEN, f"{build}, but CUDA is not available although a GPU is here (a driver "
                        "older than this build needs?)", "update the NVIDIA driver, or install the torch build for "
                        "the CUDA version nvidia-smi reports (pytorch.org/get-started)")
    return _finding("torch", OK, f"{build}; no GPU here, so it runs on the CPU")


def _triton_install(gpu: bool) -> str:
    return drills.install_command(["triton"], gpu)


def _triton(cpu: dict | None, on_gpu: dict | None, has_torch: bool, torch_failed: bool, gpu: bool) -> dict:
    v = version("triton") or "installed"
    if not installed("triton"):
        if not sys.platform.startswith("linux"):
            return _finding("triton", MISSING, "not installed: Triton runs on Linux only, so the Triton drills "
                            "cannot run here", None)
        return _finding("triton", MISSING, "not installed: needed by the Triton drills", _triton_install(gpu))
    if not has_torch:
        return _finding("triton", MISSING, f"{v}, but the Triton drills (and this check) need torch too",
                        drills.INSTALL["torch"])
    if torch_failed:
        return _finding("triton", BROKEN, f"{v}; not checked: torch fails (see its line)", REINSTALL["torch"])
    if cpu is None or "error" in cpu:
        why = cpu["error"] if cpu else "not run"
        return _finding("triton", BROKEN, f"{v}, but a tiny kernel fails in the CPU interpreter "
                        f"(TRITON_INTERPRET=1): {why}", REINSTALL["triton"])
    detail = f"{cpu.get('version', v)}: a tiny kernel runs in the CPU interpreter (TRITON_INTERPRET=1)"
    if on_gpu is None:
        return _finding("triton", OK, detail + ("" if not gpu else "; not tried on the GPU"))
    if "error" in on_gpu:
        return _finding("triton", BROKEN, f"{detail}, but fails on the GPU: {on_gpu['error']}",
                        "pip install --force-reinstall 'torch>=2.1' 'triton>=3.2'   (a torch and a triton that match)")
    if on_gpu.get("skipped"):
        return _finding("triton", OK, f"{detail}; not tried on the GPU: {on_gpu['skipped']}")
    return _finding("triton", OK, f"{detail} and on the GPU ({on_gpu.get('device')})")


def _nvidia_smi() -> tuple[str | None, str | None]:
    """(one line per GPU "name, memory, driver", None) or (None, why nvidia-smi failed); (None, None)
    when there is no nvidia-smi."""
    import shutil

    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None, None
    try:
        res = subprocess.run([exe, "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=min(20.0, timeout_s()), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, "nvidia-smi did not answer in time"
    except OSError as exc:
        return None, f"nvidia-smi cannot run: {exc.strerror or exc}"
    lines = [ln.strip() for ln in (res.stdout or "").splitlines() if ln.strip()]
    if res.returncode != 0 or not lines:
        said = [ln.strip() for ln in (res.stdout + "\n" + res.stderr).splitlines() if ln.strip()]
        return None, f"nvidia-smi failed (exit status {res.returncode})" + (f": {said[0][:300]}" if said else "")
    return "; ".join(lines), None


def _driver_version() -> str | None:
    try:
        text = Path("/proc/driver/nvidia/version").read_text()
    except OSError:
        return None
    import re

    m = re.search(r"Kernel Module\s+(?:for \S+\s+)?([0-9][0-9.]+)", text)
    return m.group(1) if m else None


def _gpu(device: bool, smi: tuple[str | None, str | None]) -> dict:
    listed, failed = smi
    if not device:
        if listed:
            return _finding("GPU", MISSING, f"nvidia-smi lists {listed}, but /dev/nvidiactl is missing: tfprep "
                            "(and CUDA) cannot reach it", "in a container, pass the GPU through "
                            "(docker run --gpus all ...)")
        return _finding("GPU", MISSING, "none: the Triton drills run in the CPU interpreter (correctness only); "
                        "speed (tfprep bench) needs a CUDA GPU", None)
    if listed:
        return _finding("GPU", OK, f"{listed} (name, memory, driver)")
    if failed:
        return _finding("GPU", BROKEN, f"/dev/nvidiactl is here, but {failed}",
                        "reinstall or reload the NVIDIA driver until `nvidia-smi` lists the GPU (after a driver "
                        "update: reboot)")
    driver = _driver_version()
    return _finding("GPU", OK, "an NVIDIA GPU is present (/dev/nvidiactl)" + (f", driver {driver}" if driver else "")
                    + "; nvidia-smi is not on PATH")


def _writable(folder: Path) -> str | None:
    """None when `folder` can be written (or created), else why not."""
    if folder.exists():
        if not folder.is_dir():
            return f"{folder} is a file, not a folder"
        if not os.access(folder, os.W_OK | os.X_OK):
            return f"{folder} is not writable"
        import tempfile

        try:  # permissions can say yes on a read-only file system
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".tfprep-doctor-"):
                pass
        except OSError as exc:
            return f"{folder} cannot be written ({exc.strerror or exc})"
        return None
    parent = folder.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        return f"{folder} does not exist and cannot be created ({parent} is not writable)"
    return None


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


def _store() -> dict:
    path = paths.db_path()
    if not path.exists():
        why = _writable(path.parent)
        if why:
            return _finding(STORE, BROKEN, f"{path} cannot be created: {why}",
                            "point TFPREP_HOME at a folder you can write to")
        return _finding(STORE, OK, f"{path}: not created yet (the first quiz or drill creates it)")
    try:
        conn = store.connect(path, write=False)
    except TfprepError as exc:
        return _finding(STORE, BROKEN, exc.message, exc.hint)
    try:
        reviews = conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
        recorded = store._recorded(conn) or []
        newer = store.unknown_migrations(conn)
    except Exception as exc:  # sqlite3 errors on a store that opened: still a finding
        return _finding(STORE, BROKEN, f"{path}: {exc}", store.REPAIR_HINT)
    finally:
        conn.close()
    known = [name for name, _ in store.MIGRATIONS]
    size = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    where = f"{path} ({_size(size)})"
    if newer:
        return _finding(STORE, BROKEN, f"{where}: written by a newer tfprep (migration {newer[0]}); this version "
                        "can read it but not write it", "pip install -U tfprep")
    done = sum(name in recorded for name in known)
    return _finding(STORE, OK, f"{where}: integrity ok (quick_check), schema {done}/{len(known)} migrations, "
                    f"{reviews} reviews")


def _workspace() -> dict:
    try:
        folder = paths.workspace()
    except TfprepError as exc:
        return _finding("workspace", BROKEN, exc.message, exc.hint)
    why = _writable(folder)
    if why:
        return _finding("workspace", BROKEN, f"drill files cannot be written: {why}",
                        "tfprep config workspace ~/tfprep-drills   (or fix the folder's permissions)")
    return _finding("workspace", OK, f"{folder}" + ("" if folder.exists() else " (created by the first drill)"))


def _sandbox() -> dict:
    from tfprep.grading import sandbox

    abi = sandbox.landlock_abi()
    if abi:
        return _finding("grader sandbox", OK, f"Landlock ABI {abi}: graded code can write only its own private folder")
    return _finding("grader sandbox", MISSING, "no Landlock on this kernel: graded code runs in a private folder "
                    "without TFPREP_HOME, but is not fenced from writing elsewhere", None)


def _extra(name: str, modules: tuple[str, ...], what: str, fix: str) -> dict:
    absent = [m for m in modules if not installed(m)]
    if absent:
        return _finding(name, MISSING, f"{', '.join(absent)} not installed: needed for {what} only", fix)
    return _finding(name, OK, ", ".join(f"{m} {version(m) or ''}".strip() for m in modules) + f": {what}")


def _plot_install() -> str:
    try:
        from tfprep import plot  # light: matplotlib is imported only when a chart is drawn

        return plot.INSTALL
    except ImportError:
        return "pip install 'tfprep[bench]'"


def findings() -> list[dict]:
    gpu = drills.gpu_present()
    has = {m: installed(m) for m in ("numpy", "torch", "triton")}
    probes: list[_Probe] = []  # all at once; torch's child goes on to the interpreter canary (one torch import)
    if has["numpy"]:
        probes.append(_Probe(["numpy"]))
    if has["torch"]:
        probes.append(_Probe(["torch", "triton"] if has["triton"] else ["torch"], interpret=True))
        if has["triton"] and gpu:
            probes.append(_Probe(["triton-gpu"]))
    deadline = time.monotonic() + timeout_s()
    facts: dict[str, dict] = {}
    try:
        smi = _nvidia_smi()  # while the children work
        rows_here = [_python(), _store(), _workspace()]
        for p in probes:
            facts.update(p.results(deadline))
    finally:
        for p in probes:  # an interrupt leaves no child behind
            if p.proc.poll() is None:
                p._kill()
    python, store_row, workspace = rows_here
    return [
        python,
        _numpy(facts.get("numpy")),
        _torch(facts.get("torch"), gpu),
        _triton(facts.get("triton"), facts.get("triton-gpu"), has["torch"], "error" in facts.get("torch", {}), gpu),
        _gpu(gpu, smi),
        store_row,
        workspace,
        _sandbox(),
        _extra("anki export", ("genanki",), "`tfprep bank export --format anki`", "pip install 'tfprep[anki]'"),
        _extra("plots", ("matplotlib",), "`tfprep stats --plot` and the benchmark plots", _plot_install()),
        _extra("notebooks", ("nbclient", "ipykernel"), "running tfprep.check in Jupyter notebooks",
               "pip install nbclient ipykernel"),
    ]


def failures(rows: list[dict]) -> list[dict]:
    """What stops something tfprep promises here: anything broken, or a required part missing."""
    return [f for f in rows if f["status"] == BROKEN or (f["status"] == MISSING and not f["optional"])]
