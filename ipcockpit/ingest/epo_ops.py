"""EPO Open Patent Services (OPS): XML answers, the search result as JSON, and the INPADOC code table.

Formats:

- ``epo-ops-xml``: an OPS ``ops:world-patent-data`` answer, recognised by its namespace and what it
  holds. ``exchange-documents`` (biblio): one full record per ``exchange-document``.
  ``ops:patent-family`` (family and legal services): one stub record per ``ops:family-member`` with
  its numbers, priorities, the family (scheme ``inpadoc``) and its INPADOC legal events.
  ``ops:biblio-search``: one stub per hit with its DOCDB family.
- ``epo-ops-search-json``: the same search as JSON (``query``, ``num_results``, ``results`` with
  ``docdb_number`` and ``family_id``), as python-epo-ops-client/patent-client save it.
- ``inpadoc-codes``: EPO's legal-event code table (``legal_code_descriptions_YYYYWW.xlsx``) into
  ``ref_event_codes``, with the model's class of every code from
  ``ipcockpit/model/data/inpadoc_event_classes.csv`` (made by ``scripts/build_event_classes.py``).

Choices: parties come in the ``original`` form (the name as filed, no country suffix) when OPS gives
it, else ``epodoc``, else ``docdb`` (there the ``[US]`` suffix becomes the address country). DOCDB
numbers of US and WO pre-grant publications (``2006142694``) get their 11-digit form
(``20060142694``) so that they meet the same documents from USPTO and WIPO files. OPS gives no
INPADOC family number: a family answer is named by the DOCDB family id of the publication asked
for, with scheme ``inpadoc`` (the DOCDB family of each record stays in ``extra``); every member is a
record of its own, so ``family_members`` stays empty (the loader writes one family row per record
and per listed member, so listing them would write each membership six times). A legal event's
date is its gazette date (``L007EP``); its raw text keeps the description and every detail field
("Ref Country Code: GB; Free Format Text: ...").
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import IO, Any

from lxml import etree

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.csvutil import parse_date
from ipcockpit.model.events import classify_event, code_class
from ipcockpit.model.numbers import application_id, doc_id
from ipcockpit.model.records import (
    Address,
    Citation,
    Classification,
    Inventor,
    LegalEvent,
    Party,
    PatentRecord,
    Priority,
    Record,
    ReferenceRecord,
    Rejected,
    Text,
)

OPS = "http://ops.epo.org"
EXCHANGE = "http://www.epo.org/exchange"
NS = {"ops": OPS, "ex": EXCHANGE}
_PARTY_FORMATS = ("original", "epodoc", "docdb")
_COUNTRY_SUFFIX = re.compile(r"\s*\[([A-Z]{2})\]\s*$")
_IPC_TEXT = re.compile(r"^([A-HY]\d\d[A-Z])\s*(\d+)\s*/\s*(\d+)")
_SYMBOL = re.compile(r"^([A-HY]\d\d[A-Z])\s*(\d+)\s*/\s*(\d+)$")
_CITED_BY = {
    "examiner": "examiner",
    "applicant": "applicant",
    "third-party": "third_party",
    "opponent": "third_party",
}
_PHASE_BY = (
    ("search", "examiner"),
    ("examination", "examiner"),
    ("applicant", "applicant"),
    ("opposition", "third_party"),
    ("third", "third_party"),
)
_CPC_SCHEMES = {"CPC": "CPC", "CPCI": "CPC", "CPCNO": "CPC", "UC": "USPC", "FI": "FI", "FTERM": "FTERM"}


# Numbers -------------------------------------------------------------------------------------
def docdb_number(country: str, number: str, kind: str | None) -> str:
    """The canonical number part of a DOCDB publication number (US/WO pre-grant: 11 digits)."""
    number = re.sub(r"\s", "", number)
    if country in ("US", "WO") and len(number) == 10 and number.isdigit() and number[:2] in ("19", "20"):
        if country == "WO" or (kind or "").upper().startswith("A"):
            return number[:4] + "0" + number[4:]
    return number


def docdb_doc_id(country: str, number: str, kind: str | None) -> str:
    return doc_id(country, docdb_number(country, number, kind), kind)


def ops_application_id(country: str, number: str) -> str:
    """An application id from a DOCDB application number; US ``201815919370`` -> ``US15919370``."""
    number = re.sub(r"\s", "", number)
    if country == "US" and len(number) == 12 and number[:2] in ("19", "20"):
        number = number[4:]
    return application_id(country, number)


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    value = " ".join("".join(el.itertext()).split())
    return value or None


def _date(text: str | None) -> Any:
    try:
        return parse_date(text)
    except ValueError:
        return None


def _docid(parent: etree._Element | None, kind: str) -> etree._Element | None:
    if parent is None:
        return None
    return parent.find(f"ex:document-id[@document-id-type='{kind}']", NS)


def _docdb_parts(parent: etree._Element | None) -> tuple[str, str, str | None, str | None] | None:
    """(country, number, kind, date) of the docdb document-id under ``parent``."""
    d = _docid(parent, "docdb")
    if d is None:
        return None
    country, number = _text(d.find("ex:country", NS)), _text(d.find("ex:doc-number", NS))
    if not country or not number:
        return None
    return country.upper(), number, _text(d.find("ex:kind", NS)), _text(d.find("ex:date", NS))


# Biblio --------------------------------------------------------------------------------------
def _stage(kind: str | None) -> str | None:
    if not kind:
        return None
    return {"A": "application", "B": "grant"}.get(kind[0].upper())


def _parties(bib: etree._Element, group: str, item: str) -> tuple[list[str], list[str | None]]:
    """Names and countries of one party list, in one data format (original > epodoc > docdb)."""
    elements = bib.findall(f"ex:parties/ex:{group}/ex:{item}", NS)
    for fmt in _PARTY_FORMATS:
        chosen = [e for e in elements if e.get("data-format") == fmt]
        if chosen:
            break
    else:
        chosen = elements
    chosen.sort(key=lambda e: int(e.get("sequence") or 0))
    names: list[str] = []
    countries: list[str | None] = []
    for e in chosen:
        raw = _text(e.find(f"ex:{item}-name/ex:name", NS))
        if not raw:
            continue
        m = _COUNTRY_SUFFIX.search(raw)
        country = m.group(1) if m else None
        name = _COUNTRY_SUFFIX.sub("", raw).strip().rstrip(",").strip()
        if name:
            names.append(name)
            countries.append(country)
    return names, countries


def _classifications(bib: etree._Element) -> list[Classification]:
    out: list[Classification] = []
    seen: set[tuple[str, str]] = set()

    def add(scheme: str, code: str) -> None:
        if (scheme, code) not in seen:
            seen.add((scheme, code))
            out.append(Classification(scheme, code, sequence=len(out) + 1))

    for t in bib.findall("ex:classifications-ipcr/ex:classification-ipcr/ex:text", NS):
        m = _IPC_TEXT.match((t.text or "").strip())
        if m:
            add("IPC", f"{m.group(1)} {m.group(2)}/{m.group(3)}")
    # combination sets (CPC 2000 series in combination) are left out: they qualify, not classify
    for pc in bib.findall("ex:patent-classifications/ex:patent-classification", NS):
        scheme_el = pc.find("ex:classification-scheme", NS)
        scheme = _CPC_SCHEMES.get((scheme_el.get("scheme") if scheme_el is not None else "") or "")
        if not scheme:
            continue
        symbol = _text(pc.find("ex:classification-symbol", NS))
        if symbol is None:
            parts = [_text(pc.find(f"ex:{p}", NS)) or "" for p in ("section", "class", "subclass")]
            main, sub = _text(pc.find("ex:main-group", NS)), _text(pc.find("ex:subgroup", NS))
            if not all(parts) or not main or not sub:
                continue
            symbol = f"{''.join(parts)} {main}/{sub}"
        if scheme == "CPC":
            m = _SYMBOL.match(symbol.replace(" ", "") if "/" in symbol else symbol)
            if m:
                symbol = f"{m.group(1)} {m.group(2)}/{m.group(3)}"
        add(scheme, symbol)
    return out


def _citations(bib: etree._Element) -> list[Citation]:
    out: list[Citation] = []
    for i, c in enumerate(bib.findall("ex:references-cited/ex:citation", NS), start=1):
        by = _CITED_BY.get(c.get("cited-by") or "")
        if by is None:
            phase = (c.get("cited-phase") or "").lower()
            by = next((who for word, who in _PHASE_BY if word in phase), None)
        if by is None and c.find("ex:srep-office", NS) is not None:
            by = "examiner"
        categories = [_text(x) for x in c.findall("ex:category", NS)]
        category = next((x[0].upper() for x in categories if x), None)
        patcit, nplcit = c.find("ex:patcit", NS), c.find("ex:nplcit", NS)
        if patcit is not None:
            parts = _docdb_parts(patcit)
            epodoc = (
                _text(_docid(patcit, "epodoc").find("ex:doc-number", NS))
                if _docid(patcit, "epodoc") is not None
                else None
            )
            if parts:
                country, number, kind, when = parts
                out.append(
                    Citation(
                        cited_doc_id=docdb_doc_id(country, number, kind),
                        cited_raw=epodoc or f"{country}{number}{kind or ''}",
                        cited_office=country,
                        cited_date=_date(when),
                        category=category,
                        cited_by=by,
                        sequence=i,
                    )
                )
            elif epodoc:
                out.append(Citation(cited_raw=epodoc, category=category, cited_by=by, sequence=i))
        elif nplcit is not None:
            out.append(
                Citation(cited_raw=_text(nplcit), npl=True, category=category, cited_by=by, sequence=i)
            )
    return out


def _priorities(parent: etree._Element, path: str) -> list[Priority]:
    out: list[Priority] = []
    for pc in parent.findall(path, NS):
        parts = _docdb_parts(pc)
        if parts:
            country, number, _, when = parts
            out.append(Priority(country, number, _date(when)))
            continue
        ep = _docid(pc, "epodoc")
        number = _text(ep.find("ex:doc-number", NS)) if ep is not None else None
        if number:
            country = number[:2] if number[:2].isalpha() else None
            out.append(
                Priority(country, number[2:] if country else number, _date(_text(ep.find("ex:date", NS))))
            )
    return out


def _application(ref: etree._Element | None) -> tuple[str | None, Any]:
    """(app_id, app_date) from an application-reference: US 'original' number first, else docdb."""
    if ref is None:
        return None, None
    parts = _docdb_parts(ref)
    when = _date(parts[3]) if parts else None
    if when is None:
        ep = _docid(ref, "epodoc")
        when = _date(_text(ep.find("ex:date", NS))) if ep is not None else None
    original = _docid(ref, "original")
    orig_number = _text(original.find("ex:doc-number", NS)) if original is not None else None
    if parts:
        country, number = parts[0], parts[1]
        if country == "US" and orig_number and orig_number.isdigit():
            number = orig_number
        return ops_application_id(country, number), when
    return None, when


def biblio_record(doc: etree._Element, position: str) -> PatentRecord | Rejected:
    country, number, kind = doc.get("country"), doc.get("doc-number"), doc.get("kind")
    if not country or not number:
        return Rejected(
            position,
            "exchange-document has no country or doc-number attribute; "
            "check that the file is an OPS biblio answer",
            etree.tostring(doc)[:300].decode(),
            "doc-number",
        )
    bib = doc.find("ex:bibliographic-data", NS)
    if bib is None:
        status = doc.get("status") or "no bibliographic-data"
        return Rejected(
            position, f"{country}{number}{kind or ''}: {status}; nothing to load", "", "bibliographic-data"
        )
    country = country.upper()
    pub = _docdb_parts(bib.find("ex:publication-reference", NS))
    app_id, app_date = _application(bib.find("ex:application-reference", NS))
    titles = [(t.get("lang"), _text(t)) for t in bib.findall("ex:invention-title", NS)]
    titles = [(lang, t) for lang, t in titles if t]
    title = next((t for lang, t in titles if lang == "en"), titles[0][1] if titles else None)
    texts = [Text("title", t, lang) for lang, t in titles]
    for ab in doc.findall("ex:abstract", NS):
        body = " ".join(filter(None, (_text(p) for p in ab.findall("ex:p", NS)))) or _text(ab)
        if body:
            texts.append(Text("abstract", body, ab.get("lang")))
    app_names, app_countries = _parties(bib, "applicants", "applicant")
    inv_names, inv_countries = _parties(bib, "inventors", "inventor")
    priorities = _priorities(bib, "ex:priority-claims/ex:priority-claim")
    dates = [p.date for p in priorities if p.date]
    family = doc.get("family-id")
    return PatentRecord(
        doc_id=docdb_doc_id(country, number, kind),
        office=country,
        number=docdb_number(country, number, kind),
        kind=kind,
        stage=_stage(kind),
        pub_date=_date(pub[3]) if pub else None,
        app_id=app_id,
        app_date=app_date,
        priority_date=min(dates) if dates else None,
        family_id=family,
        family_scheme="docdb" if family else None,
        title=title,
        lang="en"
        if title and any(lang == "en" for lang, _ in titles)
        else (titles[0][0] if titles else None),
        parties=[
            Party(n, "applicant", address=Address(country=c) if c else None, sequence=i)
            for i, (n, c) in enumerate(zip(app_names, app_countries, strict=True), start=1)
        ],
        inventors=[
            Inventor(n, address=Address(country=c) if c else None, sequence=i)
            for i, (n, c) in enumerate(zip(inv_names, inv_countries, strict=True), start=1)
        ],
        classifications=_classifications(bib),
        citations=_citations(bib),
        texts=texts,
        priorities=priorities,
        position=position,
    )


# Legal events and families -------------------------------------------------------------------
def _field(legal: etree._Element, name: str) -> str | None:
    el = legal.find(f".//ops:{name}", NS)
    return _text(el)


def legal_event(legal: etree._Element) -> LegalEvent:
    code = (legal.get("code") or _field(legal, "L008EP") or "").strip() or None
    desc = (legal.get("desc") or "").strip()
    office = _field(legal, "L001EP")
    details: list[str] = []
    telling: list[str] = []  # what the event says in words: the national code's meaning, free text
    block = legal.find("ops:L500EP", NS)
    for el in block if block is not None else []:
        value = _text(el)
        if not value:
            continue
        label = el.get("desc") or etree.QName(el).localname
        extra = el.get("descData")
        details.append(f"{label}: {value}" + (f" ({extra})" if extra else ""))
        if extra or etree.QName(el).localname == "L510EP":
            telling.append(extra or value)
    raw = "; ".join([desc, *details]) if desc else "; ".join(details)
    # a known code is refined by its words only, never by labels such as "Expiry DATE"
    words = "; ".join(telling) if code_class(office, code) else raw
    infl = (legal.get("infl") or "").strip() or None
    counterparty = _field(legal, "L509EP") or _field(legal, "L519EP")
    when = _date(_field(legal, "L007EP")) or _date(_field(legal, "L525EP"))
    return LegalEvent(
        event_date=when,
        code=code,
        office=office,
        raw_text=raw or None,
        influence=infl,
        counterparty=counterparty,
        event_class=classify_event(office, code, words),
    )


def family_records(root: etree._Element, path: str) -> Iterator[Record]:
    fam = root.find("ops:patent-family", NS)
    assert fam is not None
    members = fam.findall("ops:family-member", NS)
    total = fam.get("total-result-count")
    asked = _docdb_parts(fam.find("ops:publication-reference", NS))
    ids: list[tuple[etree._Element, str | None]] = []
    for m in members:
        parts = _docdb_parts(m.find("ex:publication-reference", NS))
        ids.append((m, docdb_doc_id(parts[0], parts[1], parts[2]) if parts else None))
    asked_id = docdb_doc_id(*asked[:3]) if asked else None
    key = next((m.get("family-id") for m, d in ids if d == asked_id and m.get("family-id")), None)
    key = key or next((m.get("family-id") for m, _ in ids if m.get("family-id")), None)
    for i, (m, did) in enumerate(ids, start=1):
        position = f"record {i}"
        parts = _docdb_parts(m.find("ex:publication-reference", NS))
        if not parts or did is None:
            yield Rejected(
                position,
                f"{path}: family member has no docdb publication number; nothing can name it",
                etree.tostring(m)[:300].decode(),
                "publication-reference",
            )
            continue
        country, number, kind, when = parts
        app_id, app_date = _application(m.find("ex:application-reference", NS))
        priorities = _priorities(m, "ex:priority-claim")
        dates = [p.date for p in priorities if p.date]
        yield PatentRecord(
            doc_id=did,
            office=country,
            number=docdb_number(country, number, kind),
            kind=kind,
            stage=_stage(kind),
            pub_date=_date(when),
            app_id=app_id,
            app_date=app_date,
            priority_date=min(dates) if dates else None,
            family_id=key,
            family_scheme="inpadoc" if key else None,
            family_size=int(total) if total and total.isdigit() else None,
            priorities=priorities,
            legal_events=[legal_event(x) for x in m.findall("ops:legal", NS)],
            position=position,
            stub=True,
            extra={"docdb_family_id": m.get("family-id")} if m.get("family-id") else {},
        )


def search_records(root: etree._Element, path: str) -> Iterator[Record]:
    refs = root.findall("ops:biblio-search/ops:search-result/ops:publication-reference", NS)
    for i, ref in enumerate(refs, start=1):
        parts = _docdb_parts(ref)
        if not parts:
            yield Rejected(f"record {i}", f"{path}: search hit without a docdb number", "", "document-id")
            continue
        country, number, kind, _ = parts
        yield _stub(country, number, kind, ref.get("family-id"), f"record {i}")


def _stub(country: str, number: str, kind: str | None, family: str | None, position: str) -> PatentRecord:
    return PatentRecord(
        doc_id=docdb_doc_id(country, number, kind),
        office=country,
        number=docdb_number(country, number, kind),
        kind=kind,
        stage=_stage(kind),
        family_id=family or None,
        family_scheme="docdb" if family else None,
        position=position,
        stub=True,
    )


class OpsXml(Ingester):
    name = "epo-ops-xml"
    label = "EPO OPS XML (biblio, family, legal events, search)"
    label_zh = "EPO OPS XML（著录、同族、法律状态、检索）"
    priority = 20

    def sniff(self, source: Source) -> bool:
        head = source.head(4096)
        return b"world-patent-data" in head and OPS.encode() in head

    def read(self, source: Source) -> Iterator[Record]:
        with source.open() as fh:
            try:
                root = etree.parse(fh, etree.XMLParser(resolve_entities=False, huge_tree=True)).getroot()
            except etree.XMLSyntaxError as exc:
                yield Rejected(
                    "offset 0",
                    f"{source.path}: not well-formed XML ({exc}); fetch the OPS answer again",
                    "",
                    None,
                )
                return
        if root.find("ex:exchange-documents", NS) is not None:
            docs = root.findall("ex:exchange-documents/ex:exchange-document", NS)
            for i, doc in enumerate(docs, start=1):
                yield biblio_record(doc, f"record {i}")
        elif root.find("ops:patent-family", NS) is not None:
            yield from family_records(root, source.path)
        elif root.find("ops:biblio-search", NS) is not None:
            yield from search_records(root, source.path)
        else:
            children = ", ".join(sorted({etree.QName(c).localname for c in root})) or "nothing"
            yield Rejected(
                "record 1",
                f"{source.path}: OPS answer holding {children}, which ipcockpit does not read; "
                "ask OPS for biblio, family, legal or search",
                "",
                None,
            )


class OpsSearchJson(Ingester):
    name = "epo-ops-search-json"
    label = "EPO OPS search result saved as JSON (query, results with docdb_number, family_id)"
    label_zh = "EPO OPS 检索结果（JSON）"
    priority = 25

    def sniff(self, source: Source) -> bool:
        head = source.text_head(4096).lstrip()
        return head.startswith("{") and '"num_results"' in head and '"docdb_number"' in head

    def read(self, source: Source) -> Iterator[Record]:
        with source.open_text() as fh:
            data = json.load(fh)
        for i, hit in enumerate(data.get("results") or [], start=1):
            country, number = (hit.get("country") or "").upper(), hit.get("doc_number") or ""
            if len(country) != 2 or not number:
                yield Rejected(
                    f"record {i}",
                    f"{source.path}: result {i} has no country or doc_number",
                    json.dumps(hit)[:300],
                    "doc_number",
                )
                continue
            yield _stub(country, number, hit.get("kind"), hit.get("family_id"), f"record {i}")


# INPADOC legal-event code table --------------------------------------------------------------
_CODE_COLUMNS = {
    "Authority": "office",
    "Event-code": "code",
    "Date Created": "created",
    "Influence": "influence",
    "Description ENG": "description",
    "Description ORI": "description_orig",
    "Event-class": "source_class",
    "Event-class Description": "source_class_desc",
}


def _seekable(fh: IO[bytes]) -> IO[bytes]:
    """openpyxl needs to seek; an archive member is read into memory, a plain file is not."""
    return fh if fh.seekable() else io.BytesIO(fh.read())


def read_code_table(fh: IO[bytes], path: str) -> Iterator[dict[str, Any]]:
    """Rows of EPO's legal_code_descriptions xlsx as dicts (office, code, influence, description ...)."""
    from openpyxl import load_workbook

    wb = load_workbook(_seekable(fh), read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # the file's stored dimension says A1:J1
        rows = ws.iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(rows, ())]
        missing = [c for c in ("Authority", "Event-code", "Description ENG") if c not in header]
        if missing:
            raise ValueError(f"{path}: not an INPADOC code table, no column {', '.join(missing)} in row 1")
        index = {_CODE_COLUMNS[h]: i for i, h in enumerate(header) if h in _CODE_COLUMNS}
        for line, row in enumerate(rows, start=2):
            rec: dict[str, Any] = {"line": line}
            for key, i in index.items():
                value = row[i] if i < len(row) else None
                rec[key] = str(value).strip() if value is not None and str(value).strip() else None
            rec["office"] = (rec.get("office") or "").upper()
            rec["code"] = (rec.get("code") or "").upper()
            yield rec
    finally:
        wb.close()


