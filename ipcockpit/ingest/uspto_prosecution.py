"""USPTO prosecution histories: Open Data Portal (ODP) JSON, PEDS JSON and PEDS bulk JSON lines.

Formats:

- ``uspto-odp-json``: an ODP answer ``{"count", "patentBag": [...]}`` (application, continuity,
  transactions, assignment, adjustment endpoints). A bag item without its application number
  (the transactions, assignment and adjustment endpoints leave it out) cannot be keyed and is
  quarantined with a hint to load the application answer, which holds the same data.
- ``uspto-peds-json``: a PEDS search answer ``{"queryResults": {"searchResponse": {"response": {"docs"}}}}``.
- ``uspto-peds-jsonl``: PEDS bulk lines ``{"application_number", "prosecution_events": [...]}``.

Every application becomes one stub :class:`PatentRecord` (the prosecution file describes the
application, it is not the publication): doc_id ``US`` + the patent number when granted
(``US8457796``, no kind code, the same kind-less form as assignment stubs), else the earliest
pre-grant publication (``US20170071586``), else ``USA`` + the application number (``USA16100000``:
no US publication number starts with A, and the plain application number would collide with patent
numbers, e.g. application 10/465,445 and patent 10,465,445). ``app_id`` is always ``US`` + the
application number. Each transaction becomes a :class:`LegalEvent` with the USPTO event code,
its description as raw text and the class from :func:`uspto_event_class` (``other`` when the
code says nothing the model classes: USPTO codes are not INPADOC codes and must not be looked up
in the INPADOC table, so the class is always set here). Assignments inside the answers become
events classed by :func:`ipcockpit.ingest.uspto_assignment.conveyance_class`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.csvutil import parse_date
from ipcockpit.ingest.uspto_assignment import conveyance_class
from ipcockpit.model.numbers import canonical_number, publication_id
from ipcockpit.model.records import (
    Address,
    Classification,
    Inventor,
    LegalEvent,
    Party,
    PatentRecord,
    Priority,
    Record,
    Rejected,
)

#: USPTO transaction codes -> class, exact code first (``ABN9`` is the disposal of an application
#: for an RCE, not an abandonment; ``EXP.`` is the expiry for unpaid maintenance fees, a lapse)
USPTO_CODES: dict[str, str] = {
    "PGM/": "grant",
    "WPIR": "grant",
    "PG-ISSUE": "publication",
    "IFEE": "fee_paid",
    "N084": "fee_paid",
    "EXP.": "lapse",
    "PMFG": "restoration",
    "MPMFG": "restoration",
    "ABN9": "examination",
    "CTNF": "examination",
    "CTFR": "examination",
    "MCTNF": "examination",
    "MCTFR": "examination",
    "CTRS": "examination",
    "CTEQ": "examination",
    "CNOA": "examination",
    "MCNOA": "examination",
    "N/=.": "examination",
    "MN/=.": "examination",
    "RCEX": "examination",
    "DOCK": "examination",
    "EX.R": "examination",
    "IDSC": "examination",
    "FWDX": "examination",
    "A...": "examination",
    "BRCE": "examination",
    "A.PE": "examination",
    "IEXX": "filing",
    "FLRCPT.O": "filing",
    "371COMP": "filing",
    "COMP": "filing",
    "OIPE": "filing",
    "N/AP": "other",
}
#: then patterns on the code, then on the description
USPTO_CODE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("fee_paid", re.compile(r"^M[1-3]55[1-8]$")),  # maintenance fee payments and surcharges
    ("withdrawal", re.compile(r"^M?ABN[0-8]$")),
]
USPTO_TEXT_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("restoration", re.compile(r"revive|revival|reinstat|accept late payment.*granted", re.I)),
    ("withdrawal", re.compile(r"abandon", re.I)),
    ("lapse", re.compile(r"expire", re.I)),
    (
        "fee_paid",
        re.compile(r"payment of maintenance fee|issue fee payment|fee payment (received|verified)", re.I),
    ),
    ("grant", re.compile(r"recordation of patent grant|^issue notification", re.I)),
    ("publication", re.compile(r"pg-pub|publication", re.I)),
    (
        "examination",
        re.compile(
            r"rejection|office action|allowance|allowability|restriction|examiner|"
            r"continued examination|quayle|information disclosure",
            re.I,
        ),
    ),
]


def uspto_event_class(code: str | None, description: str | None) -> str:
    """The model's class of a USPTO prosecution transaction; ``other`` when nothing matches."""
    c = (code or "").strip().upper()
    if c in USPTO_CODES:
        return USPTO_CODES[c]
    for cls, pattern in USPTO_CODE_PATTERNS:
        if pattern.match(c):
            return cls
    for cls, pattern in USPTO_TEXT_PATTERNS:
        if description and pattern.search(description):
            return cls
    return "other"


