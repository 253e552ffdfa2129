# A chain of five processes, each in a session of its own (out of reach of a process-group
# kill), each the parent of the next, all sleeping with TFPREP_TEST_MARKER on their command line.
import os
import sys

MARKER = os.environ.get("TFPREP_TEST_MARKER", "")


def _chain(n):
    if os.fork() == 0:
        os.setsid()
        if n > 1:
            _chain(n - 1)
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", MARKER])


_chain(5)


def scaled_dot_product_attention(q, k, v, mask=None):
    raise NotImplementedError
