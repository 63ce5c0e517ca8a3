"""Watch lists and alerts (docs/monitoring.md, "Watch lists and alerts"): lists per user watching patents,
organisations, IPC/SEI fields, regions and saved queries; events from a registry of sources
(:mod:`ipcockpit.watch.sources`), each alerting a list once; delivery in-app, by e-mail and by webhook, at once
or as daily and weekly digests.

Modules: ``store`` (tables and lists), ``match`` (the documents each object covers), ``sources`` (events),
``detect`` (recording alerts once), ``delivery`` (SMTP, webhook, digests), ``service`` (``Watch(store, settings)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ipcockpit.settings import Settings
    from ipcockpit.store import Store


def run_after_ingest(store: Store, settings: Settings, reports: Iterable[Any]) -> dict[str, Any] | None:
    """The ingest's hook: a watch run when the ingest loaded something and a list watches anything (otherwise
    one query, and nothing is imported beyond this package's store module)."""
    if not any(getattr(r, "loaded", 0) or getattr(r, "merged", 0) for r in reports):
        return None
    from ipcockpit.watch.store import has_lists

    if store.read_only or not has_lists(store):
        return None
    from ipcockpit.watch.service import Watch

    return Watch(store, settings).run()
