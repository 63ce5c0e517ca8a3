"""The credit service (docs/monitoring.md "Credit tiers"): what the command line, the API and the pages call,
``Credit(store, settings)``; the interfaces build it from a core object's store and settings (``credit(cockpit)`` in
ipcockpit/cli/credit.py and ipcockpit/web/routes/credit.py, to become ``cockpit.monitor.credit`` at merge).

Reads compute the tiers live from the records as of the date asked (default today), so that a page is never stale;
writes (a record, a file of records, a repair, a link) run in one transaction with the snapshot of every tier
(``credit_tiers``) and the audit rows of what changed. Who sees what: an enterprise user sees only the organisation
its account is linked to (``credit_user_orgs``, set by an admin), nothing when it is not linked; analysts and admins
see every organisation; the web policy keeps the public out.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipcockpit.auth import ENTERPRISE, User
from ipcockpit.credit import TIERS, UNKNOWN, CreditError, CreditForbidden, CreditNotFound, records
from ipcockpit.credit.rules import Rules, load
from ipcockpit.credit.store import has_table
from ipcockpit.credit.tiers import compute

if TYPE_CHECKING:
    from ipcockpit.settings import Settings
    from ipcockpit.store import Store

#: the order organisations are listed in: the worst first, unknown last
ORDER = {"D": 0, "C": 1, "B": 2, "A": 3, UNKNOWN: 4}
TIER_CHOICES = (*TIERS, UNKNOWN)


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    out = {k: _iso(v) for k, v in item.items()}
    if item.get("repair"):
        out["repair"] = {k: _iso(v) for k, v in item["repair"].items()}
    return out


def as_of_date(value: str | date | None, today: date | None = None) -> date:
    if value is None or value == "":
        return today or date.today()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise CreditError(f"as_of={value!r}: write a date as 2024-05-31") from exc


class Credit:
    """Credit tiers over one store and its settings."""

    def __init__(self, store: Store, settings: Settings, today: date | None = None) -> None:
        self._store = store
        self.settings = settings
        self._today = today  # the clock (None: the system's); tests and replays give a date

    @property
    def today(self) -> date:
        """The date reads default to, writes snapshot the tiers at and no record may be after."""
        return self._today or date.today()

    # rules -------------------------------------------------------------------------------------------
    @cached_property
    def rules(self) -> Rules:
        """The rules of the setting ``credit: {rules: PATH}``, else the shipped ones."""
        conf = getattr(self.settings, "credit", None) or (getattr(self.settings, "extra", None) or {}).get("credit")
        path = (conf or {}).get("rules") if isinstance(conf, dict) else None
        return load(path or None)

    def rules_data(self) -> dict[str, Any]:
        return self.rules.as_dict()

    # access ------------------------------------------------------------------------------------------
    def org_of_user(self, user_name: str) -> str | None:
        con = self._store.con
        if not has_table(con, "credit_user_orgs"):
            return None
        row = con.execute("SELECT entity_id FROM credit_user_orgs WHERE user_name = ?", [user_name]).fetchall()
        return str(row[0][0]) if row else None

    def _scope(self, user: User | None) -> str | None:
        """The one organisation ``user`` may see (an enterprise user's), '' when it may see none, None for all."""
        if user is None or user.role != ENTERPRISE:
            return None
        return self.org_of_user(user.name or "") or ""

    def _check_table(self) -> None:
        if not has_table(self._store.con, "credit_records"):
            raise CreditError("this store has no credit tables yet (a store made before migration 18, opened "
                              "read-only): open it once writable, e.g. `ipcockpit credit compute`")

    # reads -------------------------------------------------------------------------------------------
    def _organisations(self) -> dict[str, str]:
        con = self._store.con
        if not has_table(con, "org_entities"):
            return {}
        return dict(con.execute("SELECT entity_id, coalesce(name, entity_id) FROM org_entities "
                                "WHERE merged_into IS NULL").fetchall())

    def listing(self, tier: str | None = None, category: str | None = None, q: str | None = None,
                limit: int = 200, as_of: str | date | None = None, user: User | None = None) -> dict[str, Any]:
        """The tier of every organisation (one for an enterprise user), worst first, under the filters; the
        counts by tier; the handled signal cases no organisation of the store has (analysts only)."""
        self._check_table()
        day = as_of_date(as_of, self.today)
        if tier is not None and tier not in TIER_CHOICES:
            raise CreditError(f"tier={tier!r}: use one of {', '.join(TIER_CHOICES)}")
        if category and category not in self.rules.categories:
            raise CreditError(f"category={category!r}: use one of {', '.join(self.rules.categories)}")
        scope = self._scope(user)
        con = self._store.con
        if scope == "":  # an enterprise user not linked to an organisation sees none
            tiers, unresolved = {}, []
        else:
            tiers, unresolved = compute(con, self.rules, day, entity=scope)
        names = self._organisations()
        ids = set(names) | set(tiers)
        if scope is not None:
            ids &= {scope}
        rows = []
        for eid in ids:
            t = tiers.get(eid)
            counting = [i for i in (t["evidence"] if t else []) if i["state"] == "counts"]
            rows.append({"entity_id": eid, "name": names.get(eid) or records.display_name(con, eid),
                         "tier": t["tier"] if t else UNKNOWN, "weight": t["weight"] if t else 0.0,
                         "failures": sum(1 for i in counting if i["effect"] == "failure"),
                         "positive": sum(1 for i in counting if i["effect"] == "positive"),
                         "records": len(t["evidence"]) if t else 0,
                         "categories": ", ".join(sorted({i["category"] for i in counting if i.get("category")})),
                         "latest": _iso(max((i["date"] for i in t["evidence"]), default=None)) if t else None,
                         "reason_key": t["reason_key"] if t else "credit.why.unknown",
                         "reason_values": t["reason_values"] if t else {},
                         "reason": t["reason"] if t else "nothing is recorded about this organisation: its credit "
                                                         "is unknown"})
        counts = {k: sum(1 for r in rows if r["tier"] == k) for k in TIER_CHOICES}
        if tier:
            rows = [r for r in rows if r["tier"] == tier]
        if category:
            rows = [r for r in rows if category in r["categories"].split(", ")]
        if q:
            needle = q.strip().lower()
            rows = [r for r in rows if needle in r["name"].lower() or needle in r["entity_id"].lower()]
        rows.sort(key=lambda r: (ORDER[r["tier"]], -r["weight"], r["name"], r["entity_id"]))
        return {"as_of": day.isoformat(), "basis": self.rules.basis, "rules": self.rules.source,
                "rules_digest": self.rules.digest, "counts": counts, "matched": len(rows),
                "filters": {"tier": tier, "category": category, "q": q},
                "scope": scope, "organisations": rows[:limit],
                "unresolved_cases": [_plain(c) for c in unresolved] if scope is None else []}

    def show(self, org: str, as_of: str | date | None = None, user: User | None = None) -> dict[str, Any]:
        """One organisation's tier with its evidence (each record or case, its rule, window, state and repair)
        and the audit rows about it; CreditForbidden for an enterprise user and another's organisation."""
        self._check_table()
        day = as_of_date(as_of, self.today)
        con = self._store.con
        key = (org or "").strip()
        eid, name = records.entity_of(con, key if key.startswith("o:") else None,
                                      None if key.startswith("o:") else key)
        scope = self._scope(user)
        if scope is not None and scope != eid:
            raise CreditForbidden("an enterprise user sees the credit of its own organisation only")
        tiers, _ = compute(con, self.rules, day, entity=eid)
        t = tiers.get(eid) or {"tier": UNKNOWN, "weight": 0.0, "reason_key": "credit.why.unknown",
                               "reason_values": {}, "reason": "nothing is recorded about this organisation: its "
                               "credit is unknown", "counting": [], "evidence": []}
        evidence = []
        for item in t["evidence"]:
            cat = self.rules.categories.get(item.get("category") or "")
            kind = self.rules.kinds.get(item["kind"])
            evidence.append({**_plain(item), "rule": cat and {"id": cat.id, "article": cat.article, "zh": cat.zh,
                                                              "en": cat.en, "weight": cat.weight, "years": cat.years,
                                                              "serious": cat.serious},
                             "kind_zh": kind.zh if kind else item["kind"],
                             "kind_en": kind.en if kind else item["kind"]})
        return {"as_of": day.isoformat(), "entity_id": eid, "name": name, "tier": t["tier"], "weight": t["weight"],
                "reason_key": t["reason_key"], "reason_values": t["reason_values"], "reason": t["reason"],
                "counting": t["counting"], "basis": self.rules.basis, "rules_digest": self.rules.digest,
                "evidence": evidence, "audit": self.audit_log(entity=eid) if scope is None else []}

    def audit_log(self, entity: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        con = self._store.con
        where, params = ("WHERE entity_id = ?", [entity]) if entity else ("", [])
        rows = con.execute("SELECT id, logged_at, actor, action, entity_id, target, before, after FROM credit_audit "
                           f"{where} ORDER BY id DESC LIMIT ?", [*params, limit]).fetchall()
        return [{"id": r[0], "at": _iso(r[1]), "actor": r[2], "action": r[3], "entity_id": r[4], "target": r[5],
                 "before": json.loads(r[6]) if r[6] else None, "after": json.loads(r[7]) if r[7] else None}
                for r in rows]

    def links(self) -> list[dict[str, Any]]:
        rows = self._store.con.execute(
            "SELECT user_name, entity_id, set_by, set_at FROM credit_user_orgs ORDER BY user_name").fetchall()
        return [{"user": r[0], "entity_id": r[1], "set_by": r[2], "set_at": _iso(r[3])} for r in rows]

    # writes ------------------------------------------------------------------------------------------
    def _writable(self) -> None:
        if self._store.read_only:
            raise CreditError("the store is open read-only: record credit changes on a writable store")
        self._check_table()

    def compute(self, as_of: str | date | None = None, actor: str = "cli") -> dict[str, Any]:
        """Recompute every tier, keep the snapshot and audit what changed (run it daily: windows end with time)."""
        self._writable()
        con = self._store.con
        with records.transaction(con):
            return records.snapshot(con, self.rules, as_of_date(as_of, self.today), actor)

    def record(self, fields: dict[str, Any], actor: str) -> dict[str, Any]:
        """One record entered by hand (fields of docs/formats.md "Credit records"), then the tiers."""
        self._writable()
        con = self._store.con
        with records.transaction(con):
            rec = records.add_record(con, self.rules, fields, actor, self.today)
            changes = records.snapshot(con, self.rules, self.today, actor)
        return {**{k: _iso(v) for k, v in rec.items()}, "changed": changes["changed"]}

    def load(self, path: str | Path, actor: str, named: str | None = None) -> dict[str, Any]:
        """Every record of a CSV/XLSX file, or none; then the tiers (``named``: the file's name in errors, an
        upload's own)."""
        self._writable()
        con = self._store.con
        with records.transaction(con):
            done = records.load_file(con, self.rules, Path(path), actor, self.today, named)
            changes = records.snapshot(con, self.rules, self.today, actor)
        return {**done, "changed": changes["changed"]}

    def repair(self, key: str, repaired_on: str | date, basis: str, actor: str) -> dict[str, Any]:
        """A repair (信用修复) of one record or case; then the tiers."""
        self._writable()
        con = self._store.con
        with records.transaction(con):
            row = records.add_repair(con, key, repaired_on, basis, actor, self.today)
            changes = records.snapshot(con, self.rules, self.today, actor)
        return {**{k: _iso(v) for k, v in row.items()}, "changed": changes["changed"]}

    def link(self, user: str, entity: str | None, actor: str) -> dict[str, Any]:
        """Link an enterprise user to its organisation (``entity`` None: unlink)."""
        self._writable()
        con = self._store.con
        with records.transaction(con):
            return records.set_link(con, user, entity, actor)


__all__ = ["Credit", "CreditError", "CreditForbidden", "CreditNotFound"]
