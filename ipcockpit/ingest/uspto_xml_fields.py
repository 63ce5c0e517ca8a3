"""Field extraction for USPTO ICE full-text XML (us-patent-grant / us-patent-application, DTD v4.0+).

``extract(root)`` walks a parsed document once and returns plain tuples and lists (cheap to pickle
between processes); :func:`ipcockpit.ingest.uspto_xml.build_record` turns them into a PatentRecord.
Which element feeds which field is kept as data in the ``_BIBLIO`` and ``_ROOT`` tables below: one
handler per element name, the same for every DTD version (v4.0 2004 to v4.7 2022), with the few
renamed elements (``citation``/``us-citation``, ``parties``/``us-parties``, ``applicants``/
``us-applicants``, ``classification-ipc``/``classifications-ipcr``) mapped to the same handler.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from lxml import etree

# appl-type attribute -> canonical doc_type
DOC_TYPES = {"utility": "invention", "design": "design", "plant": "plant", "reissue": "reissue", "sir": "sir"}
CITED_BY = {"cited by examiner": "examiner", "cited by applicant": "applicant", "cited by other": "other",
            "cited by third party": "third_party"}
_WS = re.compile(r"\s+")
_CLAIM_REF = re.compile(r"(\d+)\s*$")
_IPC_SLASH = re.compile(r"^([A-H]\d\d[A-Z])\s*0*(\d+)\s*/\s*(\d+)$")

# A document's fields while it is extracted: a dict of plain values, lists of tuples.
Fields = dict[str, Any]


def ymd(text: str | None) -> date | None:
    """YYYYMMDD as written by the USPTO; day or month 00 (a citation's month) becomes 1."""
    if not text:
        return None
    t = text.strip()
    if len(t) != 8 or not t.isdigit():
        return None
    y, m, d = int(t[:4]), int(t[4:6]) or 1, int(t[6:8]) or 1
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _text(el: etree._Element | None) -> str:
    """All the text inside an element, whitespace collapsed."""
    if el is None:
        return ""
    return " ".join(etree.tostring(el, method="text", encoding="unicode", with_tail=False).split())


def _child_texts(el: etree._Element) -> dict[str, str]:
    """{tag: text} of an element's direct children (leaf texts, as written)."""
    return {c.tag: (c.text or "") for c in el}  # type: ignore[misc]


def document_id(el: etree._Element | None) -> dict[str, str]:
    """country, doc-number, kind, date, name of a document-id (or of the first one inside el)."""
    if el is None:
        return {}
    if el.tag != "document-id":
        el = el.find("document-id")
        if el is None:
            return {}
    return {c.tag: (c.text or "").strip() for c in el}  # type: ignore[misc]


# classifications ------------------------------------------------------------------------------
def ipc_fixed(code: str) -> str:
    """IPC as written before IPC-R: "A45F  504" (fixed width), "G06F015/00" -> "A45F 5/04", "G06F 15/00"."""
    c = code.rstrip()
    m = _IPC_SLASH.match(c.strip())
    if m:
        return f"{m.group(1)} {int(m.group(2))}/{m.group(3)}"
    group, sub = c[4:7].strip(), c[7:].strip()
    if len(c) < 8 or not group.isdigit() or not sub.isdigit():
        return " ".join(c.split())
    return f"{c[:4]} {int(group)}/{sub}"


def uspc(code: str) -> str:
    """USPC "  2 52" -> "2/52", "D 6495" -> "D6/495", "2481881" -> "248/188.1", "24 305 R" -> "24/305 R"."""
    c = code.rstrip()
    cls, rest = c[:3].replace(" ", ""), c[3:].strip()
    if cls.isdigit():
        cls = cls.lstrip("0") or "0"
    elif cls[:1] in "DGP":
        cls = cls[0] + cls[1:].lstrip("0")
    if rest.isdigit():
        sub, dec = rest[:3].lstrip("0") or "0", rest[3:].rstrip("0")
        return f"{cls}/{sub}.{dec}" if dec else f"{cls}/{sub}"
    return f"{cls}/{' '.join(rest.split())}" if rest else cls


def _ipcr(el: etree._Element) -> str:
    t = _child_texts(el)
    head = t.get("section", "") + t.get("class", "") + t.get("subclass", "")
    return f"{head} {t.get('main-group', '')}/{t.get('subgroup', '')}"


def _classifications_ipcr(el: etree._Element, f: Fields) -> None:
    out = f["class"]
    first = not any(c[0] == "IPC" for c in out)
    for c in el:
        if c.tag == "classification-ipcr":
            out.append(("IPC", _ipcr(c), first))
            first = False


def _classification_ipc(el: etree._Element, f: Fields) -> None:
    out = f["class"]
    for c in el:
        if c.tag in ("main-classification", "further-classification") and c.text and c.text.strip():
            out.append(("IPC", ipc_fixed(c.text), c.tag == "main-classification"))


def _classifications_cpc(el: etree._Element, f: Fields) -> None:
    out = f["class"]
    for group in el:
        main = group.tag == "main-cpc"
        for c in group.iter("classification-cpc"):
            out.append(("CPC", _ipcr(c), main))
        if group.tag == "classification-cpc":  # a bare symbol outside main/further
            out.append(("CPC", _ipcr(group), False))


def _classification_national(el: etree._Element, f: Fields) -> None:
    out = f["class"]
    for c in el:
        if c.tag in ("main-classification", "further-classification") and c.text:
            t = c.text.strip()
            if t and t.lower() != "none":
                out.append(("USPC", uspc(c.text), c.tag == "main-classification"))


def _classification_locarno(el: etree._Element, f: Fields) -> None:
    for c in el:
        if c.tag == "main-classification" and c.text:
            t = c.text.strip().replace("-", "")
            code = f"{t[:2]}-{t[2:]}" if len(t) == 4 and t.isdigit() else t
            f["class"].append(("LOCARNO", code, True))
        elif c.tag == "edition" and c.text:
            f["extra"]["locarno_edition"] = c.text.strip()


# references ---------------------------------------------------------------------------------
def _references(el: etree._Element, f: Fields) -> None:
    out = f["cit"]
    for cit in el:
        patcit = nplcit = None
        category = None
        for c in cit:
            tag = c.tag
            if tag == "patcit":
                patcit = c
            elif tag == "nplcit":
                nplcit = c
            elif tag == "category":
                category = (c.text or "").strip()
        if patcit is not None:
            d = document_id(patcit)
            out.append((False, d.get("country") or "US", d.get("doc-number", ""), d.get("kind", ""),
                        d.get("date"), category))
        elif nplcit is not None:
            out.append((True, None, _text(nplcit), None, None, category))


# parties ------------------------------------------------------------------------------------
def _addressbook(el: etree._Element) -> tuple[str, tuple[str, str, str] | None]:
    """(name, (city, state, country)) from an applicant/inventor/assignee/agent element."""
    book = el.find("addressbook")
    if book is None:
        book = el
    t = _child_texts(book)
    name = " ".join((t.get("orgname") or f"{t.get('first-name', '')} {t.get('last-name', '')}").split())
    addr = book.find("address")
    place = None
    if addr is not None:
        a = _child_texts(addr)
        place = (a.get("city", "").strip(), a.get("state", "").strip(), a.get("country", "").strip())
    return name, place


def _applicants(el: etree._Element, f: Fields) -> None:
    for a in el:
        if not isinstance(a.tag, str):
            continue
        name, place = _addressbook(a)
        if not name:
            continue
        f["parties"].append(("applicant", name, place))
        if "inventor" in (a.get("app-type") or ""):
            f["app_inventors"].append((name, place))


def _inventors(el: etree._Element, f: Fields) -> None:
    f["has_inventors"] = True
    for a in el:
        if isinstance(a.tag, str):
            name, place = _addressbook(a)
            if name:
                f["inventors"].append((name, place))


def _assignees(el: etree._Element, f: Fields) -> None:
    for a in el:
        if isinstance(a.tag, str):
            name, place = _addressbook(a)
            if name:
                f["parties"].append(("assignee", name, place))


def _agents(el: etree._Element, f: Fields) -> None:
    for a in el:
        if isinstance(a.tag, str):
            name, _ = _addressbook(a)
            if name:
                f["parties"].append(("agent", name, None))


def _parties(el: etree._Element, f: Fields) -> None:
    for c in el:
        handler = _PARTIES.get(c.tag)  # type: ignore[arg-type]
        if handler:
            handler(c, f)


def _examiners(el: etree._Element, f: Fields) -> None:
    for c in el:
        if isinstance(c.tag, str):
            t = _child_texts(c)
            name = " ".join(f"{t.get('first-name', '')} {t.get('last-name', '')}".split())
            if name:
                f["parties"].append(("examiner", name, None))


# other biblio -------------------------------------------------------------------------------
def _publication(el: etree._Element, f: Fields) -> None:
    f["pub"] = document_id(el)


def _application(el: etree._Element, f: Fields) -> None:
    f["app"] = document_id(el)
    f["appl_type"] = el.get("appl-type")


def _title(el: etree._Element, f: Fields) -> None:
    f["title"] = _text(el)


def _priorities(el: etree._Element, f: Fields) -> None:
    for c in el:
        if c.tag == "priority-claim":
            t = _child_texts(c)
            f["prio"].append((t.get("country", "").strip() or None, t.get("doc-number", "").strip() or None,
                              t.get("date", "").strip()))


def _related(el: etree._Element, f: Fields) -> None:
    rel = []
    for c in el:
        if not isinstance(c.tag, str):
            continue
        docs = []
        for d in c.iter("document-id"):
            t = _child_texts(d)
            docs.append(" ".join(x for x in (t.get("country"), t.get("doc-number"), t.get("kind"), t.get("date")) if x))
        rel.append({"relation": c.tag, "documents": docs})
    if rel:
        f["extra"]["related_documents"] = rel


def _pct_filing(el: etree._Element, f: Fields) -> None:
    d = document_id(el)
    if d:
        f["extra"]["pct_filing"] = " ".join(x for x in (d.get("country"), d.get("doc-number"), d.get("date")) if x)


def _pct_publishing(el: etree._Element, f: Fields) -> None:
    d = document_id(el)
    if d:
        f["extra"]["pct_publication"] = " ".join(
            x for x in (d.get("country"), d.get("doc-number"), d.get("kind"), d.get("date")) if x)


def _term(el: etree._Element, f: Fields) -> None:
    t = _child_texts(el)
    if t.get("us-term-extension"):
        f["extra"]["term_extension_days"] = t["us-term-extension"]
    if t.get("length-of-grant"):
        f["extra"]["term_years"] = t["length-of-grant"]


_PARTIES: dict[str, Callable[[etree._Element, Fields], None]] = {
    "applicants": _applicants,
    "us-applicants": _applicants,
    "inventors": _inventors,
    "agents": _agents,
    "assignees": _assignees,
}

#: element under us-bibliographic-data-grant/-application -> handler
_BIBLIO: dict[str, Callable[[etree._Element, Fields], None]] = {
    "publication-reference": _publication,
    "application-reference": _application,
    "invention-title": _title,
    "classifications-ipcr": _classifications_ipcr,
    "classification-ipc": _classification_ipc,
    "classifications-cpc": _classifications_cpc,
    "classification-national": _classification_national,
    "classification-locarno": _classification_locarno,
    "references-cited": _references,
    "us-references-cited": _references,
    "priority-claims": _priorities,
    "us-related-documents": _related,
    "related-documents": _related,
    "parties": _parties,
    "us-parties": _parties,
    "assignees": _assignees,
    "examiners": _examiners,
    "pct-or-regional-filing-data": _pct_filing,
    "pct-or-regional-publishing-data": _pct_publishing,
    "us-term-of-grant": _term,
}


def _claims(el: etree._Element, f: Fields) -> None:
    out = f["claims"]
    for claim in el:
        if claim.tag != "claim":
            continue
        num = (claim.get("num") or "").lstrip("0")
        refs = [r.get("idref") or "" for r in claim.iter("claim-ref")]
        dep = None
        if refs:
            m = _CLAIM_REF.search(refs[0])
            dep = int(m.group(1)) if m else None
        out.append((int(num) if num.isdigit() else len(out) + 1, _text(claim), not refs, dep))


def _abstract(el: etree._Element, f: Fields) -> None:
    f["abstract"] = _text(el)


def _description(el: etree._Element, f: Fields) -> None:
    # paragraphs stay on their own lines; no per-node whitespace work on long texts
    f["description"] = etree.tostring(el, method="text", encoding="unicode", with_tail=False).strip()


_ROOT: dict[str, Callable[[etree._Element, Fields], None]] = {
    "abstract": _abstract,
    "description": _description,
    "claims": _claims,
}


def extract(root: etree._Element) -> Fields:
    """Every field this ingester keeps, from a parsed us-patent-grant / us-patent-application."""
    f: Fields = {
        "root": root.tag, "pub": {}, "app": {}, "appl_type": None, "title": "", "class": [], "cit": [],
        "parties": [], "inventors": [], "app_inventors": [], "has_inventors": False, "prio": [], "claims": [], "abstract": "",
        "description": "", "extra": {},
    }
    if root.get("dtd-version"):
        f["extra"]["dtd_version"] = root.get("dtd-version")
    for part in root:
        tag = part.tag
        if tag in ("us-bibliographic-data-grant", "us-bibliographic-data-application"):
            for c in part:
                handler = _BIBLIO.get(c.tag)  # type: ignore[arg-type]
                if handler:
                    handler(c, f)
        else:
            handler = _ROOT.get(tag)  # type: ignore[arg-type]
            if handler:
                handler(part, f)
    if not f["has_inventors"]:  # DTD v4.0-v4.2: the inventors are the applicants
        f["inventors"] = f["app_inventors"]
    return f
