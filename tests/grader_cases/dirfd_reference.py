# Opens the folder above the reference package and reads the reference relative to it (dir_fd),
# then runs it.
import os

root = os.environ.get("ATTACK_ROOT", "")
fd = os.open(root, os.O_RDONLY)
source = os.read(os.open("reference_impls/attention.py", os.O_RDONLY, dir_fd=fd), 1 << 20).decode()
exec(compile(source, "attention.py", "exec"))
