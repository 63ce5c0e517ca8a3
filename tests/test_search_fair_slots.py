"""The admission of first-time searches (``hybrid.COMPUTING``): at most n at once, served in arrival order."""

from __future__ import annotations

import threading
import time

from ipcockpit.search import hybrid
from ipcockpit.search.caches import FairSlots


def _wait_until(cond, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.001)


def test_waiters_are_served_in_the_order_they_came() -> None:
    slots = FairSlots(1)
    order: list[int] = []
    slots.__enter__()  # the holder
    threads = []
    for i in range(6):
        def take(i: int = i) -> None:
            with slots:
                order.append(i)
        t = threading.Thread(target=take)
        t.start()
        threads.append(t)
        _wait_until(lambda n=i + 1: slots.waiting == n)  # each is queued before the next comes
    slots.__exit__(None, None, None)
    for t in threads:
        t.join(5)
    assert order == list(range(6))
    assert slots.waiting == 0


def test_a_newcomer_does_not_pass_a_woken_waiter() -> None:
    """A release hands the slot to the oldest waiter: a thread that arrives right after the release queues behind
    it (a plain semaphore lets the newcomer take the freed slot while the woken waiter re-takes its lock)."""
    for _ in range(50):
        assert _one_release() == ["waiter", "newcomer"]


def _one_release() -> list[str]:
    slots = FairSlots(1)
    order: list[str] = []
    slots.__enter__()

    def take(name: str) -> None:
        with slots:
            order.append(name)

    first = threading.Thread(target=take, args=("waiter",))
    first.start()
    _wait_until(lambda: slots.waiting == 1)
    slots.__exit__(None, None, None)
    late = threading.Thread(target=take, args=("newcomer",))
    late.start()
    first.join(5)
    late.join(5)
    return order


def test_never_more_holders_than_slots() -> None:
    slots = FairSlots(2)
    inside, most = 0, 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal inside, most
        with slots:
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.002)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert most == 2
    assert inside == 0 and slots.waiting == 0


def test_searches_are_admitted_by_fair_slots_on_half_the_cores() -> None:
    """The computing stage on half the cores, the embedding threads on the other half (one each on 2 cores)."""
    import os

    from ipcockpit.search import embedder

    assert isinstance(hybrid.COMPUTING, FairSlots)
    assert hybrid.COMPUTING.n == max(1, (os.cpu_count() or 1) // 2) == embedder.threads()
