"""Flatten records into Arrow tables, one per data table (without ``file_id``, which the loader adds).

:func:`flatten` is also what a parallel ingester calls inside its worker processes, yielding the
resulting :class:`FlatBatch` instead of the records (it pickles as Arrow buffers, and the work of
flattening stays off the loading process).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import pyarrow as pa

from ipcockpit.model.addresses import enrich_address
from ipcockpit.model.events import classify_event
from ipcockpit.model.names import guess_party_type, normalise_name
from ipcockpit.model.numbers import stage_and_type
from ipcockpit.model.records import PatentRecord, ReferenceRecord
from ipcockpit.model.schema import DATA_TABLES, arrow_schema


@dataclass
class FlatBatch:
    """Records already flattened: ``records`` records as Arrow tables (no ``file_id`` column).

    Every PatentRecord gave one ``documents`` row and every ReferenceRecord one row of its table.
    """

    tables: dict[str, pa.Table]
    records: int


@cache
def flat_schema(table: str) -> pa.Schema:
    schema = arrow_schema(table)
    return schema.remove(schema.get_field_index("file_id"))


class _HidePandas:
    """A meta-path finder that refuses to import pandas (see :func:`arrow_without_pandas`)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas":
            raise ImportError("pandas is not needed to build Arrow arrays from Python objects")
        return None


def arrow_without_pandas() -> None:
    """Let pyarrow build arrays from Python objects without importing pandas.

    On its first array pyarrow imports pandas (a quarter of a second) only to ask whether the objects
    are pandas ones. Called before that first array, this hides pandas for it: pyarrow notes that
    there is none and no longer asks; a later call that does need pandas (``to_pandas``) still imports
    it. For processes where no pandas object reaches pyarrow, such as ingest and its parser workers.
    """
    if "pandas" in sys.modules:
        return
    finder = _HidePandas()
    sys.meta_path.insert(0, finder)
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(finder)


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def extra_json(extra: dict[str, Any]) -> str | None:
    """A record's ``extra`` fields as the JSON text of the ``documents.extra`` column (None when empty)."""
    return json.dumps(extra, ensure_ascii=False, default=_json_default) if extra else None


def flatten(records: Iterable[PatentRecord | ReferenceRecord]) -> FlatBatch:
    rows = empty_rows()
    refs: dict[str, list[dict[str, Any]]] = {}
    n = 0
    for rec in records:
        n += 1
        if isinstance(rec, ReferenceRecord):
            if rec.table not in DATA_TABLES:
                raise KeyError(f"unknown reference table {rec.table!r}")
            refs.setdefault(rec.table, []).append(rec.values)
        else:
            _patent_rows(rec, rows)
    tables = tables_of_rows(rows)
    for name, values in refs.items():
        schema = flat_schema(name)
        tables[name] = pa.Table.from_pylist(values, schema=schema)
    return FlatBatch(tables, n)


def empty_rows() -> dict[str, list[tuple[Any, ...]]]:
    """One empty row list per data table, to be filled in schema column order (``file_id`` left out)."""
    return {t: [] for t in DATA_TABLES}


def tables_of_rows(rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, pa.Table]:
    """Arrow tables of row tuples in schema column order (``file_id`` left out); empty tables left out."""
    tables: dict[str, pa.Table] = {}
    for name, table_rows in rows.items():
        if table_rows:
            schema = flat_schema(name)
            columns = list(zip(*table_rows, strict=True))
            tables[name] = pa.Table.from_arrays(
                [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)], schema=schema
            )
    return tables


def _patent_rows(rec: PatentRecord, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """Append a record's rows, in the column order of ipcockpit.model.schema (file_id left out)."""
    d = rec.doc_id
    stage, doc_type = rec.stage, rec.doc_type
    if stage is None or doc_type is None:  # what the kind code implies fills what the source left out
        implied_stage, implied_type = stage_and_type(rec.office, rec.kind, rec.pub_date)
        stage, doc_type = stage or implied_stage, doc_type or implied_type
    extra = extra_json(rec.extra)
    rows["documents"].append((
        d, rec.office, rec.number, rec.kind, doc_type, stage, rec.pub_date, rec.app_id, rec.app_date,
        rec.grant_date, rec.priority_date, rec.family_id, rec.family_size, rec.title, rec.lang, rec.status,
        rec.cited_by_count, rec.stub, extra, rec.position,
    ))
    if rec.app_id:
        rows["applications"].append((rec.app_id, rec.office, rec.app_id[2:], rec.app_date))
    if rec.family_id:
        scheme = rec.family_scheme or "source"
        rows["family_members"].extend(
            (rec.family_id, scheme, member) for member in dict.fromkeys([d, *rec.family_members])
        )
    if rec.parties:
        out = rows["parties"]
        for i, p in enumerate(rec.parties, 1):
            a = enrich_address(p.address) if p.address else None
            out.append((
                d, p.sequence or i, p.role, p.name, p.name_norm or normalise_name(p.name),
                p.type or guess_party_type(p.name),
                *((a.country, a.province, a.city, a.district, a.admin_code, a.raw, a.admin_reason)
                  if a else (None,) * 7),
            ))
    if rec.inventors:
        out = rows["inventors"]
        for i, inv in enumerate(rec.inventors, 1):
            a = enrich_address(inv.address) if inv.address else None
            out.append((
                d, inv.sequence or i, inv.name, inv.name_norm or normalise_name(inv.name),
                *((a.country, a.province, a.city, a.raw) if a else (None,) * 4),
            ))
    if rec.classifications:
        rows["classifications"].extend(
            (d, c.scheme, c.code, c.main, c.sequence or i) for i, c in enumerate(rec.classifications, 1)
        )
    if rec.citations:
        rows["citations"].extend(
            (d, c.sequence or i, c.cited_doc_id, c.cited_raw, c.cited_office, c.cited_date, c.npl, c.category,
             c.cited_by)
            for i, c in enumerate(rec.citations, 1)
        )
    if rec.legal_events:
        out = rows["legal_events"]
        for e in rec.legal_events:
            office = e.office or rec.office
            out.append((
                d, e.event_date, office, e.code, e.raw_text,
                e.event_class or classify_event(office, e.code, e.raw_text), e.influence, e.counterparty,
                e.amount, e.currency,
            ))
    if rec.texts:
        rows["texts"].extend((d, t.kind, t.lang or rec.lang, t.text) for t in rec.texts)
    if rec.claims:
        rows["claims"].extend(
            (d, c.number, c.text, c.independent, c.depends_on, c.lang or rec.lang) for c in rec.claims
        )
    if rec.priorities:
        rows["priorities"].extend((d, p.country, p.number, p.date) for p in rec.priorities)


def record_weight(rec: PatentRecord) -> int:
    """Rough bytes a record holds in memory, to bound a batch by size as well as by count."""
    return 500 + sum(len(t.text) for t in rec.texts) + sum(len(c.text) for c in rec.claims)
