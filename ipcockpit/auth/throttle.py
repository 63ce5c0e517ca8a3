"""Login throttling: after a few failed logins of one account, or from one client address, within a window,
further tries wait, for a delay that doubles with each further failure.

Rules (the setting ``login_throttle``, :class:`ThrottleSettings`):

* A failure counts for its account (the name as typed, case folded: known or not, so that the answer does
  not tell which names exist) and for its client address; failures older than ``window_minutes`` are
  forgotten.
* With ``failures`` failures of an account (``address_failures`` of an address) in the window, the next try
  waits ``delay_seconds`` after the last failure; each further failure doubles the wait, up to the window.
  A try that must wait is refused without the password being checked: the right password is refused too.
* A successful login forgets the account's failures (not the address's: a valid account of one's own does
  not buy more guesses at others).

The counts live in the server process (a few hundred bytes per account or address tried, at most
``MAX_KEYS`` of them): a restart forgets them, and each server of a store counts its own. ``clock`` is
injectable (tests).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ipcockpit.errors import SettingsError

#: accounts and addresses remembered at most; the longest quiet ones are forgotten first
MAX_KEYS = 10_000


@dataclass(frozen=True)
class ThrottleSettings:
    failures: int = 5
    address_failures: int = 20
    window_minutes: float = 15.0
    delay_seconds: float = 30.0

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> ThrottleSettings:
        values = dict(values or {})
        unknown = sorted(set(values) - set(cls.__dataclass_fields__))
        if unknown:
            raise SettingsError(f"setting login_throttle: unknown key {', '.join(unknown)}; "
                                f"known: {', '.join(cls.__dataclass_fields__)}")
        try:
            made = cls(**{k: type(getattr(cls, k))(v) for k, v in values.items()})
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"setting login_throttle: {exc}; give numbers") from exc
        if made.failures < 1 or made.address_failures < 1 or made.window_minutes <= 0 or made.delay_seconds <= 0:
            raise SettingsError("setting login_throttle: failures and address_failures at least 1, "
                                "window_minutes and delay_seconds more than 0")
        return made


class LoginThrottle:
    def __init__(self, settings: ThrottleSettings | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings or ThrottleSettings()
        self.clock = clock
        self._failures: OrderedDict[tuple[str, str], list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, account: str, address: str | None) -> int:
        """Seconds the next try of ``account`` from ``address`` must wait; 0: it may go ahead."""
        now, s = self.clock(), self.settings
        with self._lock:
            until = max(self._until(("account", _fold(account)), s.failures, now),
                        self._until(("address", address or ""), s.address_failures, now))
        return max(0, math.ceil(until - now))

    def failed(self, account: str, address: str | None) -> None:
        now = self.clock()
        with self._lock:
            for key in (("account", _fold(account)), ("address", address or "")):
                times = [t for t in self._failures.pop(key, []) if now - t < self.window]
                self._failures[key] = [*times, now]  # to the end: the most recent
            while len(self._failures) > MAX_KEYS:
                self._failures.popitem(last=False)

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._failures.pop(("account", _fold(account)), None)

    @property
    def window(self) -> float:
        return self.settings.window_minutes * 60.0

    def _until(self, key: tuple[str, str], allowed: int, now: float) -> float:
        times = [t for t in self._failures.get(key, []) if now - t < self.window]
        if len(times) < allowed:
            return 0.0
        delay = min(self.settings.delay_seconds * 2.0 ** (len(times) - allowed), self.window)
        return times[-1] + delay


def _fold(account: str) -> str:
    return (account or "").strip().casefold()
