"""The embedding threads of the search pipeline (``search.embedder``): lower priority than the threads that ask,
in the order asked, errors raised to the caller, and a working pool again in a forked child."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import pytest

from ipcockpit.search import embedder


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_embedding_threads_run_at_a_lower_priority() -> None:
    """Linux: EMBEDDER_NICE steps lower (nice is per thread there); elsewhere the process's own."""
    lower = embedder.EMBEDDER_NICE if sys.platform.startswith("linux") else 0
    assert embedder.run(_nice) == min(_nice() + lower, 19)
    assert _nice() == os.getpriority(os.PRIO_PROCESS, 0)  # the caller's own priority is left as it was


def test_work_runs_in_the_order_asked_and_errors_reach_the_caller() -> None:
    done: list[int] = []
    gate = threading.Event()
    first = embedder.pool().submit(gate.wait, 10)  # every embedding thread busy until the gate opens
    others = [embedder.pool().submit(gate.wait, 10) for _ in range(embedder.threads() - 1)]
    waiting = [embedder.pool().submit(done.append, i) for i in range(5)]
    gate.set()
    for f in [first, *others, *waiting]:
        f.result(10)
    assert done == list(range(5))
    with pytest.raises(ZeroDivisionError):
        embedder.run(divmod, 1, 0)


def test_a_forked_child_gets_threads_of_its_own() -> None:
    """A child forked from a process whose pool exists (a server's worker) embeds with a pool of its own: the
    parent's threads are not in it, and a pool made before the fork would never run the child's work."""
    assert embedder.run(abs, -3) == 3  # the parent's pool exists before the fork
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(w, str(embedder.run(abs, -7)).encode())
        finally:
            os._exit(0)
    os.close(w)
    end = time.monotonic() + 30
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < end:
        time.sleep(0.01)
    if done[0] == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    got = os.read(r, 16)
    os.close(r)
    assert done[0] == pid and os.waitstatus_to_exitcode(done[1]) == 0 and got == b"7", (done, got)
