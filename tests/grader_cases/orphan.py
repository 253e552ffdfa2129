# Starts a grandchild that keeps the output stream open and would outlive the test process.
import os
import subprocess
import sys

child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
if os.environ.get("ORPHAN_PID_FILE"):
    with open(os.environ["ORPHAN_PID_FILE"], "w") as f:
        f.write(str(child.pid))


def scaled_dot_product_attention(q, k, v, mask=None):
    raise NotImplementedError
