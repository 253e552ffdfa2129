"""pytest plugin loaded into the grading child process (`-p tfprep.grading.plugin`).

It provides the `sub` fixture (the learner's module, imported lazily and defensively), writes
one JSON line per event to the file named by TFPREP_RESULTS, and watches for a submission that
rebinds numpy, the check helpers or the reference implementations. The parent process decides
the verdict from these records alone; a record that is missing counts as a failure.

Before any suite or submission loads, it fences the process (see `sandbox`): writes only under
the private directory named by TFPREP_SANDBOX. While the submission's own code runs (its import
and every call through `Submission.fn`), `_Shortcuts` refuses imports of tfprep and of its
content packages, reads of the installed content files, and, in the NumPy tier, imports of
another array library; a refusal fails every check with the reason and a `refused:` label.

Record kinds: {"event": "collected", "ids": [...], "titles": {...}}, {"event": "start", "id"},
{"event": "result", "id", "outcome", "message", "bug", "duration"}, {"event": "tamper",
"message"}, {"event": "finish"}; suites add {"event": "note", "text"} through `checks.note`.
"""
from __future__ import annotations

import contextlib
import errno
import importlib.abc
import importlib.util
import json
import os
import sys
import traceback
import types
from typing import Any

import numpy
import numpy.linalg
import numpy.random
import pytest

from tfprep.grading import checks, sandbox
from tfprep.grading.checks import CheckFailed

SUBMISSION_MODULE = "submission"
_fd: int | None = None
_snapshot: dict[str, tuple[Any, dict[str, Any]]] = {}
_tampered: list[str] = []
_reports: dict[str, dict[str, Any]] = {}


def _emit(record: dict[str, Any]) -> None:
    if _fd is not None:
        os.write(_fd, (json.dumps(record) + "\n").encode())


def _memory_limit_text() -> str:
    mb = int(os.environ.get("TFPREP_MEMORY_MB", "0") or 0)
    return f"more than {mb / 1024:.1f} GB" if mb else "more memory than is available"


# --- tamper detection ---------------------------------------------------------------------

def _watched_modules() -> dict[str, Any]:
    names = ["numpy", "numpy.linalg", "numpy.random", "numpy.testing", "math", "builtins",
             "pytest", "tfprep.grading.checks", "tfprep.grading.plugin", "tfprep.grading.models",
             "torch.nn.functional", "torch.nn.init"]
    names += [n for n in sys.modules if n.startswith(REFERENCES)]
    names += [n for n in sys.modules if n.startswith(("torch", "triton")) and n.count(".") == 0]
    return {n: sys.modules[n] for n in names if n in sys.modules}


# Attributes a library rebinds itself: importing torch._dynamo (which TorchDispatchMode and
# others do lazily) wraps torch.manual_seed.
_SELF_REBOUND = {"torch": {"manual_seed"}}


def _take_snapshot(extra: dict[str, Any]) -> None:
    mods = _watched_modules()
    mods.update(extra)
    for name, mod in mods.items():
        _snapshot[name] = (mod, dict(vars(mod)))  # references, compared with `is` (id() is an audit event)


def _check_tamper(when: str) -> str | None:
    if _tampered:
        return _tampered[0]
    for name, (original, attrs) in _snapshot.items():
        mod = sys.modules.get(name)
        if mod is not None and mod is not original and not name.startswith("test_"):
            msg = f"your code replaced the module `{name}` {when}"
            break
        if mod is None:
            continue
        current = vars(mod)
        allowed = _SELF_REBOUND.get(name, set())
        changed = [k for k, v in attrs.items()
                   if k in current and current[k] is not v and not k.startswith("__") and k not in allowed]
        if changed:
            msg = f"your code rebinds {', '.join(f'`{name}.{k}`' for k in sorted(changed)[:3])} {when}"
            break
    else:
        return None
    msg += ": a submission must not change numpy, PyTorch, the test helpers or the reference implementations."
    _tampered.append(msg)
    _emit({"event": "tamper", "message": msg})
    return msg


