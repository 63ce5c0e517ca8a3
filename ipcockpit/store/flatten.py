"""Flatten records into per-table column lists, ready to become Arrow batches."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from ipcockpit.model.addresses import enrich_address
from ipcockpit.model.events import classify_event
from ipcockpit.model.names import guess_party_type, normalise_name
from ipcockpit.model.records import Address, PatentRecord, ReferenceRecord
from ipcockpit.model.schema import DATA_TABLES
from ipcockpit.store.duckdb_store import arrow_schema


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


class Batch:
    """Column lists for every data table, filled record by record."""

    def __init__(self, file_id: str) -> None:
        self.file_id = file_id
        self.cols: dict[str, dict[str, list[Any]]] = {
            t: {c: [] for c, _ in cols} for t, cols in DATA_TABLES.items()
        }
        self.doc_ids: list[str] = []
        self.merged: list[PatentRecord] = []
        self.records = 0

    def _row(self, table: str, **values: Any) -> None:
        cols = self.cols[table]
        values["file_id"] = self.file_id
        for name, column in cols.items():
            column.append(values.get(name))

    def add_reference(self, rec: ReferenceRecord) -> None:
        if rec.table not in self.cols:
            raise KeyError(rec.table)
        self._row(rec.table, **rec.values)
        self.records += 1

    def add_patent(self, rec: PatentRecord, as_document: bool) -> None:
        """Add a record's rows; ``as_document`` False when the document row exists already (merged)."""
        d = rec.doc_id
        self.records += 1
        if as_document:
            self.doc_ids.append(d)
            self._row(
                "documents",
                doc_id=d,
                office=rec.office,
                number=rec.number,
                kind=rec.kind,
                doc_type=rec.doc_type,
                stage=rec.stage,
                pub_date=rec.pub_date,
                app_id=rec.app_id,
                app_date=rec.app_date,
                grant_date=rec.grant_date,
                priority_date=rec.priority_date,
                family_id=rec.family_id,
                family_size=rec.family_size,
                title=rec.title,
                lang=rec.lang,
                status=rec.status,
                cited_by_count=rec.cited_by_count,
                stub=rec.stub,
                extra=json.dumps(rec.extra, ensure_ascii=False, default=_json_default) if rec.extra else None,
                position=rec.position,
            )
        else:
            self.merged.append(rec)
        if rec.app_id:
            self._row("applications", app_id=rec.app_id, office=rec.office, number=rec.app_id[2:], app_date=rec.app_date)
        if rec.family_id:
            scheme = rec.family_scheme or "source"
            for member in dict.fromkeys([d, *rec.family_members]):
                self._row("family_members", family_id=rec.family_id, scheme=scheme, doc_id=member)
        for i, p in enumerate(rec.parties):
            a = enrich_address(p.address) if p.address else Address()
            self._row(
                "parties",
                doc_id=d,
                seq=p.sequence or i + 1,
                role=p.role,
                name_raw=p.name,
                name_norm=p.name_norm or normalise_name(p.name),
                type=p.type or guess_party_type(p.name),
                country=a.country,
                province=a.province,
                city=a.city,
                district=a.district,
                admin_code=a.admin_code,
                address_raw=a.raw,
            )
        for i, inv in enumerate(rec.inventors):
            a = enrich_address(inv.address) if inv.address else Address()
            self._row(
                "inventors",
                doc_id=d,
                seq=inv.sequence or i + 1,
                name_raw=inv.name,
                name_norm=inv.name_norm or normalise_name(inv.name),
                country=a.country,
                province=a.province,
                city=a.city,
                address_raw=a.raw,
            )
        for i, c in enumerate(rec.classifications):
            self._row("classifications", doc_id=d, scheme=c.scheme, code=c.code, main=c.main, seq=c.sequence or i + 1)
        for i, c in enumerate(rec.citations):
            self._row(
                "citations",
                doc_id=d,
                seq=c.sequence or i + 1,
                cited_doc_id=c.cited_doc_id,
                cited_raw=c.cited_raw,
                cited_office=c.cited_office,
                cited_date=c.cited_date,
                npl=c.npl,
                category=c.category,
                cited_by=c.cited_by,
            )
        for e in rec.legal_events:
            office = e.office or rec.office
            self._row(
                "legal_events",
                doc_id=d,
                event_date=e.event_date,
                office=office,
                code=e.code,
                raw_text=e.raw_text,
                event_class=e.event_class or classify_event(office, e.code, e.raw_text),
                influence=e.influence,
                counterparty=e.counterparty,
                amount=e.amount,
                currency=e.currency,
            )
        for t in rec.texts:
            self._row("texts", doc_id=d, kind=t.kind, lang=t.lang or rec.lang, text=t.text)
        for c in rec.claims:
            self._row(
                "claims",
                doc_id=d,
                num=c.number,
                text=c.text,
                independent=c.independent,
                depends_on=c.depends_on,
                lang=c.lang or rec.lang,
            )
        for p in rec.priorities:
            self._row("priorities", doc_id=d, country=p.country, number=p.number, priority_date=p.date)

    def tables(self) -> dict[str, pa.Table]:
        out = {}
        for name, cols in self.cols.items():
            if cols["file_id"]:
                out[name] = pa.Table.from_pydict(cols, schema=arrow_schema(name))
        return out
