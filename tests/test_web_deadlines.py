"""The web requests' time limits: one watchdog thread runs the action of each deadline that passes, never the
action of one disarmed (ipcockpit/web/deadlines.py; the pool's interrupts: tests/test_web_pool.py)."""

from __future__ import annotations

import threading
import time

from ipcockpit.web.deadlines import Deadlines


def test_a_passed_deadline_runs_its_action_and_a_disarmed_one_does_not() -> None:
    d = Deadlines()
    fired: list[str] = []
    done = threading.Event()
    kept = d.arm(0.05, lambda: (fired.append("kept"), done.set()))
    dropped = d.arm(0.05, lambda: fired.append("dropped"))
    d.disarm(dropped)
    assert done.wait(5)
    time.sleep(0.1)
    assert fired == ["kept"]
    d.disarm(kept)  # after it ran: nothing to do
    assert d.armed == 0


def test_an_earlier_deadline_armed_later_wakes_the_watchdog() -> None:
    d = Deadlines()
    order: list[str] = []
    first = threading.Event()
    d.arm(30, lambda: order.append("late"))  # the watchdog sleeps for this one
    start = time.monotonic()
    d.arm(0.05, lambda: (order.append("soon"), first.set()))
    assert first.wait(5)
    assert time.monotonic() - start < 5 and order == ["soon"]


def test_one_thread_for_many_requests() -> None:
    d = Deadlines(name="ipcockpit-deadlines-test")
    before = threading.active_count()
    tokens = [d.arm(30, lambda: None) for _ in range(500)]
    for t in tokens:
        d.disarm(t)
    assert d.armed == 0
    assert threading.active_count() <= before + 1
    assert sum(t.name == "ipcockpit-deadlines-test" for t in threading.enumerate()) == 1


def test_disarm_waits_for_a_running_action() -> None:
    """An interrupt already under way finishes before the request gives its connection back."""
    d = Deadlines()
    started, finished = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        time.sleep(0.2)
        finished.set()

    token = d.arm(0.01, slow)
    assert started.wait(5)
    d.disarm(token)
    assert finished.is_set()
