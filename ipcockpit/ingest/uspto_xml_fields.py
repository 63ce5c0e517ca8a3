"""Field extraction for USPTO ICE full-text XML (us-patent-grant / us-patent-application, DTD v4.0+).

Documents are parsed by pugixml (through pygixml, its Cython binding): a DOM parser several times
faster than libxml2 on these documents, with cheap calls from Python and XPath evaluated in C++.
Whole fields are taken in one call where they can be: the text of a title, claim or description is
the XPath string value of its element, and the parts of a document-id, an address book or an IPC
symbol come back from one ``concat()`` query, split on a separator that cannot occur in XML text.
A document pugixml cannot parse is handed back (``None``) so that the caller can let lxml say where
and why it is broken.

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
from functools import lru_cache
from typing import Any

import pygixml

# appl-type attribute -> canonical doc_type
DOC_TYPES = {"utility": "invention", "design": "design", "plant": "plant", "reissue": "reissue", "sir": "sir"}
CITED_BY = {"cited by examiner": "examiner", "cited by applicant": "applicant", "cited by other": "other",
            "cited by third party": "third_party"}
_CLAIM_REF = re.compile(r"(\d+)\s*$")
_IPC_SLASH = re.compile(r"^([A-H]\d\d[A-Z])\s*0*(\d+)\s*/\s*(\d+)$")
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")

#: escapes, CDATA, end-of-line and attribute normalisation as XML requires; white-space-only text
#: kept (it separates words between inline elements and paragraphs in a description)
_OPTIONS = pygixml.ParseFlags.DEFAULT | pygixml.ParseFlags.WS_PCDATA
#: U+001F (unit separator) is not allowed in XML 1.0 text, so it cannot occur in a field
_SEP = "\x1f"

# A document's fields while it is extracted: a dict of plain values, lists of tuples.
Fields = dict[str, Any]
Node = Any  # pygixml.XMLNode


def _query(*paths: str) -> Any:
    """An XPath query giving the string values of paths (relative to a node) joined by _SEP."""
    parts = f", '{_SEP}', ".join(f"string({p})" for p in paths)
    return pygixml.XPathQuery(f"concat({parts}, '')" if len(paths) > 1 else f"string({paths[0]})")


_STRING = pygixml.XPathQuery("string(.)")
_DOC_ID = _query("country", "doc-number", "kind", "date", "count(date)")
_IPCR = _query("section", "class", "subclass", "main-group", "subgroup")
_BOOK = _query("orgname", "first-name", "last-name", "count(address)", "address/city", "address/state",
               "address/country")
_CITATION = _query("count(patcit)", "patcit/document-id/country", "patcit/document-id/doc-number",
                   "patcit/document-id/kind", "patcit/document-id/date", "count(patcit/document-id/date)",
                   "count(category)", "category", "count(nplcit)")
_CLAIM = _query("count(.//claim-ref)", "(.//claim-ref)[1]/@idref", ".")
_PRIORITY = _query("country", "doc-number", "date")
_NAMES = _query("first-name", "last-name")


def parse(raw: bytes) -> Any:
    """The parsed document (a pygixml.XMLDocument), or None when pugixml cannot parse it or decode its
    bytes. Its nodes live only as long as it does: hold it while they are read."""
    m = _ENCODING.match(raw, 0, 200)
    try:
        text = raw.decode(m.group(1).decode("ascii") if m else "utf-8")
        return pygixml.parse_string(text, _OPTIONS)
    except (ValueError, LookupError):  # PygiXMLError and UnicodeDecodeError are ValueErrors
        return None


@lru_cache(maxsize=8192)
def ymd(text: str | None) -> date | None:
    """YYYYMMDD as written by the USPTO; day or month 00 (a citation's month) becomes 1. Cached: a
    file's citations name a few thousand distinct months and days, over and over."""
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


def _text(el: Node) -> str:
    """All the text inside an element, whitespace collapsed."""
    return " ".join(_STRING.evaluate_string(el).split()) if el else ""


def _child_texts(el: Node) -> dict[str, str]:
    """{tag: text} of an element's direct children (leaf texts, as written)."""
    return {c.name: (c.child_value() or "") for c in el.children()}


def document_id(el: Node) -> dict[str, str]:
    """country, doc-number, kind and date of a document-id (or of the first one inside el); a part
    the document-id lacks is left out."""
    if not el:
        return {}
    if el.name != "document-id":
        el = el.child("document-id")
        if not el:
            return {}
    country, number, kind, day, has_date = _DOC_ID.evaluate_string(el).split(_SEP)
    d = {"country": country.strip(), "doc-number": number.strip(), "kind": kind.strip()}
    if has_date != "0":
        d["date"] = day.strip()
    return d


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


def _ipcr(el: Node) -> str:
    section, cls, subclass, group, subgroup = _IPCR.evaluate_string(el).split(_SEP)
    return f"{section}{cls}{subclass} {group}/{subgroup}"


def _classifications_ipcr(el: Node, f: Fields) -> None:
    out = f["class"]
    first = not any(c[0] == "IPC" for c in out)
    for c in el.children():
        if c.name == "classification-ipcr":
            out.append(("IPC", _ipcr(c), first))
            first = False


def _classification_ipc(el: Node, f: Fields) -> None:
    out = f["class"]
    for c in el.children():
        tag = c.name
        if tag in ("main-classification", "further-classification"):
            text = c.child_value()
            if text and text.strip():
                out.append(("IPC", ipc_fixed(text), tag == "main-classification"))


def _classifications_cpc(el: Node, f: Fields) -> None:
    out = f["class"]
    for group in el.children():
        if group.name == "classification-cpc":  # a bare symbol outside main/further
            out.append(("CPC", _ipcr(group), False))
            continue
        main = group.name == "main-cpc"
        for c in group.select_nodes(".//classification-cpc"):
            out.append(("CPC", _ipcr(c.node), main))


def _classification_national(el: Node, f: Fields) -> None:
    out = f["class"]
    for c in el.children():
        tag = c.name
        if tag in ("main-classification", "further-classification"):
            text = c.child_value()
            if text:
                t = text.strip()
                if t and t.lower() != "none":
                    out.append(("USPC", uspc(text), tag == "main-classification"))


def _classification_locarno(el: Node, f: Fields) -> None:
    for c in el.children():
        tag, text = c.name, c.child_value()
        if tag == "main-classification" and text:
            t = text.strip().replace("-", "")
            code = f"{t[:2]}-{t[2:]}" if len(t) == 4 and t.isdigit() else t
            f["class"].append(("LOCARNO", code, True))
        elif tag == "edition" and text:
            f["extra"]["locarno_edition"] = text.strip()


# references ---------------------------------------------------------------------------------
def _references(el: Node, f: Fields) -> None:
    out = f["cit"]
    for cit in el.children():
        has_patcit, country, number, kind, day, has_date, has_category, category, has_nplcit = (
            _CITATION.evaluate_string(cit).split(_SEP))
        cat = category.strip() if has_category != "0" else None
        if has_patcit != "0":
            out.append((False, country.strip() or "US", number.strip(), kind.strip(),
                        day.strip() if has_date != "0" else None, cat))
        elif has_nplcit != "0":
            out.append((True, None, _text(cit.child("nplcit")), None, None, cat))


# parties ------------------------------------------------------------------------------------
def _addressbook(el: Node) -> tuple[str, tuple[str, str, str] | None]:
    """(name, (city, state, country)) from an applicant/inventor/assignee/agent element."""
    book = el.child("addressbook")
    if not book:
        book = el
    org, first, last, has_address, city, state, country = _BOOK.evaluate_string(book).split(_SEP)
    name = " ".join((org or f"{first} {last}").split())
    place = (city.strip(), state.strip(), country.strip()) if has_address != "0" else None
    return name, place


def _applicants(el: Node, f: Fields) -> None:
    for a in el.children():
        name, place = _addressbook(a)
        if not name:
            continue
        f["parties"].append(("applicant", name, place))
        if "inventor" in (a.attribute("app-type").value or ""):
            f["app_inventors"].append((name, place))


def _inventors(el: Node, f: Fields) -> None:
    f["has_inventors"] = True
    for a in el.children():
        name, place = _addressbook(a)
        if name:
            f["inventors"].append((name, place))


def _assignees(el: Node, f: Fields) -> None:
    for a in el.children():
        name, place = _addressbook(a)
        if name:
            f["parties"].append(("assignee", name, place))


def _agents(el: Node, f: Fields) -> None:
    for a in el.children():
        name, _ = _addressbook(a)
        if name:
            f["parties"].append(("agent", name, None))


def _parties(el: Node, f: Fields) -> None:
    for c in el.children():
        handler = _PARTIES.get(c.name)
        if handler:
            handler(c, f)


def _examiners(el: Node, f: Fields) -> None:
    for c in el.children():
        name = " ".join(_NAMES.evaluate_string(c).replace(_SEP, " ").split())
        if name:
            f["parties"].append(("examiner", name, None))


# other biblio -------------------------------------------------------------------------------
def _publication(el: Node, f: Fields) -> None:
    f["pub"] = document_id(el)


def _application(el: Node, f: Fields) -> None:
    f["app"] = document_id(el)
    f["appl_type"] = el.attribute("appl-type").value


def _title(el: Node, f: Fields) -> None:
    f["title"] = _text(el)


def _priorities(el: Node, f: Fields) -> None:
    for c in el.children():
        if c.name == "priority-claim":
            country, number, day = _PRIORITY.evaluate_string(c).split(_SEP)
            f["prio"].append((country.strip() or None, number.strip() or None, day.strip()))


def _related(el: Node, f: Fields) -> None:
    rel = []
    for c in el.children():
        docs = []
        for d in c.select_nodes("descendant-or-self::document-id"):
            country, number, kind, day, _ = _DOC_ID.evaluate_string(d.node).split(_SEP)
            docs.append(" ".join(x for x in (country, number, kind, day) if x))
        rel.append({"relation": c.name, "documents": docs})
    if rel:
        f["extra"]["related_documents"] = rel


def _pct_filing(el: Node, f: Fields) -> None:
    d = document_id(el)
    if d:
        f["extra"]["pct_filing"] = " ".join(x for x in (d.get("country"), d.get("doc-number"), d.get("date")) if x)


def _pct_publishing(el: Node, f: Fields) -> None:
    d = document_id(el)
    if d:
        f["extra"]["pct_publication"] = " ".join(
            x for x in (d.get("country"), d.get("doc-number"), d.get("kind"), d.get("date")) if x)


def _term(el: Node, f: Fields) -> None:
    t = _child_texts(el)
    if t.get("us-term-extension"):  # the patent-term adjustment (35 U.S.C. 154(b)), in days
        f["extra"]["term_extension_days"] = t["us-term-extension"]
    if t.get("length-of-grant"):
        f["extra"]["term_years"] = t["length-of-grant"]
    if "disclaimer" in t:  # a terminal disclaimer: the term may end before its computed end
        f["extra"]["terminal_disclaimer"] = True


_PARTIES: dict[str, Callable[[Node, Fields], None]] = {
    "applicants": _applicants,
    "us-applicants": _applicants,
    "inventors": _inventors,
    "agents": _agents,
    "assignees": _assignees,
}

#: element under us-bibliographic-data-grant/-application -> handler
_BIBLIO: dict[str, Callable[[Node, Fields], None]] = {
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


def _claims(el: Node, f: Fields) -> None:
    out = f["claims"]
    for claim in el.children():
        if claim.name != "claim":
            continue
        num = (claim.attribute("num").value or "").lstrip("0")
        refs, first_ref, text = _CLAIM.evaluate_string(claim).split(_SEP)
        dep = None
        if refs != "0":
            m = _CLAIM_REF.search(first_ref)
            dep = int(m.group(1)) if m else None
        out.append((int(num) if num.isdigit() else len(out) + 1, " ".join(text.split()), refs == "0", dep))


def _abstract(el: Node, f: Fields) -> None:
    f["abstract"] = _text(el)


def _description(el: Node, f: Fields) -> None:
    # paragraphs stay on their own lines; no per-node whitespace work on long texts
    f["description"] = _STRING.evaluate_string(el).strip()


_ROOT: dict[str, Callable[[Node, Fields], None]] = {
    "abstract": _abstract,
    "description": _description,
    "claims": _claims,
}


def extract(doc: Any) -> Fields:
    """Every field this ingester keeps, from a parsed us-patent-grant / us-patent-application."""
    root = doc.root
    f: Fields = {
        "root": root.name, "pub": {}, "app": {}, "appl_type": None, "title": "", "class": [], "cit": [],
        "parties": [], "inventors": [], "app_inventors": [], "has_inventors": False, "prio": [], "claims": [],
        "abstract": "", "description": "", "extra": {},
    }
    version = root.attribute("dtd-version").value
    if version:
        f["extra"]["dtd_version"] = version
    for part in root.children():
        tag = part.name
        if tag in ("us-bibliographic-data-grant", "us-bibliographic-data-application"):
            for c in part.children():
                handler = _BIBLIO.get(c.name)
                if handler:
                    handler(c, f)
        else:
            handler = _ROOT.get(tag)
            if handler:
                handler(part, f)
    if not f["has_inventors"]:  # DTD v4.0-v4.2: the inventors are the applicants
        f["inventors"] = f["app_inventors"]
    return f
