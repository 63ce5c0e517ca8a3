"""Corpus statistics as ibis expressions, so the same code runs on DuckDB and on Spark."""

from __future__ import annotations

from typing import Any

import ibis
from ibis.expr.types import Table


def by_office_year(documents: Table) -> Table:
    """Documents per publishing office and publication year (year null when the date is unknown)."""
    docs = documents.filter(~documents.stub.fill_null(False))
    return (
        docs.group_by([docs.office, docs.pub_date.year().name("year")])
        .aggregate(documents=docs.count())
        .order_by(["office", "year"])
    )


def stubs(documents: Table) -> Table:
    """How many documents a source only refers to (``stub``: an OPS search hit, an assignment, a family member,
    a legal event): a number without a bibliographic record of its own. :func:`by_office_year` leaves them
    out; the documents table holds them."""
    docs = documents.filter(documents.stub.fill_null(False))
    return docs.aggregate(stubs=docs.count())


def top_applicants(parties: Table, limit: int = 20) -> Table:
    first = parties.filter(parties.role.isin(["applicant", "assignee", "patentee"]))
    return (
        first.group_by(first.name_norm)
        .aggregate(documents=first.doc_id.nunique(), name=first.name_raw.arbitrary())
        .order_by([ibis.desc("documents"), "name_norm"])
        .limit(limit)
    )


def top_subclasses(classifications: Table, limit: int = 20) -> Table:
    c = classifications.filter(classifications.scheme.isin(["IPC", "CPC"]))
    sub = c.code.substr(0, 4).name("subclass")
    return (
        c.group_by(sub)
        .aggregate(documents=c.doc_id.nunique())
        .order_by([ibis.desc("documents"), "subclass"])
        .limit(limit)
    )


def rows(expr: Table) -> list[dict[str, Any]]:
    """Execute on whatever backend the expression is bound to and return plain Python rows."""
    return expr.to_pyarrow().to_pylist()
