"""Named exit codes and the one exception type the CLI turns into a clean message."""
from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0  # success, or a drill that passed
    FAILED = 1  # a drill was graded and failed
    USAGE = 2  # bad input: unknown drill or bank, unreadable file, invalid YAML
    MISSING = 3  # a capability is missing: torch, triton or a GPU


class TfprepError(Exception):
    """An error with a learner-facing message and the exit status it maps to."""

    def __init__(self, message: str, status: ExitStatus = ExitStatus.USAGE, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.hint = hint


def did_you_mean(name: str, choices: list[str]) -> str | None:
    import difflib

    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.5)
    return f"did you mean '{close[0]}'?" if close else None
