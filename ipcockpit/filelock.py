"""An exclusive lock between processes on a lock file (fcntl)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` block. Where fcntl is missing
    (Windows) nothing is locked: callers must stay correct without it (an atomic rename, say)."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    with Path(path).open("a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
