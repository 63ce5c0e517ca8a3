"""USPTO formats older than (or beside) the ICE v4 full-text XML, recognised from content.

Parsed into PatentRecords:
- ``uspto-xml25``: grant full text in XML "PATDOC" DTD 2.5 (ST.32, weekly ``pgYYMMDD`` files, 2002-2004);
- ``uspto-pap``: pre-grant application publications in XML ``patent-application-publication``
  (pap-v1.5 / v1.6, weekly ``paYYMMDD`` files, 2001-2004).

Recognised and refused with UnsupportedFormatError, saying what to load instead:
- ``uspto-aps``: APS "greenbook" fixed-field text (grants 1976-2001);
- ``uspto-sgml``: SGML PATDOC DTD 2.4 (grants 2001);
- ``uspto-cpc-scheme``: CPC scheme definitions (classification titles, not patents);
- ``uspto-cpc-master``: the CPC Master Classification File (CPC symbols per US patent, no documents);
- ``uspto-xml4ip``: XML4IP documents of the image file wrapper (claims, specification, abstract as filed);
- ``uspto-brs``: BRS/CSS search-system text exports.

Weekly files of both parsed formats are documents put back to back, each with its own declaration,
and are cut like the ICE files (:func:`ipcockpit.ingest.uspto_xml.split_documents`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lxml import etree

from ipcockpit.errors import UnsupportedFormatError
from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.uspto_xml import split_documents
from ipcockpit.ingest.uspto_xml_fields import ipc_fixed, uspc, ymd
from ipcockpit.model.numbers import application_id, canonical_number, cited_id, doc_id
from ipcockpit.model.records import (
    Address,
    Citation,
    Claim,
    Classification,
    Inventor,
    Party,
    PatentRecord,
    Priority,
    Record,
    Rejected,
    Text,
)

_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=True,
                          remove_comments=True, remove_pis=True)
_ICE = "load the ICE full-text XML instead (weekly ipgYYMMDD/ipaYYMMDD files, 2005 on, format uspto-xml)"


def _head(source: Source, n: int = 65536) -> bytes:
    return source.head(n).lstrip(b"\xef\xbb\xbf \t\r\n")


def _text(el: etree._Element | None) -> str:
    if el is None:
        return ""
    return " ".join("".join(el.itertext()).split())


def _t(el: etree._Element, path: str) -> str:
    return _text(el.find(path))


class _Refused(Ingester):
    """A recognised format that is not parsed: read raises UnsupportedFormatError with the hint."""

    format_name = ""
    hint = ""

    def read(self, source: Source) -> Iterator[Record]:
        raise UnsupportedFormatError(source.path, self.format_name, self.hint)


class UsptoAps(_Refused):
    name = "uspto-aps"
    label = "USPTO APS 'greenbook' full text (grants 1976-2001), recognised only"
    label_zh = "美国专利 APS 绿皮书全文（1976–2001 授权），仅识别"
    priority = 30
    format_name = "USPTO APS 'greenbook' full text (fixed-field text, grants 1976-2001)"
    hint = ("Convert it to XML first (e.g. with USPTO PatentPublicData's gov.uspto.patent tools or the "
            f"PatentsView parsers), or {_ICE}.")

    def sniff(self, source: Source) -> bool:
        head = _head(source)
        return head.startswith(b"PATN") and b"\nWKU " in head[:200].replace(b"\r\n", b"\n")


class UsptoSgml(_Refused):
    name = "uspto-sgml"
    label = "USPTO SGML PATDOC DTD 2.4 (grants 2001), recognised only"
    label_zh = "美国专利 SGML PATDOC 2.4（2001 授权），仅识别"
    priority = 30
    format_name = "USPTO SGML full text (PATDOC DTD 2.4, grants 2001)"
    hint = ("SGML is not XML: convert it (e.g. with osx/sx from OpenSP and the ST.32 DTD) to XML, or load the "
            f"2002-2004 XML 2.5 files (format uspto-xml25), or {_ICE}.")

    def sniff(self, source: Source) -> bool:
        head = _head(source)
        if head.startswith(b"<?xml"):
            return False
        return b"<PATDOC" in head or b"ST.32 US PATENT GRANT V2.4" in head


class UsptoCpcScheme(_Refused):
    name = "uspto-cpc-scheme"
    label = "CPC scheme definitions (class-scheme XML), recognised only"
    label_zh = "CPC 分类表定义（class-scheme XML），仅识别"
    priority = 30
    format_name = "a CPC scheme file (classification titles from cpc-scheme-*.xml, not patents)"
    hint = ("It holds classification titles, not patent documents; classification codes already come with "
            "the patents (uspto-xml loads CPC/IPC per document).")

    def sniff(self, source: Source) -> bool:
        return b"<class-scheme" in _head(source, 2048)


class UsptoCpcMaster(_Refused):
    name = "uspto-cpc-master"
    label = "USPTO CPC Master Classification File (XML), recognised only"
    label_zh = "美国 CPC 主分类文件（MCF），仅识别"
    priority = 30
    format_name = "the USPTO CPC Master Classification File (current CPC symbols per patent number)"
    hint = ("It holds CPC symbols per patent, not documents; load the patents' full text (uspto-xml, which "
            "carries CPC from 2013 on) and keep this file for reclassification updates.")

    def sniff(self, source: Source) -> bool:
        return b"CPCMasterClassificationFile" in _head(source, 2048)


class UsptoXml4ip(_Refused):
    name = "uspto-xml4ip"
    label = "USPTO XML4IP file-wrapper documents (claims, specification, abstract), recognised only"
    label_zh = "美国专利 XML4IP 审查档案文件，仅识别"
    priority = 30
    format_name = ("a USPTO XML4IP image-file-wrapper document (claims/specification/abstract as filed "
                   "during examination, 2013 on)")
    hint = ("These are per-application examination papers, not publications; load the published full text "
            "(uspto-xml) for the document and the prosecution history for its events.")

    def sniff(self, source: Source) -> bool:
        head = _head(source, 2048)
        return b"urn:us:gov:doc:uspto:patent" in head and (
            b"ClaimsDocument" in head or b"SpecificationDocument" in head or b"DocumentCode" in head)


class UsptoBrs(_Refused):
    name = "uspto-brs"
    label = "USPTO BRS/CSS search text export, recognised only"
    label_zh = "美国专利 BRS/CSS 检索文本导出，仅识别"
    priority = 30
    format_name = "a USPTO BRS/CSS search-system text export (tagged lines such as WKU, APD, TTL)"
    hint = f"Export the same documents as XML from the search system, or {_ICE}."

    def sniff(self, source: Source) -> bool:
        return b"*** BRS DOCUMENT BOUNDARY ***" in source.head(8192)


# parsed legacy XML ------------------------------------------------------------------------------
def _address(city: str, state: str, country: str) -> Address | None:
    cc = country[:2].upper() if len(country) in (2, 3) and country.isalpha() else None
    raw = ", ".join(x for x in (city, state, cc or "") if x)
    return Address(raw=raw, country=cc or ("US" if state and not country else None), province=state or None,
                   city=city or None) if raw else None


def _claims(claims: list[tuple[int, str, str | None]]) -> list[Claim]:
    out = []
    for n, text, ref in claims:
        dep = None
        if ref:
            digits = "".join(ch for ch in ref.rsplit("-", 1)[-1] if ch.isdigit())
            dep = int(digits) if digits else None
        out.append(Claim(n, text, ref is None, dep, "en"))
    return out


def _read_xml(source: Source, root_tag: str, build: Any) -> Iterator[Record]:
    with source.open() as fh:
        for offset, raw in split_documents(fh):
            position = f"offset {offset}"
            try:
                root = etree.fromstring(raw, _PARSER)
            except etree.XMLSyntaxError as exc:
                yield Rejected(position, f"document at offset {offset} cannot be parsed: {exc} (the file may be "
                               "cut short; download it again)", raw[-300:].decode("utf-8", "replace"), root_tag)
                continue
            if root.tag != root_tag:
                continue
            try:
                yield build(root, position)
            except (ValueError, KeyError) as exc:
                yield Rejected(position, f"document at offset {offset}: {exc}", raw[:300].decode("utf-8", "replace"))


def _xml25(root: etree._Element, position: str) -> PatentRecord:
    bi = root.find("SDOBI")
    if bi is None:
        raise ValueError("no SDOBI (bibliographic data) element")
    number = _t(bi, "B100/B110/DNUM")
    if not number:
        raise ValueError("no publication number in SDOBI/B100/B110")
    kind = _t(bi, "B100/B130") or None
    pub = ymd(_t(bi, "B100/B140/DATE"))
    app_no = _t(bi, "B200/B210/DNUM")
    classes = [Classification("IPC", ipc_fixed(e.findtext("PDAT") or _text(e)),
                              e.tag == "B511") for e in bi.iterfind("B500/B510/*") if e.tag in ("B511", "B512")]
    classes = [c if not (number.startswith("D") and c.code.isdigit() and len(c.code) == 4)
               else Classification("LOCARNO", f"{c.code[:2]}-{c.code[2:]}", c.main) for c in classes]
    classes += [Classification("USPC", uspc(e.findtext("PDAT") or _text(e)), e.tag == "B521")
                for e in bi.iterfind("B500/B520/*") if e.tag in ("B521", "B522")]
    citations = []
    for e in bi.iterfind("B500/B560/*"):
        by = "examiner" if e.find("CITED-BY-EXAMINER") is not None else "other"
        if e.tag == "B561":
            d = e.find("PCIT/DOC")
            if d is None:
                continue
            num, ck, cc = _t(d, "DNUM"), _t(d, "KIND"), _t(d, "CTRY") or "US"
            citations.append(Citation(cited_id(cc, num, ck) if num else None, " ".join(x for x in (cc, num, ck) if x),
                                      cc, ymd(_t(d, "DATE")), False, None, by))
        elif e.tag == "B562":
            citations.append(Citation(cited_raw=_t(e, "NCIT"), npl=True, cited_by=by))
    parties: list[Party] = []
    inventors: list[Inventor] = []
    for role, path in (("assignee", "B700/B730/B731/PARTY-US"), ("agent", "B700/B740/B741/PARTY-US"),
                       ("examiner", "B700/B745/B746/PARTY-US"), ("inventor", "B700/B720/B721/PARTY-US")):
        for p in bi.iterfind(path):
            name = _t(p, "NAM/ONM") or " ".join(x for x in (_t(p, "NAM/FNM"), _t(p, "NAM/SNM")) if x)
            addr = _address(_t(p, "ADR/CITY"), _t(p, "ADR/STATE"), _t(p, "ADR/CTRY"))
            if name and role == "inventor":
                inventors.append(Inventor(name, address=addr))
            elif name:
                parties.append(Party(name, role, address=addr))
    prio = [Priority(_t(p, "B330/CTRY") or None, _t(p, "B310/DNUM") or None, ymd(_t(p, "B320/DATE")))
            for p in bi.iterfind("B300")]
    claims = []
    for i, c in enumerate(root.iterfind("SDOCL/CL/CLM"), start=1):
        ref = c.find(".//CLREF")
        digits = "".join(ch for ch in (c.get("ID") or "") if ch.isdigit())
        claims.append((int(digits) if digits else i, _text(c), ref.get("ID") if ref is not None else None))
    title = _t(bi, "B500/B540") or None
    abstract = _text(root.find("SDOAB"))
    desc = root.find("SDODE")
    description = (etree.tostring(desc, method="text", encoding="unicode", with_tail=False).strip()
                   if desc is not None else "")
    doc_type = {"S": "design", "P": "plant", "E": "reissue", "H": "sir"}.get((kind or "B")[:1], "invention")
    app_date = ymd(_t(bi, "B200/B220/DATE"))
    return PatentRecord(
        doc_id=doc_id("US", number, kind), office="US", number=canonical_number("US", number), kind=kind,
        doc_type=doc_type, stage="grant", pub_date=pub, grant_date=pub,
        app_id=application_id("US", app_no) if app_no else None, app_date=app_date,
        priority_date=min([p.date for p in prio if p.date] or [app_date]) if app_date or prio else None,
        title=title, lang="en", parties=parties, inventors=inventors, classifications=classes,
        citations=citations, claims=_claims(claims), priorities=prio, position=position,
        texts=[Text(k, v, "en") for k, v in (("title", title), ("abstract", abstract), ("description", description))
               if v],
        extra={"dtd_version": "2.5"},
    )


def _pap(root: etree._Element, position: str) -> PatentRecord:
    bi = root.find("subdoc-bibliographic-information")
    if bi is None:
        raise ValueError("no subdoc-bibliographic-information element")
    number = _t(bi, "document-id/doc-number")
    if not number:
        raise ValueError("no publication number in document-id/doc-number")
    kind = _t(bi, "document-id/kind-code") or None
    pub = ymd(_t(bi, "document-id/document-date"))
    app_no = _t(bi, "domestic-filing-data/application-number/doc-number")
    app_date = ymd(_t(bi, "domestic-filing-data/filing-date"))
    tech = bi.find("technical-information")
    classes: list[Classification] = []
    title = None
    if tech is not None:
        classes += [Classification("IPC", ipc_fixed(_text(e)), True)
                    for e in tech.iterfind("classification-ipc/classification-ipc-primary/ipc")]
        classes += [Classification("IPC", ipc_fixed(_text(e)), False)
                    for e in tech.iterfind("classification-ipc/classification-ipc-secondary/ipc")]
        for tag, main in (("classification-us-primary", True), ("classification-us-secondary", False)):
            for u in tech.iterfind(f"classification-us/{tag}/uspc"):
                cls, sub = _t(u, "class").lstrip("0"), _t(u, "subclass")
                if cls:
                    sub_s = (sub[:3].lstrip("0") or "0") + (f".{sub[3:].rstrip('0')}" if sub[3:].strip("0") else "")
                    classes.append(Classification("USPC", f"{cls}/{sub_s}" if sub else cls, main))
        title = _t(tech, "title-of-invention") or None
    inventors = []
    for inv in bi.iterfind("inventors/*"):
        name = " ".join(x for x in (_t(inv, "name/given-name"), _t(inv, "name/middle-name"),
                                    _t(inv, "name/family-name")) if x)
        res = inv.find("residence")
        addr = None
        if res is not None:
            addr = _address(_t(res, ".//city"), _t(res, ".//state"), _t(res, ".//country-code"))
        if name:
            inventors.append(Inventor(name, address=addr))
    parties = []
    for a in bi.iterfind("assignee"):
        name = _t(a, "organization-name") or _t(a, "name")
        if name:
            parties.append(Party(name, "assignee", address=_address(_t(a, ".//city"), _t(a, ".//state"),
                                                                    _t(a, ".//country-code"))))
    prio = [Priority(_t(p, "country-code") or None, _t(p, "doc-number") or None, ymd(_t(p, "filing-date")))
            for p in bi.iterfind("foreign-priority-data")]
    claims = []
    for i, c in enumerate(root.iterfind("subdoc-claims/claim"), start=1):
        ref = c.find(".//dependent-claim-reference")
        digits = "".join(ch for ch in (c.get("id") or "") if ch.isdigit())
        claims.append((int(digits) if digits else i, _text(c),
                       (ref.get("depends_on") or "x") if ref is not None else None))
    abstract = _text(root.find("subdoc-abstract"))
    desc = root.find("subdoc-description")
    description = (etree.tostring(desc, method="text", encoding="unicode", with_tail=False).strip()
                   if desc is not None else "")
    return PatentRecord(
        doc_id=doc_id("US", number, kind), office="US", number=canonical_number("US", number), kind=kind,
        doc_type="invention", stage="application", pub_date=pub,
        app_id=application_id("US", app_no) if app_no else None, app_date=app_date,
        priority_date=min([p.date for p in prio if p.date] or [app_date]) if app_date or prio else None,
        title=title, lang="en", parties=parties, inventors=inventors, classifications=classes,
        claims=_claims(claims), priorities=prio, position=position,
        texts=[Text(k, v, "en") for k, v in (("title", title), ("abstract", abstract), ("description", description))
               if v],
        extra={"dtd_version": "pap"},
    )


class UsptoXml25(Ingester):
    name = "uspto-xml25"
    label = "USPTO grant full text, XML PATDOC DTD 2.5 (2002-2004)"
    label_zh = "美国专利授权全文 XML 2.5（PATDOC，2002–2004）"
    priority = 25

    def sniff(self, source: Source) -> bool:
        head = _head(source)
        return head.startswith(b"<?xml") and (b"<!DOCTYPE PATDOC" in head or b"<PATDOC" in head)

    def read(self, source: Source) -> Iterator[Record]:
        yield from _read_xml(source, "PATDOC", _xml25)


class UsptoPap(Ingester):
    name = "uspto-pap"
    label = "USPTO application full text, XML patent-application-publication v1.5/v1.6 (2001-2004)"
    label_zh = "美国专利申请公开全文 XML（PAP v1.5/v1.6，2001–2004）"
    priority = 25

    def sniff(self, source: Source) -> bool:
        head = _head(source)
        return head.startswith((b"<?xml", b"<!DOCTYPE")) and (
            b"<patent-application-publication" in head or b"<!DOCTYPE patent-application-publication" in head)

    def read(self, source: Source) -> Iterator[Record]:
        yield from _read_xml(source, "patent-application-publication", _pap)


INGESTERS = [UsptoAps, UsptoSgml, UsptoCpcScheme, UsptoCpcMaster, UsptoXml4ip, UsptoBrs, UsptoXml25, UsptoPap]
