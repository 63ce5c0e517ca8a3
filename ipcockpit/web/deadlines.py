"""Time limits of web requests: one watchdog thread for all of them.

A request arms its deadline when it starts (:meth:`Deadlines.arm`: when it passes, the action runs -- the web
app interrupts the request's DuckDB connection) and disarms it when it ends. A ``threading.Timer`` per request
did the same with a thread started and stopped per request: under 20 concurrent clients the request's thread
waited in ``Thread.start`` for the timer's thread to get the GIL (4 % of the server's thread samples in
``bench/web_load.py --search``). Here arming and disarming take a lock and touch a heap; the watchdog sleeps
until the earliest live deadline, so it wakes about once per time limit, not once per request.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable


class Deadlines:
    """Deadlines of running requests, watched by one daemon thread (started on first use)."""

    def __init__(self, name: str = "ipcockpit-deadlines") -> None:
        self.name = name
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._live: dict[int, Callable[[], object]] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, action: Callable[[], object]) -> int:
        """Run ``action`` in ``seconds`` unless :meth:`disarm` is called first; returns the token to disarm."""
        token = next(self._ids)
        with self._cond:
            self._live[token] = action
            heapq.heappush(self._heap, (time.monotonic() + seconds, token))
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name=self.name, daemon=True)
                self._thread.start()
            elif self._heap[0][1] == token:  # earlier than what the watchdog sleeps for
                self._cond.notify()
        return token

    def disarm(self, token: int) -> None:
        """The request is over: its action will not run (it waits for an action already running to finish, so
        that an interrupt never reaches the connection's next request)."""
        with self._cond:
            self._live.pop(token, None)

    @property
    def armed(self) -> int:
        """Deadlines armed and not yet passed or disarmed."""
        with self._cond:
            return len(self._live)

    def _watch(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._live:  # disarmed: dropped unseen
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                when, token = self._heap[0]
                wait = when - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
                action = self._live.pop(token)
                try:
                    action()  # under the lock: see disarm
                except Exception:  # noqa: BLE001 (a failed interrupt must not stop the watchdog)
                    pass
