"""USPTO patent assignment search answers (Solr XML: ``<response><result><doc>`` with reelNo, frameNo,
conveyanceText, patAssignee*, patAssignor*, and parallel property arrays applNum/patNum/publNum).

Each assignment record is one recorded conveyance over one or more properties. Every property
becomes a stub :class:`PatentRecord` (the assignment file only refers to the patent) carrying one
:class:`LegalEvent`:

- doc_id: ``US`` + the patent number when the property has one (``US7130913``), else the pre-grant
  publication (``US20180114740``), else ``USA`` + the application number (``USA10628795``: no US
  publication number starts with A). No kind code: the assignment database does not give it. The
  application id is always set, so a loader can link the stub to a kinded document by app_id or by
  the kind-less number.
- event: conveyance text -> class (:func:`conveyance_class`), event_date = recorded date (else the
  earliest execution date), raw_text = conveyance + ``REEL/FRAME 018247/0405``, counterparty = the
  assignees (for a transfer: the new owner; for a security interest: the secured party) or, for a
  release, the assignors (the secured party giving the release).
- parties: the assignees as ``current_owner`` when the conveyance transfers ownership.

:func:`conveyance_class` is shared with the ODP/PEDS ingester (``uspto_prosecution``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from lxml import etree

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.csvutil import parse_date
from ipcockpit.model.events import text_class
from ipcockpit.model.numbers import canonical_number
from ipcockpit.model.records import Address, LegalEvent, Party, PatentRecord, Record, Rejected

#: (class, pattern on the conveyance text), first match wins; then the generic text rules
CONVEYANCE_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "pledge_release",
        re.compile(
            r"RELEASE|TERMINATION (AND RELEASE )?OF (PATENT )?SECURITY|SATISFACTION|"
            r"DISCHARGE OF SECURITY",
            re.I,
        ),
    ),
    ("pledge", re.compile(r"SECURITY (INTEREST|AGREEMENT)|MORTGAGE|\bLIEN\b|PLEDGE|COLLATERAL", re.I)),
    ("licence", re.compile(r"LICEN[CS]E", re.I)),
    (
        "transfer",
        re.compile(
            r"ASSIGNMENT|NUNC PRO TUNC|MERGER|CHANGE OF OWNERSHIP|COURT ORDER.*TITLE|"
            r"DISTRIBUTION OF ASSETS",
            re.I,
        ),
    ),
    ("correction", re.compile(r"CORRECTIVE|CORRECTION|CORRECT (THE )?ERROR", re.I)),
    (
        "other",
        re.compile(
            r"CHANGE OF NAME|CHANGE OF ADDRESS|ENTITY CONVERSION|GOVERNMENT INTEREST|"
            r"CONFIRMATORY LICENSE|EXECUTIVE ORDER",
            re.I,
        ),
    ),
]
_TRANSFER_OWNER = ("transfer",)
_NULL = {"", "NULL", "0001-01-01T00:00:00Z"}


def conveyance_class(text: str | None) -> str:
    """The event class of a USPTO conveyance ("ASSIGNMENT OF ASSIGNORS INTEREST" -> transfer)."""
    if not text:
        return "other"
    for cls, pattern in CONVEYANCE_RULES:
        if pattern.search(text):
            return cls
    return text_class(text) or "other"


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return None if value in _NULL else value


def _date(value: str | None) -> date | None:
    value = _clean(value)
    if not value:
        return None
    try:
        return parse_date(value)
    except ValueError:
        return None


def property_doc_id(
    patent: str | None, publication: str | None, application: str | None
) -> tuple[str, str] | None:
    """(doc_id, number) of a property: patent, else publication, else ``A`` + application number."""
    if patent:
        number = canonical_number("US", patent)
    elif publication:
        number = canonical_number("US", publication)
    elif application:
        number = "A" + re.sub(r"\D", "", application)
    else:
        return None
    return f"US{number}", number


class UsptoAssignmentXml(Ingester):
    name = "uspto-assignment-xml"
    label = "USPTO patent assignment search (Solr XML: reel/frame, conveyance, properties)"
    label_zh = "USPTO 专利转让检索（XML）"
    priority = 20

    def sniff(self, source: Source) -> bool:
        head = source.head(8192)
        return b"<response" in head and b'name="reelNo"' in head and b'name="conveyanceText"' in head

    def read(self, source: Source) -> Iterator[Record]:
        with source.open() as fh:
            try:
                root = etree.parse(fh, etree.XMLParser(resolve_entities=False, huge_tree=True)).getroot()
            except etree.XMLSyntaxError as exc:
                yield Rejected(
                    "offset 0", f"{source.path}: not well-formed XML ({exc}); download the answer again"
                )
                return
        n = 0
        for doc in root.findall("result/doc"):
            single = {e.get("name"): _clean(e.text) for e in doc if e.tag != "arr"}
            arrays = {e.get("name"): [_clean(c.text) for c in e] for e in doc if e.tag == "arr"}
            yield from self._assignment(source.path, single, arrays, n)
            n += len(arrays.get("applNum") or []) or 1

    def _assignment(
        self, path: str, one: dict[str, str | None], arr: dict[str, list[str | None]], start: int
    ) -> Iterator[Record]:
        reel, frame = one.get("reelNo"), one.get("frameNo")
        ref = (
            f"{int(reel):06d}/{int(frame):04d}"
            if reel and frame and reel.isdigit() and frame.isdigit()
            else one.get("id")
        )
        conveyance = one.get("conveyanceText") or ""
        cls = conveyance_class(conveyance)
        exec_dates = [d for d in (_date(x) for x in arr.get("patAssignorExDate", [])) if d]
        when = _date(one.get("recordedDate")) or (min(exec_dates) if exec_dates else None)
        assignees = [a for a in arr.get("patAssigneeName", []) if a]
        assignors = [a for a in arr.get("patAssignorName", []) if a]
        counterparty = "; ".join(assignors if cls == "pledge_release" else assignees) or None
        owners: list[Party] = []
        if cls in _TRANSFER_OWNER:
            cities, states = arr.get("patAssigneeCity", []), arr.get("patAssigneeState", [])
            countries = arr.get("patAssigneeCountryName", [])
            for i, name in enumerate(assignees):
                parts = [
                    x
                    for x in (
                        _at(arr.get("patAssigneeAddress1", []), i),
                        _at(cities, i),
                        _at(states, i),
                        _at(arr.get("patAssigneePostcode", []), i),
                        _at(countries, i),
                    )
                    if x
                ]
                owners.append(
                    Party(
                        name,
                        "current_owner",
                        sequence=i + 1,
                        address=Address(
                            raw=", ".join(parts) or None, province=_at(states, i), city=_at(cities, i)
                        ),
                    )
                )
        apps, pats, pubs = arr.get("applNum", []), arr.get("patNum", []), arr.get("publNum", [])
        titles, filed, issued = (
            arr.get("inventionTitle", []),
            arr.get("filingDate", []),
            arr.get("issueDate", []),
        )
        pub_dates = arr.get("publDate", [])
        for i in range(max(len(apps), len(pats), len(pubs))):
            position = f"record {start + i + 1}"
            ids = property_doc_id(_at(pats, i), _at(pubs, i), _at(apps, i))
            if ids is None:
                yield Rejected(
                    position,
                    f"{path}: assignment {ref} property {i + 1} has no patent, publication or "
                    "application number",
                    conveyance,
                    "patNum",
                )
                continue
            did, number = ids
            app = _at(apps, i)
            granted = _at(pats, i) is not None
            event = LegalEvent(
                event_date=when,
                code=None,
                office="US",
                raw_text=f"{conveyance} REEL/FRAME {ref}".strip(),
                event_class=cls,
                counterparty=counterparty,
            )
            yield PatentRecord(
                doc_id=did,
                office="US",
                number=number,
                stage="grant" if granted else None,
                app_id=f"US{re.sub(r'[^0-9]', '', app)}" if app else None,
                app_date=_date(_at(filed, i)),
                pub_date=_date(_at(issued, i)) if granted else _date(_at(pub_dates, i)),
                grant_date=_date(_at(issued, i)) if granted else None,
                title=_at(titles, i),
                lang="en" if _at(titles, i) else None,
                parties=list(owners),
                legal_events=[event],
                position=position,
                stub=True,
                extra={k: v for k, v in (("publication_number", _at(pubs, i)), ("reel_frame", ref)) if v},
            )


def _at(values: list[str | None], i: int) -> str | None:
    return values[i] if i < len(values) else None


INGESTERS = [UsptoAssignmentXml]
