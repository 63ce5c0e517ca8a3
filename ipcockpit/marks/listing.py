"""The trademark list: one data function over the trademark tables (ipcockpit.model.trademarks), no Cockpit needed.

:func:`trademarks` returns a plain dict (rows and the total) that JSON, CSV and HTML can render alike. Filters:
``nice_class`` (a Nice class, 1-45; full-width digits and "第9类" accepted), ``group`` (a 类似群, ``0901``),
``applicant`` (a part of an applicant's or owner's name, case-insensitive), ``status`` (one normalised status
or several), ``office``, ``madrid`` and ``gi``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

import duckdb

from ipcockpit.model.trademarks import STATUSES
from ipcockpit.store.like import ESCAPE, contains_pattern

MAX_LIMIT = 10_000
_COLUMNS = ("mark_id", "office", "number", "reg_number", "mark_text", "mark_image", "mark_kind", "status",
            "status_code", "status_text", "status_rule", "filing_date", "publication_date", "registration_date",
            "expiry_date", "intl_reg_date", "madrid", "gi", "shared", "notes")


def _class_number(value: int | str) -> int:
    text = unicodedata.normalize("NFKC", str(value)).strip().removeprefix("第").removesuffix("类")
    number = int(text)
    if not 1 <= number <= 45:
        raise ValueError(f"class {value!r}: a Nice class is 1 to 45")
    return number


def trademarks(con: duckdb.DuckDBPyConnection, *, nice_class: int | str | None = None, group: str | None = None,
               applicant: str | None = None, status: str | Iterable[str] | None = None, office: str | None = None,
               madrid: bool | None = None, gi: bool | None = None, limit: int = 100, offset: int = 0,
               ) -> dict[str, Any]:
    """Marks matching every filter given, by filing date (newest first), then id: ``{"total", "rows"}``; each row
    has the mark's columns plus ``classes`` (Nice classes), ``groups`` (类似群) and ``applicants`` (names in order)."""
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise ValueError(f"limit={limit}, offset={offset}: ask for 1 to {MAX_LIMIT:,} rows from offset 0 or more")
    where, params = ["TRUE"], []
    if nice_class is not None:
        where.append("EXISTS (SELECT 1 FROM trademark_classes c WHERE c.mark_id = t.mark_id AND c.nice_class = ?)")
        params.append(_class_number(nice_class))
    if group:
        where.append("EXISTS (SELECT 1 FROM trademark_classes c WHERE c.mark_id = t.mark_id "
                     "AND c.scheme = 'cn_group' AND c.code = ?)")
        params.append(unicodedata.normalize("NFKC", group).strip())
    if applicant:
        where.append("EXISTS (SELECT 1 FROM trademark_parties p WHERE p.mark_id = t.mark_id AND p.role <> 'agent' "
                     f"AND (p.name_raw ILIKE ? {ESCAPE} OR p.name_norm ILIKE ? {ESCAPE}))")
        pattern = contains_pattern(applicant.strip())
        params += [pattern, pattern]
    if status:
        wanted = [status] if isinstance(status, str) else list(status)
        unknown = [s for s in wanted if s not in STATUSES]
        if unknown:
            raise ValueError(f"status {unknown[0]!r}: one of {', '.join(STATUSES)}")
        where.append("list_contains(?, t.status)")
        params.append(wanted)
    for column, value in (("office", office.upper() if office else None), ("madrid", madrid), ("gi", gi)):
        if value is not None:
            where.append(f"t.{column} IS NOT DISTINCT FROM ?")
            params.append(value)
    sql_where = " AND ".join(where)
    total = con.execute(f"SELECT count(*) FROM trademarks t WHERE {sql_where}", params).fetchone()[0]
    cols = ", ".join(f"t.{c}" for c in _COLUMNS)
    cur = con.execute(
        f"SELECT {cols}, "
        "(SELECT list(c.nice_class ORDER BY c.nice_class) FROM trademark_classes c WHERE c.mark_id = t.mark_id "
        " AND c.scheme = 'nice') AS classes, "
        "(SELECT list(c.code ORDER BY c.code) FROM trademark_classes c WHERE c.mark_id = t.mark_id "
        " AND c.scheme = 'cn_group') AS groups, "
        "(SELECT list(p.name_raw ORDER BY p.seq) FROM trademark_parties p WHERE p.mark_id = t.mark_id "
        " AND p.role <> 'agent') AS applicants "
        f"FROM trademarks t WHERE {sql_where} ORDER BY t.filing_date DESC NULLS LAST, t.mark_id LIMIT ? OFFSET ?",
        [*params, limit, offset])
    names = [d[0] for d in cur.description or []]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for r in rows:
        for key in ("classes", "groups", "applicants"):
            r[key] = r[key] or []
    return {"total": int(total), "rows": rows}