# --- shortcuts: the submission's code may not use tfprep itself --------------------------------

# The content ships inside tfprep (tfprep.content.*). The bare names are blocked too: a source
# checkout on sys.path (an editable install) also makes them importable at the top level.
REFERENCES = "tfprep.content.reference_impls"
CONTENT_PACKAGES = (REFERENCES, "tfprep.content.drills", "tfprep.content.question_bank")
OWN_PACKAGES = ("tfprep", "reference_impls", "drills", "question_bank")
# Tier 1 is graded on NumPy code: these compute with arrays (or implement the drills' concepts).
OTHER_ARRAY_LIBRARIES = ("torch", "jax", "jaxlib", "tensorflow", "keras", "cupy", "mlx", "scipy", "sklearn",
                         "numba", "tinygrad", "paddle", "mxnet", "theano", "dask", "numexpr", "cunumeric")
REFUSED_OWN = "refused: uses tfprep's own reference implementations or content"
REFUSED_PROCESS = "refused: starts another process"
PROCESS_EVENTS = frozenset({"subprocess.Popen", "os.system", "os.posix_spawn", "os.exec", "os.fork", "os.forkpty",
                            "os.spawn", "pty.spawn"})


def refused_library(name: str) -> str:
    return f"refused: computes with {name} instead of NumPy"


