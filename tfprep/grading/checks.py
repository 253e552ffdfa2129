"""Helpers for hidden suites: compare a submission with the reference and explain failures.

Every failure raises `CheckFailed`, an AssertionError carrying a learner-facing message and,
when the submission's output matches a known classic bug, that bug's label. Suites pass known
bugs as `bugs={label: array_or_zero_arg_callable}`; callables are evaluated only on failure.

The numpy functions used here are bound at import time, before the submission is imported, so
a submission that rebinds `numpy.allclose` or friends cannot change a verdict (and the plugin
reports such rebinding anyway).
"""
from __future__ import annotations

import contextlib
import math
import os
import threading
import tracemalloc
from typing import Any, Mapping

import numpy as np

_asarray = np.asarray
_isfinite = np.isfinite
_abs = np.abs
_argmax = np.argmax
_unravel = np.unravel_index
_allclose = np.allclose
_ndarray = np.ndarray
_float64 = np.float64


class CheckFailed(AssertionError):
    """A check failed; `bug` names the classic bug the output matches, if any."""

    def __init__(self, message: str, bug: str | None = None):
        super().__init__(message)
        self.message = message
        self.bug = bug


_note_sink = None  # set by the grading plugin

NAN_CAUSES = ("exp overflowing (subtract the max first), a row with nothing to normalise over (0 / 0), "
              "or output that was never written")


def note(text: str) -> None:
    """Add a line to the learner's report that is not a verdict (speed figures, what was not checked)."""
    if _note_sink is not None:
        _note_sink(text)


def fail(message: str, bug: str | None = None) -> None:
    if bug:
        message = f"{message}\nLooks like the classic bug: {bug}."
    raise CheckFailed(message, bug)


def expect(condition: Any, message: str, bug: str | None = None) -> None:
    """Fail with `message` (naming `bug`) unless `condition` holds."""
    if not bool(condition):
        fail(message, bug)


def describe(**values: Any) -> str:
    """A short, readable description of a test case: shapes and dtypes of arrays, reprs of the rest."""
    parts = []
    for name, value in values.items():
        if isinstance(value, _ndarray):
            parts.append(f"{name} {tuple(value.shape)} {value.dtype}")
        else:
            parts.append(f"{name}={value!r}")
    return ", ".join(parts)


def _resolve(candidate: Any) -> Any:
    try:
        return candidate() if callable(candidate) else candidate
    except Exception:  # a bug variant that cannot run on this input simply does not match
        return None


def _distance(got_arr, out) -> float | None:
    """Max abs difference between `got_arr` and a bug's output on their finite entries, or None
    when the bug cannot have produced `got_arr` (other shape, other NaN/inf pattern)."""
    try:
        bug_arr = _asarray(out, dtype=_float64)
    except (TypeError, ValueError):
        return None
    if bug_arr.shape != got_arr.shape:
        return None
    both_finite = _isfinite(bug_arr) & _isfinite(got_arr)
    same_nonfinite = ((~_isfinite(bug_arr)) & (~_isfinite(got_arr))) | both_finite
    if not same_nonfinite.all():
        return None
    if not both_finite.any():
        return 0.0
    return float(_abs(got_arr - bug_arr)[both_finite].max())


def bug_matches(got: Any, bugs: Mapping[str, Any] | None, rtol: float, atol: float,
                expected: Any = None) -> list[tuple[str, float]]:
    """(label, distance) of every known bug whose output `got` matches, closest first.

    A bug matches when its output is allclose to `got` (at least rtol 1e-3 / atol 1e-4) with the
    same NaN/inf pattern. With `expected`, it must also explain the error: `got` has to be at
    least twice as close to the bug's output as to the expected one (a bug whose effect is tiny
    on this input would otherwise "match" any small deviation)."""
    if not bugs:
        return []
    try:
        got_arr = _asarray(got, dtype=_float64)
        exp_arr = None if expected is None else _asarray(expected, dtype=_float64)
    except (TypeError, ValueError):
        return []
    miss = _distance(got_arr, exp_arr) if exp_arr is not None else None
    rt, at = max(rtol, 1e-3), max(atol, 1e-4)
    found = []
    for label, candidate in bugs.items():
        out = _resolve(candidate)
        if out is None:
            continue
        dist = _distance(got_arr, out)
        if dist is None:
            continue
        bug_arr = _asarray(out, dtype=_float64)
        finite = _isfinite(bug_arr)
        if finite.any() and not _allclose(got_arr[finite], bug_arr[finite], rtol=rt, atol=at):
            continue
        if miss and dist > 0.5 * miss:
            continue  # as close to the right answer as to this bug: not evidence of it
        found.append((label, dist))
    return sorted(found, key=lambda x: x[1])


