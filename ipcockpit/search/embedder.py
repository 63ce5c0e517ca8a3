"""The first stage of a search: the query's vectors, embedded on threads of their own at a lower priority.

A first-time search is two stages: the query's vectors (onnxruntime: native code that leaves Python's
interpreter lock free) and the rest (mostly Python: BM25 shares, the fused lists, the passages, the page),
which :data:`ipcockpit.search.hybrid.COMPUTING` admits a few at a time. With both stages in one slot, the two
searches of a 2-core machine were often in the same stage: both in Python, one waiting for the lock while a
core idled, or both embedding. Here the embeddings run on half the cores' worth of threads of their own (one
on 2 cores), first come, first served, while the searches embedded before them compute on the other half
(``COMPUTING``: one on 2 cores): a pipeline.

The embedding threads run ``EMBEDDER_NICE`` steps below the process's priority (Linux: a thread's own nice
value; elsewhere they run at the process's), so that when more threads are ready than there are cores the
kernel runs the thread that holds the interpreter lock -- the one every other search waits for -- before a
new query's embedding. Measured (``bench/web_load.py --search``, 20 clients on the demo store; docs/search.md
"Session 15"): the same pipeline on threads of normal priority was slower than one stage; at nice +5 search
p50 ~10 % and p95 ~4 % lower than one stage, lower in eight and seven of nine interleaved pairs.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

#: how many nice steps the embedding threads run below the process (CFS weight ~1/3 of a normal thread's)
EMBEDDER_NICE = 5

_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None  # (pid, pool): a forked child starts its own


def threads() -> int:
    """The embedding threads of this process: half the cores (the other half computes the searches)."""
    return max(1, (os.cpu_count() or 1) // 2)


def _lower_priority() -> None:
    """Run this thread ``EMBEDDER_NICE`` steps lower (Linux, where nice is per thread)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + EMBEDDER_NICE)
    except OSError:  # a sandbox that forbids it: the thread keeps the process's priority
        pass


def pool() -> ThreadPoolExecutor:
    """The embedding threads (made on first use, again in a forked child, whose parent's threads are gone)."""
    global _pool
    with _lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(threads(), thread_name_prefix="ipcockpit-embed",
                                                     initializer=_lower_priority))
        return _pool[1]


def run(fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` on an embedding thread, in the order asked; waits for it (its exception is raised here)."""
    return pool().submit(fn, *args).result()
