"""Operating-system fences around a grading run (Linux; elsewhere each one reports it is absent).

- `restrict_writes(dirs)`: Landlock (Linux >= 5.13, unprivileged). After it, this process and
  everything it starts may create, change or delete files only under `dirs` (and write to
  /dev/null); reading stays allowed. Where the kernel offers scoping (Landlock ABI 6), it may
  also not signal processes outside its own tree. Irreversible, as it should be.
- `Reaper`: makes the calling process a child subreaper for the duration of a run, so that
  every descendant of the grading child, even one that called `setsid()` and double-forked,
  is re-parented to us when its parent dies; on exit it kills and reaps them all.

Both use a few raw syscalls through ctypes: no dependency.
"""
from __future__ import annotations

import ctypes
import functools
import os
import signal
import sys
import time

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446  # same numbers on every arch
_PR_SET_NO_NEW_PRIVS, _PR_SET_CHILD_SUBREAPER, _PR_GET_CHILD_SUBREAPER = 38, 36, 37
_PR_SET_PDEATHSIG = 1
_RULE_PATH_BENEATH = 1
_CREATE_RULESET_VERSION = 1

_WRITE_FILE = 1 << 1
_DIR_WRITES = sum(1 << b for b in (4, 5, 6, 7, 8, 9, 10, 11, 12))  # remove dir/file, make char/dir/reg/sock/fifo/block/sym
_REFER, _TRUNCATE = 1 << 13, 1 << 14  # ABI 2, ABI 3
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


@functools.lru_cache(maxsize=1)
def _libc():
    """The C library, loaded once (a child between fork and exec calls it without loading)."""
    return ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 where Landlock is absent or disabled."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        abi = _libc().syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(0, int(abi))


def restrict_writes(dirs: list[str], files: tuple[str, ...] = ("/dev/null",)) -> str | None:
    """Allow writes only beneath `dirs` (and to `files`) from now on. Returns None when in force,
    else why not (the caller reports it; grading goes on with the other fences)."""
    abi = landlock_abi()
    if abi < 1:
        return "Landlock is not available on this kernel"
    libc = _libc()
    handled = _WRITE_FILE | _DIR_WRITES | (_REFER if abi >= 2 else 0) | (_TRUNCATE if abi >= 3 else 0)
    attr = _RulesetAttr(handled, 0, (_SCOPE_SIGNAL | _SCOPE_ABSTRACT_UNIX_SOCKET) if abi >= 6 else 0)
    size = ctypes.sizeof(attr) if abi >= 6 else 8
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return f"Landlock refused the ruleset ({os.strerror(ctypes.get_errno())})"
    try:
        for path, access in [(d, handled) for d in dirs] + [(f, _WRITE_FILE | (_TRUNCATE if abi >= 3 else 0))
                                                            for f in files]:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                rule = _PathBeneath(access, fd)
                if libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), ctypes.c_uint32(0)) < 0:
                    return f"Landlock refused a rule for {path} ({os.strerror(ctypes.get_errno())})"
            finally:
                os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return f"prctl(PR_SET_NO_NEW_PRIVS) failed ({os.strerror(ctypes.get_errno())})"
        if libc.syscall(_SYS_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) != 0:
            return f"Landlock could not restrict the process ({os.strerror(ctypes.get_errno())})"
    finally:
        os.close(ruleset)
    return None


# --- every descendant dies with the run ------------------------------------------------------

def die_with_parent() -> None:
    """Have the kernel SIGKILL this process when its parent ends (Linux; elsewhere nothing): a
    grading child (and the warm server) must not outlive a tfprep that was itself killed, whose
    time limit and reaper then never come. Ends at once if the parent is already gone."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)


def _children(pid: int) -> set[int]:
    """Direct children of `pid` (all its threads')."""
    kids: set[int] = set()
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as f:
                    kids.update(int(x) for x in f.read().split())
            except OSError:
                continue
    except OSError:
        pass
    return kids


class Reaper:
    """`with Reaper(): ...run the child...` — on exit, nothing the child started is left alive."""

    def __init__(self):
        self.active = False
        self._was = 0
        self._before: set[int] = set()

    def __enter__(self) -> "Reaper":
        if sys.platform.startswith("linux"):
            try:
                libc = _libc()
                was = ctypes.c_int(0)
                libc.prctl(_PR_GET_CHILD_SUBREAPER, ctypes.byref(was), 0, 0, 0)
                self._was = was.value
                self.active = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
            except (OSError, AttributeError):
                self.active = False
            self._before = _children(os.getpid())
        return self

    def kill_all(self, deadline_s: float = 5.0) -> int:
        """Kill and reap every process re-parented to us since entry; returns how many."""
        if not self.active:
            return 0
        me, killed, end = os.getpid(), 0, time.monotonic() + deadline_s
        while time.monotonic() < end:
            kids = _children(me) - self._before
            if not kids:
                break
            for pid in kids:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
                except ProcessLookupError:
                    pass
            for pid in kids:
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
        return killed

    def __exit__(self, *exc) -> None:
        try:
            self.kill_all()
        finally:
            if self.active and not self._was:
                _libc().prctl(_PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