def unique_best(found: list[tuple[str, float]]) -> str | None:
    """The one bug that explains the output better than every other: the only match, or one
    at least ten times closer than the runner-up. Two bugs that agree on this input name none."""
    if not found:
        return None
    if len(found) == 1:
        return found[0][0]
    (best, d1), (_, d2) = found[0], found[1]
    return best if d1 * 10 <= d2 and d2 > 0 else None


def matching_bug(got: Any, bugs: Mapping[str, Any] | None, rtol: float, atol: float,
                 expected: Any = None) -> str | None:
    """The label of the known bug that uniquely best explains `got`, or None (see `bug_matches`)."""
    return unique_best(bug_matches(got, bugs, rtol, atol, expected))


def diagnose(got: Any, bugs: Mapping[str, Any] | None, rtol: float, atol: float,
             expected: Any = None) -> tuple[str | None, str]:
    """(bug label, a sentence for the message) for a wrong output: the uniquely best-matching
    bug, or a sentence saying that several fit equally or that none does."""
    found = bug_matches(got, bugs, rtol, atol, expected)
    bug = unique_best(found)
    if bug or not bugs:
        return bug, ""
    if found:
        names = "; ".join(label for label, _ in found[:3])
        return None, f"\nOn this input it fits several classic bugs equally well ({names}), so none is named."
    return None, "\nIt matches none of the classic bugs this check knows."


def nearest(got: Any, candidates: list) -> Any:
    """Of several outputs one bug can produce (it has more than one way to be written), the one
    closest to what the submission returned; used to build a `bugs=` entry. Outputs with the
    submission's NaN/inf pattern come first, then by the largest difference on finite entries."""
    try:
        g = _asarray(got, dtype=_float64)
    except (TypeError, ValueError):
        return candidates[0]
    same = [c for c in candidates if _asarray(c).shape == g.shape]
    if not same:
        return candidates[0]

    def score(c):
        d = _distance(g, c)
        rough = float(np.nan_to_num(_abs(_asarray(c, dtype=_float64) - g), nan=np.inf).max())
        return (d is None, d if d is not None else rough)

    return min(same, key=score)


def as_array(got: Any, what: str) -> np.ndarray:
    """Convert a returned value to a float array or fail with a plain reason."""
    if got is None:
        fail(f"`{what}` is None: did the function forget to `return`?")
    if isinstance(got, tuple) and len(got) > 0 and all(isinstance(x, _ndarray) for x in got):
        fail(f"`{what}` is a tuple of {len(got)} arrays where a single array was expected.")
    try:
        arr = _asarray(got)
    except Exception as exc:  # ragged lists and the like
        fail(f"`{what}` could not be read as an array ({type(exc).__name__}: {exc}).")
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        fail(f"`{what}` has dtype {arr.dtype}; expected numbers (got a {type(got).__name__}).")
    return arr


def unpack(result: Any, n: int, what: str) -> tuple:
    """Check that a function returned an n-tuple (a list is accepted too)."""
    if not isinstance(result, (tuple, list)) or len(result) != n:
        kind = type(result).__name__
        size = f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""
        fail(f"`{what}` should return a tuple of {n} values; it returned a {kind}{size}.")
    return tuple(result)


def expect_close(
    got: Any,
    expected: Any,
    *,
    what: str,
    case: str = "",
    rtol: float = 1e-4,
    atol: float = 1e-5,
    bugs: Mapping[str, Any] | None = None,
    nan_causes: str | None = None,
) -> None:
    """Compare `got` with `expected`; on failure explain shape, NaN/inf, worst error, and bug.

    `nan_causes` replaces the generic list of usual causes of NaN/inf where a drill knows better."""
    where = f" for {case}" if case else ""
    exp = _asarray(expected, dtype=_float64)
    arr = as_array(got, what)
    if arr.shape != exp.shape:
        bug, extra = diagnose(arr, bugs, rtol, atol)
        fail(f"`{what}` has shape {tuple(arr.shape)}, expected {tuple(exp.shape)}{where}.{extra}", bug)
    arr = arr.astype(_float64)
    finite = _isfinite(arr)
    if not finite.all():
        bad = tuple(int(i) for i in _unravel(int(_argmax(~finite)), arr.shape)) if arr.ndim else ()
        n_bad = int((~finite).sum())
        bug, extra = diagnose(arr, bugs, rtol, atol)  # the NaN/inf pattern is the evidence here
        causes = "" if bug else " Usual causes: " + (nan_causes or NAN_CAUSES) + "."
        fail(f"`{what}` contains {n_bad} NaN/inf value(s), first at index {bad}{where} "
             f"(expected {exp[bad]:.6g} there).{causes}", bug)
    if _allclose(arr, exp, rtol=rtol, atol=atol):
        return
    err = _abs(arr - exp)
    idx = tuple(int(i) for i in _unravel(int(_argmax(err)), err.shape)) if err.ndim else ()
    worst = float(err[idx])
    rel = f" (rel {worst / float(_abs(exp[idx])):.3g})" if exp[idx] != 0 else ""
    bug, extra = diagnose(arr, bugs, rtol, atol, exp)
    fail(
        f"`{what}` differs from the reference{where}: max abs error {worst:.3g}"
        f"{rel} at index {idx}: got {float(arr[idx]):.6g}, expected {float(exp[idx]):.6g} "
        f"(tolerance rtol={rtol:g}, atol={atol:g}).{extra}",
        bug,
    )


