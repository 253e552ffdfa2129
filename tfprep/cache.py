"""A JSON copy of parsed content under TFPREP_HOME/cache, keyed by the source files' path, size
and mtime, so a start-up skips PyYAML (its import alone is ~15 ms) when nothing changed. A cache
that cannot be read or written only costs speed."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from tfprep import paths


def fingerprint(files: list[Path]) -> str:
    """64 bits of checksums of the files' paths, sizes and mtimes (zlib: hashlib's OpenSSL
    import costs a start-up ~3 ms, and a cache key needs no cryptography)."""
    import zlib

    data = "".join(f"{p}|{st.st_size}|{st.st_mtime_ns}\n" for p in files for st in [p.stat()]).encode()
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def cached(kind: str, files: list[Path], build: Callable[[], Any]) -> Any:
    """`build()`'s JSON-able result for these files, from the cache when they have not changed.
    One entry per `kind`: a new one replaces the old."""
    folder = paths.cache_dir()
    entry = folder / f"{kind}-{fingerprint(files)}.json"
    try:
        return json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    value = build()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{kind}-*.json"):
            old.unlink(missing_ok=True)
        tmp = entry.with_suffix(".tmp")
        tmp.write_text(json.dumps(value), encoding="utf-8")
        tmp.replace(entry)
    except OSError:
        pass
    return value
