"""`python -m tfprep` and the `tfprep` command.

Ctrl-C ends tfprep quietly with status 130 from the first instant: until the command line is
imported nothing is open (no rating, no file), so an interrupt then simply exits; after that,
KeyboardInterrupt is handled where the work is (every rating already given is kept).
"""
import os
import signal
import sys


def _interrupted_while_starting(signum, frame):
    os._exit(130)


signal.signal(signal.SIGINT, _interrupted_while_starting)


def main() -> None:
    from tfprep.cli import main as cli_main

    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        cli_main()
    except KeyboardInterrupt:  # between two commands' own handlers: still no traceback
        sys.exit(130)


if __name__ == "__main__":
    main()
