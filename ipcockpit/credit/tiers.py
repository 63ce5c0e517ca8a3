"""Tiers A–D of organisations from the evidence, deterministically (docs/monitoring.md "Credit tiers").

Evidence of an organisation (:func:`evidence`): its ``credit_records`` and the ``signal_cases`` the signals helper
keeps whose subject is the organisation and whose status is ``handled`` (``confirmed``: a failure of the category
the rules map the signal kind to; ``dismissed``: the organisation was checked). Each item gets its window (its date
to date + the category's ``years``) and, as of a date, its state: ``counts``, ``expired``, ``repaired`` (a repair
dated on or before the date), ``future`` (dated after it), ``known`` (neutral), ``unmapped`` (a confirmed case whose
kind the rules do not name: shown, never counted).

:func:`tier` of the items: D when the failures that count weigh ``d_weight`` or more or one is serious; C when they
weigh ``c_weight`` or more; A when no failure counts and positive evidence counts; B when no failure counts and
anything dated on or before the date is recorded; ``unknown`` when nothing is (the organisation is shown as unknown,
never as good).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import duckdb

from ipcockpit.credit import UNKNOWN
from ipcockpit.credit.rules import Rules
from ipcockpit.credit.store import has_table

STATES = ("counts", "repaired", "expired", "future", "known", "unmapped")


def add_years(day: date, years: float) -> date:
    """``day`` plus ``years``: whole years on the calendar (29 February to 28 February), else days of 365.25."""
    if float(years).is_integer():
        y = day.year + int(years)
        try:
            return day.replace(year=y)
        except ValueError:
            return day.replace(year=y, day=28)
    return day + timedelta(days=round(years * 365.25))


def current_ids(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each merged entity id → the entity it was merged into now (followed to the end)."""
    if not has_table(con, "org_entities"):
        return {}
    merged = dict(con.execute("SELECT entity_id, merged_into FROM org_entities WHERE merged_into IS NOT NULL")
                  .fetchall())
    out = {}
    for eid in merged:
        seen, cur = {eid}, merged[eid]
        while cur in merged and merged[cur] not in seen:
            seen.add(cur)
            cur = merged[cur]
        out[eid] = cur
    return out


def _records(con: duckdb.DuckDBPyConnection, rules: Rules, moved: dict[str, str],
             entity: str | None) -> list[dict[str, Any]]:
    rows = con.execute("SELECT * FROM credit_records ORDER BY decided_on, record_id").fetchall()
    cols = [d[0] for d in con.description]
    out = []
    for row in rows:
        r = dict(zip(cols, row, strict=True))
        eid = moved.get(r["entity_id"], r["entity_id"])
        if entity is not None and eid != entity:
            continue
        kind = rules.kinds.get(r["kind"])
        cat_id = r["category"] or (kind.category if kind else None)
        cat = rules.categories.get(cat_id) if cat_id else None
        effect = kind.effect if kind else "unmapped"
        if effect == "failure" and (cat is None or cat.positive):
            effect = "unmapped"
        out.append({"key": f"record:{r['record_id']}", "source": "record", "entity_id": eid, "kind": r["kind"],
                    "category": cat_id, "effect": effect, "date": r["decided_on"],
                    "years": cat.years if cat and effect != "neutral" else None,
                    "weight": cat.weight if cat and effect == "failure" else 0.0,
                    "serious": bool(cat and cat.serious and effect == "failure"),
                    "authority": r["authority"], "document_no": r["document_no"], "summary": r["summary"],
                    "origin": r["origin"], "entered_by": r["entered_by"],
                    "entered_at": r["entered_at"].isoformat(timespec="seconds") if r["entered_at"] else None})
    return out


def subject_ids(con: duckdb.DuckDBPyConnection, subjects: list[str], moved: dict[str, str]) -> dict[str, str]:
    """Each case subject → its entity: an ``o:`` id as it stands now, else the entity a party of that name (as
    written or folded) has (:class:`ipcockpit.credit.records.Resolver`, as
    :func:`ipcockpit.strength.ranking.find_entity` would)."""
    from ipcockpit.credit.records import Resolver

    resolver = Resolver(con)
    resolver.prime([s for s in subjects if not s.startswith("o:")])
    out = {}
    for s in subjects:
        found = s if s.startswith("o:") else resolver.names.get(s)
        if found:
            out[s] = moved.get(found, found)
    return out


