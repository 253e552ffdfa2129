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


def matching_bug(got: Any, bugs: Mapping[str, Any] | None, rtol: float, atol: float,
                 expected: Any = None) -> str | None:
    """The label of the first known-bug output that `got` matches, or None.

    With `expected`, a bug must also explain the error: `got` has to be at least twice as close
    to the bug's output as to the expected one (a bug whose effect is tiny on this input would
    otherwise "match" any small deviation)."""
    if not bugs:
        return None
    try:
        got_arr = _asarray(got, dtype=_float64)
        exp_arr = None if expected is None else _asarray(expected, dtype=_float64)
    except (TypeError, ValueError):
        return None
    if exp_arr is not None and exp_arr.shape == got_arr.shape:
        ok = _isfinite(got_arr) & _isfinite(exp_arr)
        miss = float(_abs(got_arr[ok] - exp_arr[ok]).max()) if ok.any() else 0.0
    else:
        miss = None
    for label, candidate in bugs.items():
        out = _resolve(candidate)
        if out is None:
            continue
        try:
            bug_arr = _asarray(out, dtype=_float64)
        except (TypeError, ValueError):
            continue
        if bug_arr.shape != got_arr.shape:
            continue
        both_finite = _isfinite(bug_arr) & _isfinite(got_arr)
        same_nonfinite = ((~_isfinite(bug_arr)) & (~_isfinite(got_arr))) | both_finite
        if not same_nonfinite.all():
            continue
        if _allclose(got_arr[both_finite], bug_arr[both_finite], rtol=max(rtol, 1e-3), atol=max(atol, 1e-4)):
            if miss and both_finite.any() and float(_abs(got_arr - bug_arr)[both_finite].max()) > 0.5 * miss:
                continue  # as close to the right answer as to this bug: not evidence of it
            return label
    return None


def nearest(got: Any, candidates: list) -> Any:
    """Of several outputs one bug can produce (it has more than one way to be written), the one
    closest to what the submission returned; used to build a `bugs=` entry."""
    try:
        g = _asarray(got, dtype=_float64)
    except (TypeError, ValueError):
        return candidates[0]
    same = [c for c in candidates if _asarray(c).shape == g.shape]
    if not same:
        return candidates[0]
    return min(same, key=lambda c: float(np.nan_to_num(_abs(_asarray(c, dtype=_float64) - g), nan=np.inf).max()))


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
) -> None:
    """Compare `got` with `expected`; on failure explain shape, NaN/inf, worst error, and bug."""
    where = f" for {case}" if case else ""
    exp = _asarray(expected, dtype=_float64)
    arr = as_array(got, what)
    if arr.shape != exp.shape:
        bug = matching_bug(arr, bugs, rtol, atol)
        fail(f"`{what}` has shape {tuple(arr.shape)}, expected {tuple(exp.shape)}{where}.", bug)
    arr = arr.astype(_float64)
    finite = _isfinite(arr)
    if not finite.all():
        bad = tuple(int(i) for i in _unravel(int(_argmax(~finite)), arr.shape)) if arr.ndim else ()
        n_bad = int((~finite).sum())
        bug = matching_bug(arr, bugs, rtol, atol)  # the NaN/inf pattern is the evidence here
        fail(
            f"`{what}` contains {n_bad} NaN/inf value(s), first at index {bad}{where} "
            f"(expected {exp[bad]:.6g} there). Usual causes: exp overflowing (subtract the max first), "
            "a row with nothing to normalise over (0 / 0), or output that was never written.",
            bug,
        )
    if _allclose(arr, exp, rtol=rtol, atol=atol):
        return
    err = _abs(arr - exp)
    idx = tuple(int(i) for i in _unravel(int(_argmax(err)), err.shape)) if err.ndim else ()
    worst = float(err[idx])
    rel = f" (rel {worst / float(_abs(exp[idx])):.3g})" if exp[idx] != 0 else ""
    bug = matching_bug(arr, bugs, rtol, atol, exp)
    fail(
        f"`{what}` differs from the reference{where}: max abs error {worst:.3g}"
        f"{rel} at index {idx}: got {float(arr[idx]):.6g}, expected {float(exp[idx]):.6g} "
        f"(tolerance rtol={rtol:g}, atol={atol:g}).",
        bug,
    )


@contextlib.contextmanager
def peak_memory():
    """Measure the peak traced allocation (numpy arrays included) inside the block.

    Yields a dict whose "peak" key (bytes) is filled when the block exits.
    """
    stats: dict[str, int] = {}
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    try:
        yield stats
    finally:
        _, peak = tracemalloc.get_traced_memory()
        stats["peak"] = max(0, peak - base)
        if not was_tracing:
            tracemalloc.stop()


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

