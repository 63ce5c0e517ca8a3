"""Data-quality checks run after every ingest: orphan rows, impossible dates, duplicates, missing titles.

Checks named in :data:`INFORMATION` count what is worth knowing but not wrong (family members outside the
corpus, dates a reader corrected); the others count problems.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from ipcockpit import memo
from ipcockpit.model.records import EARLIEST_DATE, LATEST_YEARS_AHEAD, WEEK_YEAR_NOTE
from ipcockpit.model.schema import CORE_TABLES
from ipcockpit.store.duckdb_store import Store

#: checks that inform rather than flag a problem
INFORMATION = ("family_members_outside_corpus", "corrected_week_year_dates", "kindless_apart")
#: date columns a reader may have corrected (its note is in extra.date_notes under the column's name)
_DATE_FIELDS = ("pub_date", "app_date", "priority_date")

# family_members may name documents outside the corpus (a family lists every member), so they are
# counted apart, not as orphans
_CHILD_TABLES = [t for t, cols in CORE_TABLES.items()
                 if t not in ("documents", "family_members") and any(c == "doc_id" for c, _ in cols)]
#: child tables without a column that places a row in its record (seq, num): a source may give two equal rows
#: (USPTO ODP lists an IDS filed twice on one day; a PATENTSCOPE export writes two priorities of one country and
#: date as number 'null'), so equal rows count as duplicates there only when they come from different files
_UNPLACED = ("legal_events", "priorities")


def quality(store: Store) -> dict[str, Any]:
    """A dict of named checks, each with a count and a few examples (kept while the store is unchanged, per day:
    :mod:`ipcockpit.memo`; each call gets a copy of its own)."""
    return copy.deepcopy(memo.kept(store.con, ("quality", date.today()), lambda: _quality(store)))


def _quality(store: Store) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    orphans = {}
    for table in _CHILD_TABLES:
        n = store.scalar(
            f'SELECT count(*) FROM "{table}" c WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.doc_id = c.doc_id)'
        )
        if n:
            orphans[table] = int(n)
    checks["orphan_rows"] = {"count": sum(orphans.values()), "by_table": orphans}
    checks["family_members_outside_corpus"] = {"count": int(store.scalar(
        "SELECT count(*) FROM family_members f WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.doc_id = f.doc_id)"
    )), "note": "members a family names that are not loaded (information, not an error)"}
    checks["impossible_dates"] = _check(
        store,
        f"pub_date < DATE '{EARLIEST_DATE}' OR pub_date > current_date + INTERVAL {LATEST_YEARS_AHEAD} YEAR "
        f"OR app_date > pub_date OR app_date > grant_date OR grant_date < DATE '{EARLIEST_DATE}' "
        "OR priority_date > app_date",
    )
    checks["corrected_week_year_dates"] = _week_years(store)
    checks["duplicate_numbers"] = _dupes(store)
    checks["duplicate_child_rows"] = _duplicate_rows(store)
    checks["kindless_apart"] = _kindless_apart(store)
    checks["missing_titles"] = _check(store, "NOT stub AND (title IS NULL OR trim(title) = '')")
    checks["quarantined"] = {"count": store.count("quarantine")}
    return checks


def _check(store: Store, where: str, note: str | None = None) -> dict[str, Any]:
    """Documents (alias ``s``) matching ``where``: their count and the first few ids (and ``note``)."""
    n = store.scalar(f"SELECT count(*) FROM documents s WHERE {where}")
    examples = [r["doc_id"] for r in store.query(f"SELECT doc_id FROM documents s WHERE {where} "
                                                 "ORDER BY doc_id LIMIT 5")]
    return {"count": int(n), "examples": examples, **({"note": note} if note else {})}


def _dupes(store: Store) -> dict[str, Any]:
    """One publication stored twice: with and without a kind code, on the same date or stage (or the kind-less
    one undated). The loader folds such a pair into one; a count here means it did not."""
    return _check(store, "NOT stub AND kind IS NULL AND EXISTS (SELECT 1 FROM documents e WHERE e.office = s.office "
                  "AND e.number = s.number AND e.kind IS NOT NULL "
                  "AND (s.pub_date IS NULL OR e.pub_date = s.pub_date OR e.stage = s.stage))",
                  "same publication loaded with and without a kind code")


def _duplicate_rows(store: Store) -> dict[str, Any]:
    """Rows a document holds twice, by table: equal to another row of the same document in every column but
    ``file_id`` (``seq`` and ``num`` included: a row a source itself repeats, one agent named at two places or a
    citation listed twice, sits at another place and is none). In legal_events and priorities, which place no
    row, only rows equal to one from another file count. A record repeated in its file, or a document given by
    two files, adds no row equal to one the document has (:mod:`ipcockpit.store.loader`): a count here means a
    load or a hand-made change stored one twice. The count is the rows beyond the first of each set (beyond
    one file's rows, in the two unplaced tables)."""
    by_table: dict[str, int] = {}
    examples: set[str] = set()
    for table in [*_CHILD_TABLES, "family_members"]:
        key = ", ".join(f'"{c}"' for c, _ in CORE_TABLES[table] if c != "file_id")
        if table in _UNPLACED:
            sets = (f'SELECT doc_id, sum(n) - max(n) AS extra FROM (SELECT {key}, count(*) AS n FROM "{table}" '
                    f"GROUP BY {key}, file_id) GROUP BY {key} HAVING count(*) > 1")
        else:
            sets = f'SELECT doc_id, count(*) - 1 AS extra FROM "{table}" GROUP BY {key} HAVING count(*) > 1'
        n, docs = store.con.execute(
            f"WITH s AS MATERIALIZED ({sets}) SELECT (SELECT coalesce(sum(extra), 0) FROM s), "
            "(SELECT list(doc_id) FROM (SELECT DISTINCT doc_id FROM s ORDER BY doc_id LIMIT 5))").fetchone() or (0, [])
        if n:
            by_table[table] = int(n)
            examples.update(docs or [])
    return {"count": sum(by_table.values()), "by_table": by_table, "examples": sorted(examples)[:5],
            "note": "rows a document holds twice (seq included; legal events and priorities: from two files)"}


def _kindless_apart(store: Store) -> dict[str, Any]:
    """Kind-less documents kept as publications of their own beside kinded ones of the same number: none of
    those has their date or stage (a PATENTSCOPE row of an A1 that no other source loaded, or sources that
    date one publication differently)."""
    return _check(store, "NOT stub AND kind IS NULL AND pub_date IS NOT NULL "
                  "AND EXISTS (SELECT 1 FROM documents e WHERE e.office = s.office AND e.number = s.number "
                  "AND e.kind IS NOT NULL) AND NOT EXISTS (SELECT 1 FROM documents e WHERE e.office = s.office "
                  "AND e.number = s.number AND e.kind IS NOT NULL AND (e.pub_date = s.pub_date OR e.stage = s.stage))",
                  "without a kind code, beside publications of the same number with one, none of the same date")


def _week_years(store: Store) -> dict[str, Any]:
    """Dates a reader read with the week-based year (Lens exports write the year of the week of the next
    1 January for the last days of December), by column; the reader's note is in ``extra.date_notes``."""
    like = f"%{WEEK_YEAR_NOTE}%"
    fields = ", ".join(f"count(*) FILTER (WHERE json_extract_string(extra, '$.date_notes.{f}') LIKE ?)"
                       for f in _DATE_FIELDS)
    where = "extra IS NOT NULL AND extra LIKE ?"
    counts = store.con.execute(f"SELECT {fields} FROM documents WHERE {where}", [like] * 4).fetchone() or ()
    by_field = {f: int(n) for f, n in zip(_DATE_FIELDS, counts, strict=True) if n}
    examples = [r["doc_id"] for r in store.query(
        f"SELECT doc_id FROM documents WHERE {where} ORDER BY doc_id LIMIT 5", [like])]
    return {"count": sum(by_field.values()), "by_field": by_field, "examples": examples,
            "note": "dates read as the year before: the source wrote the week-based year (extra.date_notes says why)"}