_clear_refs_fd: int | None = None  # /proc/self/clear_refs, opened by the plugin before the sandbox closes


def _proc_kb(field: str) -> int | None:
    """A `Vm...` line of /proc/self/status in bytes (Linux), or None."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(field.encode() + b":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) to the current RSS; False where not possible."""
    global _clear_refs_fd
    if _clear_refs_fd is None:
        try:
            _clear_refs_fd = os.open("/proc/self/clear_refs", os.O_WRONLY)
        except OSError:
            _clear_refs_fd = -1
    if _clear_refs_fd < 0:
        return False
    try:
        os.write(_clear_refs_fd, b"5")
        return True
    except OSError:
        return False


class _RssSampler:
    """Fallback where the peak-RSS mark cannot be reset: sample RSS every millisecond."""

    def __init__(self):
        self.peak = _proc_kb("VmRSS") or 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.001):
            self.peak = max(self.peak, _proc_kb("VmRSS") or 0)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return max(self.peak, _proc_kb("VmRSS") or 0)


@contextlib.contextmanager
def peak_memory():
    """Measure what the block really used: the growth of the process's resident memory (peak
    RSS, which sees every library's allocations: NumPy, torch, mmap, C extensions) and the
    peak traced by tracemalloc (which sees NumPy arrays even before their pages are touched).

    Yields a dict filled when the block exits: "peak" (bytes, the larger of the two), "rss",
    "traced", and "how" (what measured the RSS).
    """
    stats: dict[str, Any] = {}
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    rss0 = _proc_kb("VmRSS")
    sampler = None if _reset_peak_rss() else (_RssSampler() if rss0 is not None else None)
    try:
        yield stats
    finally:
        _, peak = tracemalloc.get_traced_memory()
        if not was_tracing:
            tracemalloc.stop()
        if sampler is not None:
            high, how = sampler.stop(), "RSS sampled every 1 ms"
        else:
            high, how = (_proc_kb("VmHWM") or 0), "peak RSS (VmHWM)"
        stats["traced"] = max(0, peak - base)
        stats["rss"] = max(0, high - rss0) if rss0 is not None else 0
        stats["how"] = how if rss0 is not None else "tracemalloc only"
        stats["peak"] = max(stats["traced"], stats["rss"])


def fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def randn(gen: np.random.Generator, *shape: int, scale: float = 1.0, dtype=np.float64) -> np.ndarray:
    return (gen.standard_normal(shape) * scale).astype(dtype)


# --- distributions ---------------------------------------------------------------------------

ONE_IN_A_MILLION = 4.753  # normal deviate of an upper tail of 1e-6: the false-alarm rate of a check


def chi2_quantile(df: int, z: float = ONE_IN_A_MILLION) -> float:
    """Quantile of chi-square(df) at the normal deviate z, by Wilson and Hilferty's cube
    approximation (on the safe side for small df in the far upper tail: 27.5 vs the exact 23.9
    at df = 1, z = 4.753)."""
    a = 2.0 / (9.0 * df)
    return df * max(1.0 - a + z * math.sqrt(a), 0.0) ** 3


def g_stat(counts: Any, probs: Any) -> float:
    """G statistic of observed counts against the probabilities of a law (inf when an outcome
    of probability 0 was seen, or the law is not finite)."""
    counts, probs = _asarray(counts, dtype=_float64).ravel(), _asarray(probs, dtype=_float64).ravel()
    if not _isfinite(probs).all() or (counts[probs <= 0] > 0).any():
        return math.inf
    seen = counts > 0
    return 2.0 * float(np.sum(counts[seen] * np.log(counts[seen] / (counts.sum() * probs[seen]))))


def consistent(counts: Any, probs: Any, z: float = ONE_IN_A_MILLION) -> bool:
    """Whether the counts could come from the law (G-test; a correct sampler fails it with
    probability about 1e-6 at the default z, and suites fix their seeds, so never by chance)."""
    df = int((_asarray(probs).ravel() > 0).sum()) - 1
    return g_stat(counts, probs) <= (chi2_quantile(df, z) if df > 0 else 0.0)
