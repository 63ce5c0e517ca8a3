"""Table rows of prepared USPTO documents, straight from the worker's tuples (no record objects).

The parser workers of :mod:`ipcockpit.ingest.uspto_xml` turn each document into a ``prepare`` tuple.
:func:`add_rows` writes that tuple's rows in the column order of :mod:`ipcockpit.model.schema`, exactly
as :func:`ipcockpit.model.flat.flatten` of :func:`~ipcockpit.ingest.uspto_xml.build_record` would (a test
checks the two give equal tables on the real weekly files), without building the PatentRecord, Party,
Address ... objects in between: at a whole year of weekly files that is a third of the workers' time.
Party and inventor names and the few thousand distinct addresses of a file repeat across documents
(examiners, agents, cities), so their normalised forms are computed once per worker.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ipcockpit.model.addresses import enrich_address
from ipcockpit.model.flat import extra_json
from ipcockpit.model.names import guess_party_type, normalise_name
from ipcockpit.model.records import Address

Rows = dict[str, list[tuple[Any, ...]]]
_NO_ADDRESS = (None,) * 7


@lru_cache(maxsize=65536)
def _name(name: str) -> tuple[str | None, str | None]:
    return normalise_name(name), guess_party_type(name)


@lru_cache(maxsize=65536)
def _norm(name: str) -> str | None:
    return normalise_name(name)


@lru_cache(maxsize=65536)
def _place(addr: tuple[str, str | None, str | None, str | None]) -> tuple[Any, ...]:
    """(country, province, city, district, admin_code, raw, admin_reason) of a prepared address tuple."""
    a = enrich_address(Address(*addr))
    return (a.country, a.province, a.city, a.district, a.admin_code, a.raw, a.admin_reason)


def add_rows(prepared: tuple[Any, ...], rows: Rows) -> None:
    """Append the rows of one prepared ("doc", ...) tuple to ``rows`` (see :func:`ipcockpit.model.flat.empty_rows`)."""
    _, head, parties, inventors, classes, citations, claims, texts, prio = prepared
    d = head["doc_id"]
    rows["documents"].append((
        d, head["office"], head["number"], head["kind"], head["doc_type"], head["stage"], head["pub_date"],
        head["app_id"], head["app_date"], head["grant_date"], head["priority_date"], None, None, head["title"],
        head["lang"], None, None, False,
        extra_json(head["extra"]), head["position"],
    ))
    app_id = head["app_id"]
    if app_id:
        rows["applications"].append((app_id, head["office"], app_id[2:], head["app_date"]))
    out = rows["parties"]
    for name, role, addr, seq in parties:
        out.append((d, seq, role, name, *_name(name), *(_place(addr) if addr else _NO_ADDRESS)))
    out = rows["inventors"]
    for name, addr, seq in inventors:
        place = _place(addr) if addr else _NO_ADDRESS
        out.append((d, seq, name, _norm(name), place[0], place[1], place[2], place[5]))
    rows["classifications"].extend((d, sc, code, main, i) for i, (sc, code, main) in enumerate(classes, start=1))
    rows["citations"].extend((d, seq, cid, raw, cc, cdate, npl, cat, by) for cid, raw, cc, cdate, npl, cat, by, seq
                             in citations)
    lang = head["lang"]
    rows["texts"].extend((d, kind, lang, text) for kind, text in texts)
    rows["claims"].extend((d, n, text, ind, dep, lang) for n, text, ind, dep in claims)
    rows["priorities"].extend((d, cc, num, pdate) for cc, num, pdate in prio)
