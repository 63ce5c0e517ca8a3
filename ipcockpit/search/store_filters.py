"""The search filters answered by the store (SQL): ``ipc`` and ``cpc`` (code prefix), ``industry`` (an SEI code
through ``ref_ipc_concordance``'s IPC rules and exclusions) and ``applicant`` (a part of an applicant's,
patentee's, assignee's or current owner's name, raw or folded). The others (office, dates, in force) are
answered from the index manifest (:func:`ipcockpit.search.hybrid._mask`)."""

from __future__ import annotations

import re
from typing import Any

import duckdb

from ipcockpit.graph.sei import industry_codes
from ipcockpit.search.errors import SearchError
from ipcockpit.search.index import APPLICANT_ROLES

_APPLICANT_ROLES = "(" + ", ".join(f"'{r}'" for r in APPLICANT_ROLES) + ")"


def store_ids(con: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> set[str] | None:
    """doc_ids the store-side filters (ipc, cpc, industry, applicant) leave; None when none is set."""
    sets: list[set[str]] = []
    for scheme in ("ipc", "cpc"):
        if f.get(scheme):
            prefix = re.sub(r"\s+", "", str(f[scheme])).upper()
            rows = con.execute(
                "SELECT DISTINCT doc_id FROM classifications WHERE scheme = ? AND "
                "starts_with(replace(upper(code), ' ', ''), ?)",
                [scheme.upper(), prefix],
            ).fetchall()
            sets.append({r[0] for r in rows})
    if f.get("industry"):
        scheme = f.get("sei_scheme") or "sei2021"
        code = str(f["industry"]).strip().rstrip(".")
        if not con.execute("SELECT count(*) FROM ref_ipc_concordance WHERE scheme = ?", [scheme]).fetchall()[
            0
        ][0]:
            raise SearchError(
                f"filter industry={code!r}: the concordance {scheme!r} is not loaded in the store "
                "(table ref_ipc_concordance); ingest cnipa_sei2021_ipc_concordance.json first"
            )
        codes = industry_codes(con, code, scheme)  # matched once per distinct code, not a regex per row
        rows = con.execute("SELECT DISTINCT doc_id FROM classifications WHERE scheme = 'IPC' "
                           "AND code IN (SELECT unnest($codes::VARCHAR[]))", {"codes": codes}).fetchall()
        sets.append({r[0] for r in rows})
    if f.get("applicant"):
        from ipcockpit.model.names import normalise_name
        from ipcockpit.store.like import ESCAPE, contains_pattern

        raw = str(f["applicant"]).strip()
        rows = con.execute(
            f"SELECT DISTINCT doc_id FROM parties WHERE role IN {_APPLICANT_ROLES} AND "
            f"(name_norm ILIKE $n {ESCAPE} OR name_raw ILIKE $r {ESCAPE})",
            {"n": contains_pattern(normalise_name(raw) or raw), "r": contains_pattern(raw)},
        ).fetchall()
        sets.append({r[0] for r in rows})
    if not sets:
        return None
    out = sets[0]
    for s in sets[1:]:
        out &= s
    return out
