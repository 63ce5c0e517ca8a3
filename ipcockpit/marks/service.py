"""The marks service (docs/monitoring.md, "Similar marks", "Protected marks"): what the command line, the API and
the pages call. Built with the store and the settings (``Marks(store, settings)``; the CLI and the web build it
from the core's store and settings until the core has ``monitor.marks``).

Operations: the list of marks and one mark with its classes, goods and events; the similar-mark search, each hit
explained; the protected-mark lists (load, list, entries, quarantine); the new filings similar to a protected
mark. The similar index is kept in ``<index folder>/marks`` (the search indexes' folder, setting ``index_dir``)
and rebuilt when the marks change (their count and a hash of their ids, texts and classes); a store in memory, or
a folder that cannot be written, keeps it in memory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipcockpit.marks import keys as K
from ipcockpit.marks import protected, similar
from ipcockpit.marks.listing import trademarks

if TYPE_CHECKING:
    from ipcockpit.settings import Settings
    from ipcockpit.store import Store

_SIGNATURE = "signature.json"
_MARK_COLUMNS = ("mark_id", "office", "number", "reg_number", "mark_text", "mark_image", "mark_kind", "status",
                 "status_code", "status_text", "status_rule", "status_date", "filing_date", "publication_date",
                 "registration_date", "expiry_date", "renewal_date", "intl_reg_date", "madrid", "gi", "shared",
                 "notes")


class Marks:
    """Trademarks over one store and its settings."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self.settings = settings
        self._memory: tuple[str, similar.MarkIndex] | None = None

    @property
    def con(self) -> Any:
        return self._store.con

    # the similar index -----------------------------------------------------------------------------
    def index_folder(self) -> Path | None:
        if self._store.path == ":memory:":
            return None
        from ipcockpit.settings import index_folder

        return index_folder(self.settings) / "marks"

    def signature(self) -> str:
        """Changes when a mark, its text or its classes change."""
        n, h = self.con.execute(
            "SELECT count(*), coalesce(sum(hash(mark_id, mark_text)), 0) FROM trademarks").fetchone()
        c, g = self.con.execute(
            "SELECT count(*), coalesce(sum(hash(mark_id, scheme, code)), 0) FROM trademark_classes").fetchone()
        return f"keys{K.KEYS_VERSION}:{n}:{h}:{c}:{g}"

    def index(self, rebuild: bool = False) -> similar.MarkIndex:
        """The similar index of the store's marks, built (or rebuilt) when the marks changed."""
        sig = self.signature()
        folder = self.index_folder()
        if not rebuild and self._memory is not None and self._memory[0] == sig:
            return self._memory[1]
        if folder is not None and not rebuild:
            try:
                saved = json.loads((folder / _SIGNATURE).read_text(encoding="utf-8"))
                if saved.get("signature") == sig:
                    return similar.load(folder)
            except (OSError, ValueError):
                pass
        idx = similar.build_index(self.con)
        if folder is not None:
            try:
                idx.save(folder)
                (folder / _SIGNATURE).write_text(json.dumps({"signature": sig, "marks": len(idx)}), encoding="utf-8")
            except OSError:
                folder = None
        self._memory = (sig, idx)
        return idx

    # marks ---------------------------------------------------------------------------------------------
    def list_marks(self, **filters: Any) -> dict[str, Any]:
        """:func:`ipcockpit.marks.listing.trademarks` with the service's store."""
        return trademarks(self.con, **filters)

    def mark(self, mark_id: str) -> dict[str, Any] | None:
        """One mark with its parties, classes, goods and events; None when the store has no such mark."""
        con = self.con
        cur = con.execute(f"SELECT {', '.join(_MARK_COLUMNS)} FROM trademarks WHERE mark_id = ?", [mark_id])
        row = cur.fetchone()
        if row is None:
            return None
        out = dict(zip(_MARK_COLUMNS, row, strict=True))

        def rows(sql: str) -> list[dict[str, Any]]:
            c = con.execute(sql, [mark_id])
            names = [d[0] for d in c.description or []]
            return [dict(zip(names, r, strict=True)) for r in c.fetchall()]

        out["parties"] = rows("SELECT seq, role, name_raw AS name, country, admin_code, address_raw AS address "
                              "FROM trademark_parties WHERE mark_id = ? ORDER BY seq")
        out["classes"] = rows("SELECT scheme, code, nice_class FROM trademark_classes WHERE mark_id = ? ORDER BY seq")
        out["goods"] = rows("SELECT nice_class, text, lang FROM trademark_goods WHERE mark_id = ? ORDER BY seq")
        out["events"] = rows("SELECT event_date, code, description, meaning, notes FROM trademark_events "
                             "WHERE mark_id = ? ORDER BY event_date NULLS LAST, seq")
        out["flags"] = flags(out)
        return out

    def similar(self, text: str, classes: list[int | str] | None = None, groups: list[str] | None = None,
                limit: int = 20, min_score: float = 0.5) -> dict[str, Any]:
        """Marks like ``text`` (:func:`ipcockpit.marks.similar.search`), each with its explanation."""
        hits = similar.search(self.index(), text, classes=classes, groups=groups, limit=limit, min_score=min_score)
        for h in hits:
            h["explanation"] = protected.explain(h)
        return {"query": text, "classes": classes or [], "groups": groups or [], "total": len(hits), "rows": hits}

    # protected lists -------------------------------------------------------------------------------------
    def protected_load(self, path: str | Path, kind: str | None = None, name: str | None = None,
                       loaded_by: str | None = None) -> dict[str, Any]:
        return protected.load_list(self.con, path, kind, name, loaded_by)

    def protected_lists(self) -> dict[str, Any]:
        rows = protected.lists(self.con)
        return {"total": len(rows), "rows": rows, "quarantine": protected.quarantine(self.con)}

    def protected_entries(self, list_id: str | None = None, kind: str | None = None) -> dict[str, Any]:
        rows = protected.entries(self.con, list_id, kind)
        return {"total": len(rows), "rows": rows}

    def alerts(self, since: Any = None, threshold: float = protected.THRESHOLD) -> dict[str, Any]:
        """The new filings similar to a protected mark (:func:`ipcockpit.marks.protected.new_similar_filings`)."""
        rows = protected.new_similar_filings(self.con, since, index=self.index(), threshold=threshold)
        return {"since": str(since) if since else None, "total": len(rows), "rows": rows}


def flags(mark: dict[str, Any]) -> list[str]:
    """The flags a mark is shown with: ``madrid`` (an international registration), ``gi`` (a geographical
    indication), ``shared`` (co-owned), ``image_only`` (no text: searched by its image only)."""
    out = [f for f in ("madrid", "gi", "shared") if mark.get(f)]
    if not (mark.get("mark_text") or "").strip():
        out.append("image_only")
    return out
