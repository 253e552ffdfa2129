"""`python -m tfprep` and the `tfprep` command.

Ctrl-C ends tfprep quietly with status 130 from the first instant: until the command line is
imported nothing is open (no rating, no file), so an interrupt then simply exits; after that,
KeyboardInterrupt is handled where the work is (every rating already given is kept).
"""
import gc
import os
import signal
import sys


def _interrupted_while_starting(signum, frame):
    os._exit(130)


signal.signal(signal.SIGINT, _interrupted_while_starting)
# Starting allocates over 20,000 objects that live as long as the process (modules, classes, the
# banks); with the default first generation of 700 the collector walks them some 40 times
# before the first card is shown (~10 ms). With 50,000, start-up ends before the first
# collection, and a long session still collects (every 50,000 allocations).
gc.set_threshold(50_000)


def main() -> None:
    from tfprep.cli import main as cli_main

    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        cli_main()
    except KeyboardInterrupt:  # between two commands' own handlers: still no traceback
        sys.exit(130)
    finally:
        _finish()


def _finish() -> None:
    """On the way out: close the progress store, then freeze what is left for the collector.
    The interpreter's exit runs full garbage collections over every module, class and function
    loaded (~20 ms of a quiz's start-up budget, more than its bank loading); frozen objects are
    skipped, and the process frees its memory anyway. What needs closing is closed first: the
    store's connections (their WAL is checkpointed into the database file as before); files are
    closed where they are written, and atexit handlers still run. The work is done by now: a
    Ctrl-C in these last milliseconds is ignored rather than shown as a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    store = sys.modules.get("tfprep.store")
    if store is not None:
        store.close_all()
    gc.freeze()


if __name__ == "__main__":
    main()
