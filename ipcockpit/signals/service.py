"""``Signals(store, settings)``: abnormal-filing signals (非正常申请信号) over one store — detect, the cases and
their status, the enterprise registry, the office list. The CLI (``ipcockpit signals``), the web page
``/signals`` and the API ``/api/signals/...`` call it, built from the Cockpit's store and settings where they
need it (``cli/signals.py`` and ``web/routes/signals.py``: ``_service``, which the lead points at
``Cockpit.monitor.signals``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from ipcockpit.settings import Settings
from ipcockpit.signals import cases as C
from ipcockpit.signals.common import DEFAULTS, KINDS, NOTE_EN, NOTE_ZH, Found, thresholds
from ipcockpit.signals.errors import SignalsError
from ipcockpit.store import Store


def _detector(kind: str) -> Any:
    from ipcockpit.signals import filings, marks, near, resale, scattered, template

    return {"near_duplicate": near.detect_near_duplicate, "template_text": template.detect_template_text,
            "burst": filings.detect_burst, "volume_vs_size": filings.detect_volume_vs_size,
            "scattered": scattered.detect_scattered, "rapid_resale": resale.detect_rapid_resale,
            "tm_many_classes": marks.detect_tm_many_classes,
            "tm_protected_copy": marks.detect_tm_protected_copy}[kind]


class Signals:
    """Abnormal-filing signals over one store and its settings (setting ``signals``: the thresholds)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self.settings = settings

    def thresholds(self) -> dict[str, dict[str, Any]]:
        given = getattr(self.settings, "signals", None) or {}
        unknown = set(given) - set(KINDS)
        if unknown:
            raise SignalsError(f"setting signals: unknown kind(s) {', '.join(sorted(unknown))}; known: "
                               f"{', '.join(KINDS)}")
        return {k: thresholds(given, k) for k in KINDS}

    @staticmethod
    def check_kind(kind: str | None) -> None:
        if kind is not None and kind not in KINDS:
            raise SignalsError(f"no signal kind {kind!r}; use one of {', '.join(KINDS)}")

    def find(self, kind: str, protected: list[Any] | None = None) -> Found:
        """One detector's findings, nothing written (a read-only store can look)."""
        self.check_kind(kind)
        th = self.thresholds()[kind]
        if kind == "tm_protected_copy":
            return _detector(kind)(self._store.con, th, protected)
        return _detector(kind)(self._store.con, th)

    def detect(self, kind: str | None = None, protected: list[Any] | None = None) -> dict[str, Any]:
        """Run every detector (or ``kind``'s), write their cases and runs; per kind: the counts and unknowns."""
        self.check_kind(kind)
        if self._store.read_only:
            raise SignalsError("the store is open read-only: signals can be listed but not detected; open it "
                               "writable (stop `ipcockpit serve --read-only` or run without it)")
        now = datetime.now()
        out = []
        for k in [kind] if kind else KINDS:
            found = self.find(k, protected)
            saved = C.save(self._store.con, found, now)
            out.append({**found.as_dict(), **saved})
        return {"detected_at": now, "kinds": out, "note": NOTE_ZH, "note_en": NOTE_EN}

    def cases(self, kind: str | None = None, status: str | None = None, subject: str | None = None,
              limit: int = 1000, offset: int = 0) -> dict[str, Any]:
        self.check_kind(kind)
        if status is not None and status not in C.STATUSES:
            raise SignalsError(f"status {status!r}: use one of {', '.join(C.STATUSES)}")
        found = C.listing(self._store.con, kind=kind, status=status, subject=subject, limit=limit, offset=offset)
        return {**found, "kind": kind, "status": status, "kinds": list(KINDS), "statuses": list(C.STATUSES),
                "thresholds": self.thresholds(), "runs": C.runs(self._store.con), "note": NOTE_ZH,
                "note_en": NOTE_EN}

    def case(self, case_id: str) -> dict[str, Any]:
        return C.show(self._store.con, case_id)

    def update(self, case_id: str, status: str, result: str | None = None, note: str | None = None,
               user: str | None = None) -> dict[str, Any]:
        if self._store.read_only:
            raise SignalsError("the store is open read-only: a case's status cannot change; open it writable")
        return C.update(self._store.con, case_id, status, result=result, note=note, user=user, now=datetime.now())

    def office(self, kind: str | None = None, status: str | None = None, zh: bool = True) -> list[dict[str, Any]]:
        """The office list (主体, 信号类型, 疑似数, 处理情况, 处理结果) of every case (of ``kind``, ``status``)."""
        return C.office_rows(self.cases(kind, status, limit=1_000_000)["rows"], zh)

    def load_registry(self, path: str | Path) -> dict[str, Any]:
        from ipcockpit.signals.registry import load_registry

        if self._store.read_only:
            raise SignalsError("the store is open read-only: the enterprise registry cannot be loaded")
        return load_registry(self._store.con, path)

    def registry(self) -> list[dict[str, Any]]:
        from ipcockpit.signals.registry import listing

        return listing(self._store.con)

    def near_duplicates(self, threshold: float | None = None) -> dict[str, Any]:
        """The near-duplicate clusters now (docs/monitoring.md "Near-duplicate filings")."""
        from ipcockpit.signals.near_duplicates import near_duplicates

        return near_duplicates(self._store.con, threshold or self.thresholds()["near_duplicate"]["jaccard"])


__all__ = ["DEFAULTS", "KINDS", "Signals"]
