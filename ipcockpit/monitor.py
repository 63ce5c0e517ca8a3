"""Monitoring and supervision (监测预警、信用监管; docs/monitoring.md): one object over the core's store and settings
that holds the four services, each built on first use.

- ``watch``: watch lists and their alerts (:class:`ipcockpit.watch.service.Watch`);
- ``marks``: trademarks, similar marks, protected-mark lists (:class:`ipcockpit.marks.service.Marks`);
- ``signals``: abnormal-filing signals and their cases (:class:`ipcockpit.signals.service.Signals`);
- ``credit``: credit tiers (:class:`ipcockpit.credit.service.Credit`).

``Cockpit.monitor`` gives it; the CLI, the web routes and library users reach the services through it.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from ipcockpit.settings import Settings
from ipcockpit.store import Store

if TYPE_CHECKING:
    from ipcockpit.credit.service import Credit
    from ipcockpit.marks.service import Marks
    from ipcockpit.signals.service import Signals
    from ipcockpit.watch.service import Watch


class Monitor:
    """The monitoring services of one store."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self.settings = settings

    @cached_property
    def watch(self) -> Watch:
        from ipcockpit.watch.service import Watch

        return Watch(self._store, self.settings)

    @cached_property
    def marks(self) -> Marks:
        from ipcockpit.marks.service import Marks

        return Marks(self._store, self.settings)

    @cached_property
    def signals(self) -> Signals:
        from ipcockpit.signals.service import Signals

        return Signals(self._store, self.settings)

    @cached_property
    def credit(self) -> Credit:
        from ipcockpit.credit.service import Credit

        return Credit(self._store, self.settings)