def _date(value: Any) -> date | None:
    if value in (None, "", "null"):
        return None
    s = str(value)
    if re.match(r"^\d\d-\d\d-\d{4}$", s):  # PEDS assignments: MM-DD-YYYY
        s = f"{s[6:]}-{s[:2]}-{s[3:5]}"
    try:
        return parse_date(s)
    except ValueError:
        return None


def _days(value: Any) -> int | None:
    """A count of days as the APIs print it (``"119"``, ``0``); None when it is not one."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", str(value or ""))


def application_record(
    appno: str, patent: str | None, publication: str | None, position: str, **fields: Any
) -> PatentRecord:
    """The stub record of one application (see the module docstring for the doc_id)."""
    pub = publication_id(publication.replace(" ", "").replace("-", ""), "US") if publication else None
    if patent:
        number = canonical_number("US", patent)
        did = f"US{number}"
    elif pub and pub.startswith("US"):
        did = re.sub(r"[A-Z]\d?$", "", pub) if re.search(r"\d[A-Z]\d?$", pub) else pub
        number = did[2:]
    else:
        number = "A" + appno
        did = f"US{number}"
    extra = fields.pop("extra", {}) or {}
    if pub:
        extra["publication"] = pub
    return PatentRecord(
        doc_id=did,
        office="US",
        number=number,
        app_id=f"US{appno}",
        position=position,
        stub=True,
        lang="en",
        extra={k: v for k, v in extra.items() if v not in (None, "")},
        **fields,
    )


def _event(code: Any, text: Any, when: Any) -> LegalEvent:
    code_s, text_s = (
        (str(code).strip() or None) if code else None,
        (str(text).strip() or None) if text else None,
    )
    return LegalEvent(
        event_date=_date(when),
        code=code_s,
        office="US",
        raw_text=text_s,
        event_class=uspto_event_class(code_s, text_s),
    )


def _assignment_event(
    conveyance: str | None, reel: Any, frame: Any, recorded: Any, assignees: list[str], assignors: list[str]
) -> LegalEvent:
    cls = conveyance_class(conveyance)
    ref = f"{_digits(reel).zfill(6)}/{_digits(frame).zfill(4)}" if _digits(reel) and _digits(frame) else None
    names = assignors if cls == "pledge_release" else assignees
    raw = " ".join(x for x in (conveyance, f"REEL/FRAME {ref}" if ref else None) if x) or None
    return LegalEvent(
        event_date=_date(recorded),
        office="US",
        raw_text=raw,
        event_class=cls,
        counterparty="; ".join(n for n in names if n) or None,
    )


# ODP -----------------------------------------------------------------------------------------
def odp_records(bag: list[dict[str, Any]], path: str) -> Iterator[Record]:
    for i, item in enumerate(bag, start=1):
        position = f"record {i}"
        appno = _digits(item.get("applicationNumberText"))
        if not appno:
            parents = (item.get("continuityBag") or {}).get("parentContinuityBag") or []
            appno = _digits(parents[0].get("childApplicationNumberText")) if parents else ""
        if not appno:
            keys = ", ".join(sorted(item)) or "nothing"
            yield Rejected(
                position,
                f"{path}: patentBag item {i} has no applicationNumberText (it holds {keys}); "
                "load the ODP application answer, which carries the number and the same data",
                json.dumps(item)[:300],
                "applicationNumberText",
            )
            continue
        events = [
            _event(t.get("caseActionCode"), t.get("caseActionDescriptionText"), t.get("recordedDate"))
            for t in item.get("transactionContentBag") or []
        ]
        for a in item.get("assignmentBag") or []:
            events.append(
                _assignment_event(
                    a.get("conveyanceText"),
                    a.get("reelNumber"),
                    a.get("frameNumber"),
                    a.get("assignmentRecordedDate"),
                    [x.get("assigneeNameText") for x in a.get("assigneeBag") or []],
                    [x.get("assignorName") for x in a.get("assignorBag") or []],
                )
            )
        parties = []
        for j, ap in enumerate(item.get("applicantBag") or [], start=1):
            addr = (ap.get("correspondenceAddressBag") or [{}])[0]
            parties.append(
                Party(
                    ap.get("applicant") or ap.get("applicantNameText") or "",
                    "applicant",
                    sequence=j,
                    address=_odp_address(addr),
                )
            )
        inventors = []
        for j, inv in enumerate(item.get("inventorBag") or [], start=1):
            addr = (inv.get("correspondenceAddressBag") or [{}])[0]
            name = inv.get("inventorNameText") or " ".join(
                filter(None, (inv.get("firstName"), inv.get("lastName")))
            )
            if name:
                inventors.append(Inventor(name, sequence=j, address=_odp_address(addr)))
        cpc = [
            Classification("CPC", _cpc(c), sequence=j)
            for j, c in enumerate(item.get("cpcClassificationBag") or [], 1)
        ]
        parents = (item.get("continuityBag") or {}).get("parentContinuityBag") or []
        priorities = [
            Priority(
                "US" if not str(p.get("parentApplicationNumberText", "")).startswith("PCT") else "WO",
                p.get("parentApplicationNumberText"),
                _date(p.get("filingDate")),
            )
            for p in parents
            if p.get("childApplicationNumberText") == item.get("applicationNumberText", appno)
        ]
        yield application_record(
            appno,
            item.get("patentNumber"),
            item.get("earliestPublicationNumber"),
            position,
            app_date=_date(item.get("filingDate")),
            pub_date=_date(item.get("earliestPublicationDate")),
            grant_date=_date(item.get("grantDate")),
            stage="grant" if item.get("patentNumber") else "application",
            title=item.get("inventionTitle"),
            status=item.get("applicationStatusDescriptionText"),
            parties=[p for p in parties if p.name],
            inventors=inventors,
            classifications=cpc,
            priorities=priorities,
            legal_events=events,
            extra={
                "art_unit": item.get("groupArtUnitNumber"),
                "entity_status": item.get("businessEntityStatusCategory"),
                "application_type": item.get("applicationTypeLabelName"),
                "term_extension_days": _days((item.get("patentTermAdjustmentData") or {}).get(
                    "adjustmentTotalQuantity")) if item.get("patentNumber") else None,
            },
        )


def _odp_address(a: dict[str, Any]) -> Address | None:
    parts = [
        a.get(k)
        for k in ("addressLineOneText", "cityName", "geographicRegionCode", "postalCode", "countryName")
    ]
    raw = ", ".join(str(p).strip() for p in parts if p)
    return (
        Address(
            raw=raw,
            country=a.get("countryCode"),
            province=a.get("geographicRegionCode"),
            city=a.get("cityName"),
        )
        if raw
        else None
    )


def _cpc(code: str) -> str:
    m = re.match(r"^([A-HY]\d\d[A-Z])\s*(\d+)/(\d+)$", code.strip())
    return f"{m.group(1)} {m.group(2)}/{m.group(3)}" if m else code.strip()


# PEDS ----------------------------------------------------------------------------------------
def peds_records(docs: list[dict[str, Any]]) -> Iterator[Record]:
    for i, d in enumerate(docs, start=1):
        position = f"record {i}"
        appno = _digits(d.get("applId") or d.get("applIdStr"))
        if not appno:
            yield Rejected(position, f"PEDS document {i} has no applId", json.dumps(d)[:300], "applId")
            continue
        events = [
            _event(t.get("code"), t.get("description"), t.get("recordDate"))
            for t in d.get("transactions") or []
        ]
        for a in d.get("assignments") or []:
            events.append(
                _assignment_event(
                    a.get("converyanceName") or a.get("conveyanceName"),
                    a.get("reelNumber"),
                    a.get("frameNumber"),
                    a.get("recordedDate"),
                    [x.get("assigneeName") for x in a.get("assignee") or []],
                    [x.get("assignorName") for x in a.get("assignors") or []],
                )
            )
        inventors = []
        for j, inv in enumerate(d.get("inventors") or [], start=1):
            name = " ".join(
                x.strip() for x in (inv.get("nameLineTwo"), inv.get("nameLineOne")) if x and x.strip()
            )
            if name:
                city = (inv.get("city") or "").strip().rstrip(",") or None
                inventors.append(
                    Inventor(
                        name,
                        sequence=j,
                        address=Address(
                            raw=", ".join(x for x in (city, inv.get("geoCode")) if x) or None,
                            country=(inv.get("country") or "").strip("() ") or None,
                            city=city,
                            province=inv.get("geoCode"),
                        ),
                    )
                )
        yield application_record(
            appno,
            d.get("patentNumber"),
            d.get("appEarlyPubNumber"),
            position,
            app_date=_date(d.get("appFilingDate")),
            pub_date=_date(d.get("appEarlyPubDate")),
            grant_date=_date(d.get("patentIssueDate")),
            stage="grant" if d.get("patentNumber") else "application",
            title=d.get("patentTitle"),
            status=d.get("appStatus"),
            inventors=inventors,
            legal_events=events,
            extra={
                "art_unit": d.get("appGrpArtNumber"),
                "examiner": d.get("appExamName"),
                "entity_status": d.get("appEntityStatus"),
                "application_type": d.get("appType"),
                # the patent-term adjustment (35 U.S.C. 154(b)) the in-force rule adds, as in the full-text XML
                "term_extension_days": _days(d.get("totalPtoDays")) if d.get("patentNumber") else None,
            },
        )


def peds_bulk_record(d: dict[str, Any], position: str) -> Record:
    appno = _digits(d.get("application_number"))
    if not appno:
        return Rejected(
            position,
            "line has no application_number; every PEDS bulk line needs one",
            json.dumps(d)[:300],
            "application_number",
        )
    patent = (d.get("patent_number") or "").strip() or None
    events = [
        _event(e.get("code"), e.get("description"), e.get("date")) for e in d.get("prosecution_events") or []
    ]
    return application_record(
        appno,
        patent,
        None,
        position,
        app_date=_date(d.get("filing_date")),
        stage="grant" if patent else "application",
        title=d.get("patent_title"),
        status=d.get("status"),
        legal_events=events,
        extra={
            "art_unit": d.get("art_unit"),
            "examiner": d.get("examiner_name"),
            "technology_center": d.get("technology_center"),
            "application_type": d.get("app_type"),
            "total_events_in_file": d.get("total_events_in_file"),
        },
    )


# Ingesters -----------------------------------------------------------------------------------
def _load_json(source: Source) -> tuple[Any, Rejected | None]:
    with source.open_text() as fh:
        try:
            return json.load(fh), None
        except json.JSONDecodeError as exc:
            return None, Rejected(
                f"offset {exc.pos}",
                f"{source.path}: not valid JSON ({exc.msg}); download the answer again",
                "",
                None,
            )


class UsptoOdpJson(Ingester):
    name = "uspto-odp-json"
    label = "USPTO Open Data Portal answer (JSON patentBag: application, transactions, continuity)"
    label_zh = "USPTO 开放数据平台（JSON）"
    priority = 30

    def sniff(self, source: Source) -> bool:
        head = source.text_head(4096).lstrip()
        return head.startswith("{") and '"patentBag"' in head

    def read(self, source: Source) -> Iterator[Record]:
        data, bad = _load_json(source)
        if bad:
            yield bad
            return
        yield from odp_records(data.get("patentBag") or [], source.path)


class UsptoPedsJson(Ingester):
    name = "uspto-peds-json"
    label = "USPTO PEDS search answer (JSON queryResults)"
    label_zh = "USPTO PEDS 审查数据（JSON）"
    priority = 30

    def sniff(self, source: Source) -> bool:
        head = source.text_head(4096).lstrip()
        return head.startswith("{") and '"queryResults"' in head and '"searchResponse"' in head

    def read(self, source: Source) -> Iterator[Record]:
        data, bad = _load_json(source)
        if bad:
            yield bad
            return
        docs = (((data.get("queryResults") or {}).get("searchResponse") or {}).get("response") or {}).get(
            "docs"
        )
        yield from peds_records(docs or [])


class UsptoPedsJsonl(Ingester):
    name = "uspto-peds-jsonl"
    label = "USPTO PEDS bulk prosecution histories (JSON lines with prosecution_events)"
    label_zh = "USPTO PEDS 审查历史（JSON 行）"
    priority = 30

    def sniff(self, source: Source) -> bool:
        first = source.text_head(8192).lstrip().split("\n", 1)[0]
        return first.startswith("{") and '"application_number"' in first and '"prosecution_events"' in first

    def read(self, source: Source) -> Iterator[Record]:
        with source.open_text() as fh:
            for line_no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    d = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield Rejected(
                        f"line {line_no}",
                        f"{source.path}: line {line_no} is not valid JSON ({exc.msg})",
                        line[:300],
                        None,
                    )
                    continue
                yield peds_bulk_record(d, f"line {line_no}")


INGESTERS = [UsptoOdpJson, UsptoPedsJson, UsptoPedsJsonl]
