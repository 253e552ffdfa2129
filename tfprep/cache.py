"""A copy of parsed content under TFPREP_HOME/cache, keyed by the source files' path, size and
mtime, so a start-up skips PyYAML (its import alone is ~15 ms) when nothing changed. A cache
that cannot be read or written only costs speed.

The copy is in `marshal`'s format: built in (json's import is ~1 ms of a start) and quicker to
read; its file name carries marshal's format version and Python's, whose format it is."""
from __future__ import annotations

import marshal
import sys
from pathlib import Path
from typing import Any, Callable

from tfprep import paths


SUFFIX = f".py{sys.version_info[0]}{sys.version_info[1]}-m{marshal.version}"


def fingerprint(files: list[Path]) -> str:
    """64 bits of checksums of the files' paths, sizes and mtimes (zlib: hashlib's OpenSSL
    import costs a start-up ~3 ms, and a cache key needs no cryptography)."""
    import zlib

    data = "".join(f"{p}|{st.st_size}|{st.st_mtime_ns}\n" for p in files for st in [p.stat()]).encode()
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def cached(kind: str, files: list[Path], build: Callable[[], Any]) -> Any:
    """`build()`'s result (plain data: dicts, lists, strings, numbers) for these files, from the
    cache when they have not changed. One entry per `kind`: a new one replaces the old."""
    folder = paths.cache_dir()
    entry = folder / f"{kind}-{fingerprint(files)}{SUFFIX}"
    try:
        return marshal.loads(entry.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):  # absent, or not marshal's (a torn file)
        pass
    value = build()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{kind}-*"):
            old.unlink(missing_ok=True)
        tmp = entry.with_name(entry.name + ".tmp")
        tmp.write_bytes(marshal.dumps(value))
        tmp.replace(entry)
    except OSError:
        pass
    return value