def _cases(con: duckdb.DuckDBPyConnection, rules: Rules, moved: dict[str, str],
           entity: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The handled signal cases as evidence items, and those whose subject names no organisation of the store."""
    if not has_table(con, "signal_cases"):
        return [], []
    rows = con.execute("SELECT case_id, kind, subject, subject_name, suspect_count, result, note, updated_by, "
                       "updated_at FROM signal_cases WHERE status = 'handled' AND result IN ('confirmed', "
                       "'dismissed') ORDER BY updated_at, case_id").fetchall()
    ids = subject_ids(con, sorted({r[2] for r in rows if r[2]}), moved)
    items, unresolved = [], []
    for case_id, kind, subject, name, suspects, result, note, by, at in rows:
        eid = ids.get(subject or "")
        base = {"key": f"case:{case_id}", "source": "signal_case", "case_id": case_id, "kind": kind,
                "subject": subject, "subject_name": name, "suspect_count": suspects, "result": result,
                "summary": note, "entered_by": by, "date": at.date() if isinstance(at, datetime) else at}
        if eid is None:
            unresolved.append(base)
            continue
        if entity is not None and eid != entity:
            continue
        cat_id = rules.signal_cases.get(kind) if result == "confirmed" else None
        cat = rules.categories.get(cat_id) if cat_id else None
        effect = "neutral" if result == "dismissed" else ("failure" if cat else "unmapped")
        items.append({**base, "entity_id": eid, "category": cat_id, "effect": effect,
                      "years": cat.years if cat else None, "weight": cat.weight if cat else 0.0,
                      "serious": bool(cat and cat.serious)})
    return items, unresolved


def evidence(con: duckdb.DuckDBPyConnection, rules: Rules,
             entity: str | None = None) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """Every organisation's evidence items (of ``entity`` only when given), with their repairs; and the handled
    signal cases whose subject no organisation of the store has."""
    moved = current_ids(con)
    items = _records(con, rules, moved, entity)
    cases, unresolved = _cases(con, rules, moved, entity)
    repairs = {r[0]: {"repaired_on": r[1], "basis": r[2], "entered_by": r[3],
                      "entered_at": r[4].isoformat(timespec="seconds")}
               for r in con.execute("SELECT evidence_key, repaired_on, basis, entered_by, entered_at "
                                    "FROM credit_repairs").fetchall()}
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items + cases:
        item["repair"] = repairs.get(item["key"])
        out[item["entity_id"]].append(item)
    return dict(out), unresolved


def state(item: dict[str, Any], as_of: date) -> str:
    """An item's state as of ``as_of`` (the module docstring), setting its ``until`` (the window's end)."""
    start = item["date"]
    item["until"] = add_years(start, item["years"]) if item["effect"] in ("failure", "positive") else None
    if start > as_of:
        return "future"
    if item["until"] is None:
        return "known" if item["effect"] == "neutral" else "unmapped"
    if as_of >= item["until"]:
        return "expired"
    repair = item.get("repair")
    if repair and repair["repaired_on"] <= as_of:
        return "repaired"
    return "counts"


def tier(items: list[dict[str, Any]], rules: Rules, as_of: date) -> dict[str, Any]:
    """The tier of one organisation's items as of ``as_of``, with why (``reason_key``, ``reason_values``, the
    English ``reason``) and each item's ``state``; the items are sorted by date, then key."""
    items = sorted(items, key=lambda i: (i["date"], i["key"]))
    for item in items:
        item["state"] = state(item, as_of)
    failing = [i for i in items if i["state"] == "counts" and i["effect"] == "failure"]
    positive = [i for i in items if i["state"] == "counts" and i["effect"] == "positive"]
    weight = float(sum(i["weight"] for i in failing))
    serious = [i for i in failing if i["serious"]]
    known = [i for i in items if i["state"] != "future"]  # what was known as of the date
    values: dict[str, Any] = {"weight": weight, "failures": len(failing), "c_weight": rules.c_weight,
                              "d_weight": rules.d_weight, "records": len(known)}
    if serious:
        grade, key = "D", "credit.why.d_serious"
        values["category"] = serious[0]["category"]
        reason = f"a failure of the serious category {serious[0]['category']} counts"
    elif failing and weight >= rules.d_weight:
        grade, key = "D", "credit.why.d_weight"
        reason = f"{len(failing)} failure(s) weighing {weight:g} count (D from {rules.d_weight:g})"
    elif failing and weight >= rules.c_weight:
        grade, key = "C", "credit.why.c"
        reason = f"{len(failing)} failure(s) weighing {weight:g} count (C from {rules.c_weight:g})"
    elif positive:
        grade, key = "A", "credit.why.a"
        values["positive"] = len(positive)
        reason = f"no failure counts and {len(positive)} positive record(s) count"
    elif known:
        grade, key = "B", "credit.why.b"
        reason = f"no failure counts; {len(known)} record(s) known"
    else:
        grade, key = UNKNOWN, "credit.why.unknown"
        reason = "nothing is recorded about this organisation: its credit is unknown"
    return {"tier": grade, "weight": weight, "reason_key": key, "reason_values": values, "reason": reason,
            "counting": [i["key"] for i in failing + positive], "evidence": items}


def compute(con: duckdb.DuckDBPyConnection, rules: Rules, as_of: date,
            entity: str | None = None) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The tier of every organisation with evidence (of ``entity`` only when given) as of ``as_of``, and the
    handled signal cases no organisation of the store has."""
    found, unresolved = evidence(con, rules, entity)
    return {eid: tier(items, rules, as_of) for eid, items in sorted(found.items())}, unresolved