class InpadocCodes(Ingester):
    name = "inpadoc-codes"
    label = "EPO INPADOC legal-event code table (legal_code_descriptions xlsx)"
    label_zh = "EPO INPADOC 法律事件代码表"
    priority = 20

    def sniff(self, source: Source) -> bool:
        if source.suffix != ".xlsx" or not source.head(4).startswith(b"PK"):
            return False
        from openpyxl import load_workbook

        try:
            with source.open() as fh:
                wb = load_workbook(_seekable(fh), read_only=True)
                try:
                    first = next(wb.worksheets[0].iter_rows(max_row=1, values_only=True), ())
                finally:
                    wb.close()
        except Exception:  # a broken or foreign workbook is simply not this format
            return False
        header = {str(h or "").strip() for h in first}
        return {"Authority", "Event-code", "Event-class"} <= header

    def read(self, source: Source) -> Iterator[Record]:
        with source.open() as fh:
            for row in read_code_table(fh, source.path):
                position = f"line {row['line']}"
                if not row["office"] or not row["code"]:
                    yield Rejected(
                        position,
                        f"{source.path}: row without Authority or Event-code; fill both or delete the row",
                        str(row)[:300],
                        "Event-code",
                    )
                    continue
                letter, name = row.get("source_class"), row.get("source_class_desc")
                desc = row.get("description")
                cls = code_class(row["office"], row["code"]) or classify_event(None, None, desc) or "other"
                yield ReferenceRecord(
                    "ref_event_codes",
                    {
                        "office": row["office"],
                        "code": row["code"],
                        "description": desc,
                        "influence": row.get("influence"),
                        "source_class": f"{letter}: {name}" if letter and name else letter or name,
                        "event_class": cls,
                    },
                    position,
                )


INGESTERS = [OpsXml, OpsSearchJson, InpadocCodes]