class _Shortcuts(importlib.abc.MetaPathFinder):
    """While `active`, the modules named in `blocked` are hidden from `sys.modules` and cannot be
    imported, and the content folders cannot be opened. The first refusal is kept for good."""

    def __init__(self):
        self.active = False
        self.blocked: tuple[str, ...] = ()
        self.libraries: tuple[str, ...] = ()
        self.roots: tuple[str, ...] = ()
        self.exempt: set[str] = set()
        self.refusal: tuple[str, str] | None = None
        self._hidden: dict[str, Any] = {}
        self._swapped: list = []
        self._names: list[str] = []
        self._functions: list = []
        self._scanned_at = -1

    def configure(self, tier: str, submission: str) -> None:
        self.libraries = OTHER_ARRAY_LIBRARIES if tier == "numpy" else ()
        self.blocked = OWN_PACKAGES + self.libraries
        roots = []
        for pkg in CONTENT_PACKAGES:
            spec = importlib.util.find_spec(pkg)
            for loc in (spec.submodule_search_locations or []) if spec else []:
                roots.append(os.path.realpath(loc) + os.sep)
        self.roots = tuple(roots)
        # the submission's own file and its bytecode cache may live among the content (a starter)
        self.exempt = {os.path.realpath(submission), os.path.realpath(importlib.util.cache_from_source(submission))
                       } if submission else set()
        sys.meta_path.insert(0, self)
        sys.addaudithook(self._audit)

    def _refuse(self, what: str, label: str) -> None:
        if self.refusal is None:
            self.refusal = (what, label)

    def _is_blocked(self, name: str) -> str | None:
        top = name.partition(".")[0]
        return top if top in self.blocked else None

    def find_spec(self, fullname, path=None, target=None):
        top = self._is_blocked(fullname) if self.active else None
        if top is None:
            return None
        if top in self.libraries:
            tier2 = " (the PyTorch tier is where torch belongs)" if top == "torch" else ""
            self._refuse(f"your code imports `{top}`: NumPy drills are graded on NumPy and the standard "
                         f"library alone{tier2}.", refused_library(top))
        else:
            self._refuse(f"your code imports `{top}`, tfprep's own package: a submission must compute the "
                         "result itself, not call the reference implementation or read the suite.", REFUSED_OWN)
        raise ImportError(f"{fullname} may not be imported by a graded submission")

    def _audit(self, event: str, args: tuple) -> None:
        if not self.active:
            return
        if event in PROCESS_EVENTS and self.libraries:
            self._refuse("your code starts another process: NumPy drills are graded on NumPy and the standard "
                         "library, computed in this process.", REFUSED_PROCESS)
            raise PermissionError("a graded NumPy submission may not start processes")
        if event != "open" or not self.roots or not isinstance(args[0], (str, bytes, os.PathLike)):
            return  # not an open, or an open file descriptor
        try:
            path = os.fsdecode(args[0])
        except (TypeError, ValueError):
            return
        # A relative path may be relative to a directory descriptor (dir_fd) the event does not
        # show: try it against the folders that hold the content too.
        bases = [os.getcwd()] if os.path.isabs(path) else [os.getcwd()] + [os.path.dirname(r.rstrip(os.sep))
                                                                           for r in self.roots]
        for base in bases:
            real = os.path.realpath(os.path.join(base, path))
            if real not in self.exempt and (real + os.sep).startswith(self.roots):
                self._refuse(f"your code reads `{real}`, part of tfprep's installed content: a submission must "
                             "compute the result itself, not load the reference or the suite.", REFUSED_OWN)
                raise PermissionError(f"{real}: tfprep's content is closed to a graded submission")

    def reference_called(self) -> None:
        self._refuse("your code calls tfprep's reference implementation (found through the suite, a frame or "
                     "the garbage collector): a submission must compute the result itself.", REFUSED_OWN)

    def _scan(self) -> None:
        """Find the modules to hide and the reference functions to swap; redone only when the set
        of loaded modules has changed since the last call (the suites load theirs up front)."""
        if len(sys.modules) == self._scanned_at:
            return
        self._names = [n for n in list(sys.modules) if self._is_blocked(n)]
        self._functions = [fn for fn in _reference_functions() if not fn.__code__.co_freevars]
        self._scanned_at = len(sys.modules)

    def __enter__(self):
        if not self.blocked:
            return self
        self._scan()
        self._hidden = {n: sys.modules[n] for n in self._names if n in sys.modules}
        # Reference functions stay reachable through the suite's globals, frames and gc: while the
        # submission runs, each one's code is swapped for `_refused_call` (a closure cannot take
        # another code object; no reference entry point is one).
        self._swapped = []
        for fn in self._functions:
            fn.__globals__["__tfprep_refuse__"] = self.reference_called
            self._swapped.append((fn, fn.__code__))
            fn.__code__ = _refused_call.__code__
        for n in self._hidden:
            del sys.modules[n]
        self.active = True
        return self

    def __exit__(self, *exc):
        if not self.blocked:
            return
        self.active = False
        for fn, code in self._swapped:
            fn.__code__ = code
            fn.__globals__.pop("__tfprep_refuse__", None)
        self._swapped = []
        if self.refusal:  # a refused import may have left half-imported modules behind
            for n in [n for n in list(sys.modules) if self._is_blocked(n)]:
                del sys.modules[n]
        sys.modules.update(self._hidden)
        self._hidden = {}


def _reference_functions() -> list:
    """Every plain function defined in a loaded reference module, methods of its classes included
    (an autograd.Function's forward and backward): what a shortcut reaches through frames or gc."""
    found, seen = [], set()

    def add(obj, modname):
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        for _ in range(3):  # a Triton kernel: Autotuner -> JITFunction -> the Python function
            if isinstance(obj, types.FunctionType) or not hasattr(obj, "fn"):
                break
            obj = obj.fn
        if isinstance(obj, types.FunctionType) and obj.__module__ == modname and obj not in seen:
            seen.add(obj)
            found.append(obj)

    for modname, mod in list(sys.modules.items()):
        if not modname.startswith(REFERENCES) or mod is None:
            continue
        for value in list(vars(mod).values()):
            add(value, modname)
            if isinstance(value, type) and value.__module__ == modname:
                for attr in vars(value).values():
                    add(attr, modname)
    return found


def _refused_call(*args, **kwargs):
    __tfprep_refuse__()  # noqa: F821 - put in the reference module's globals while the guard is up
    raise RuntimeError("tfprep's reference implementation may not be called by a graded submission")


