# Starts a grandchild in a session of its own that keeps the output stream open and would
# outlive the test process. Its command line carries TFPREP_TEST_MARKER so the test can find it.
import os
import subprocess
import sys

subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", os.environ.get("TFPREP_TEST_MARKER", "")],
                 start_new_session=True)


def scaled_dot_product_attention(q, k, v, mask=None):
    raise NotImplementedError