_shortcuts = _Shortcuts()


# --- the learner's module -----------------------------------------------------------------

def _user_frame(tb) -> str:
    """`line N: source` of the deepest frame inside the submission, if any."""
    path = os.environ.get("TFPREP_SUBMISSION", "")
    found = ""
    for frame in traceback.extract_tb(tb):
        if path and os.path.abspath(frame.filename) == os.path.abspath(path):
            found = f" (line {frame.lineno} of your file: `{(frame.line or '').strip()}`)"
    return found


def _copy(value: Any) -> Any:
    if isinstance(value, numpy.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _explain(exc: BaseException, name: str) -> str:
    where = _user_frame(exc.__traceback__)
    if isinstance(exc, NotImplementedError):
        return f"NOT IMPLEMENTED: `{name}` still raises NotImplementedError{where}."
    if isinstance(exc, MemoryError):
        return f"`{name}` used {_memory_limit_text()} of memory{where}."
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        cap = int(os.environ.get("TFPREP_FILE_CAP", "0") or 0) // 2**20
        return f"`{name}` printed more than {cap} MB of output{where}."
    if isinstance(exc, RecursionError):
        return f"`{name}` recursed too deeply{where}."
    if isinstance(exc, SystemExit):
        return f"`{name}` called sys.exit(){where}: a function must return its result."
    if isinstance(exc, KeyboardInterrupt):
        return f"`{name}` raised KeyboardInterrupt{where}."
    if not isinstance(exc, Exception):  # pytest.skip/exit/fail and other control-flow exceptions
        return f"`{name}` raised {type(exc).__name__}{where}: tests cannot be skipped or stopped from a submission."
    text = str(exc).strip().splitlines()
    detail = f": {text[0][:300]}" if text else ""
    return f"`{name}` raised {type(exc).__name__}{detail}{where}."


class Submission:
    """The learner's module; `fn(name)` returns a guarded callable."""

    def __init__(self, path: str):
        self.path = path
        self.module = None
        self.import_error: str | None = None
        self._load()

    def _load(self) -> None:
        try:
            spec = importlib.util.spec_from_file_location(SUBMISSION_MODULE, self.path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot import {self.path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[SUBMISSION_MODULE] = module
            with _shortcuts:
                spec.loader.exec_module(module)
            self.module = module
        except SyntaxError as exc:
            where = f", line {exc.lineno}" if exc.lineno else ""
            self.import_error = f"SYNTAX ERROR in your file{where}: {exc.msg}."
        except BaseException as exc:  # noqa: BLE001 - anything at import time is the learner's
            self.import_error = "Your file failed while being imported: " + _explain(exc, "import")[len("`import` "):]
        tamper = _check_tamper("when your file is imported")
        if tamper:
            self.import_error = tamper

    def refused(self) -> None:
        if _shortcuts.refusal:
            raise CheckFailed(*_shortcuts.refusal)

    def attr(self, name: str):
        """The callable `name` from the learner's file, unwrapped, or a failure saying why not."""
        self.refused()
        if self.import_error:
            checks.fail(self.import_error)
        target = getattr(self.module, name, None)
        if target is None:
            kind = "CLASS" if name[:1].isupper() else "FUNCTION"
            checks.fail(f"MISSING {kind}: no `{name}` in your file.")
        if not callable(target):
            checks.fail(f"`{name}` in your file is a {type(target).__name__}, not a function.")
        return target

    def fn(self, name: str):
        target = self.attr(name)

        def guarded(*args, **kwargs):
            return self.call(name, target, *_copy(args), **_copy(kwargs))

        guarded.__name__ = name
        return guarded

    def call(self, what: str, target, *args, guard=None, **kwargs):
        """target(*args, **kwargs), the learner's code, under the shortcut guard (and `guard`, a
        context manager a tier adds); whatever it raises becomes a failed check naming `what`."""
        self.refused()
        try:
            with _shortcuts, (guard or contextlib.nullcontext()):
                result = target(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001
            self.refused()
            raise CheckFailed(_explain(exc, what)) from None
        self.refused()
        return result


_submission: list[Submission] = []


def submission() -> Submission:
    """The learner's module, imported once per grading run."""
    if not _submission:
        path = os.environ.get("TFPREP_SUBMISSION")
        if not path:
            raise RuntimeError("TFPREP_SUBMISSION is not set: run suites through `tfprep drill`")
        _submission.append(Submission(path))
    return _submission[0]


@pytest.fixture(scope="session")
def sub() -> Submission:
    return submission()


# --- recording ------------------------------------------------------------------------------

def _title(item: pytest.Item) -> str:
    doc = (getattr(getattr(item, "function", None), "__doc__", None) or "").strip()
    title = doc.splitlines()[0].rstrip(".") if doc else item.name.split("[")[0].removeprefix("test_").replace("_", " ")
    if "[" in item.name:
        title += " [" + item.name.split("[", 1)[1]
    return title


def pytest_configure(config: pytest.Config) -> None:
    global _fd
    path = os.environ.pop("TFPREP_RESULTS", None)  # the submission should not learn where records go
    if path:
        _fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    checks._note_sink = lambda text: _emit({"event": "note", "text": text})
    checks._reset_peak_rss()  # opens /proc/self/clear_refs while writes are still allowed
    box = os.environ.pop("TFPREP_SANDBOX", "")
    if box:
        why = sandbox.restrict_writes([box, "/dev/shm"])
        _emit({"event": "sandbox", "landlock": why is None, "why": why})
    if not os.environ.pop("TFPREP_TRUSTED", ""):
        _shortcuts.configure(os.environ.get("TFPREP_TIER", ""), os.environ.get("TFPREP_SUBMISSION", ""))


def pytest_collection_finish(session: pytest.Session) -> None:
    _emit({"event": "collected", "ids": [i.nodeid for i in session.items],
           "titles": {i.nodeid: _title(i) for i in session.items}})
    suites = {m.__name__: m for m in {getattr(i, "module", None) for i in session.items} if m is not None}
    _take_snapshot(suites)


def pytest_runtest_logstart(nodeid: str, location) -> None:
    _emit({"event": "start", "id": nodeid})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    message, bug = None, None
    if call.excinfo is not None:
        exc = call.excinfo.value
        if isinstance(exc, CheckFailed):
            message, bug = exc.message, exc.bug
        elif isinstance(exc, MemoryError):
            message = f"Your code used {_memory_limit_text()} of memory."
        else:
            message = f"{type(exc).__name__}: {str(exc).strip()[:500]}"
    tamper = _check_tamper("while the checks ran") if call.when == "teardown" else None
    if tamper and report.passed:
        report.outcome = "failed"
        message = tamper
    report.tfprep = (message, bug)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    rec = _reports.setdefault(report.nodeid, {"outcome": "passed", "message": None, "bug": None,
                                              "duration": 0.0, "output": 0})
    rec["duration"] += report.duration
    rec["output"] = max(rec["output"], len(report.capstdout) + len(report.capstderr))
    message, bug = getattr(report, "tfprep", (None, None))
    if report.outcome != "passed" and rec["outcome"] == "passed":
        rec["outcome"] = "failed" if report.outcome == "failed" else report.outcome
        rec["message"] = message or (f"skipped: {report.longrepr[-1]}" if report.skipped else None)
        rec["bug"] = bug
    if report.when == "teardown":
        cap = int(os.environ.get("TFPREP_OUTPUT_CAP", "1000000"))
        if rec["output"] > cap and rec["outcome"] == "passed":
            rec["outcome"] = "failed"
            rec["message"] = f"Your code printed {rec['output'] / 1e6:.1f} MB of output (limit {cap / 1e6:.1f} MB)."
        _emit({"event": "result", "id": report.nodeid, **{k: v for k, v in rec.items() if k != "output"}})


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _emit({"event": "finish", "exitstatus": int(exitstatus)})

