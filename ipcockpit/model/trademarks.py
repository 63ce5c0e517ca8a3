"""The trademark model: the record an ingester yields for one mark, and the tables it lands in.

A mark is named by ``mark_id``: its office and its application (serial) number, ``US85229197``,
``CN30124578``; an international registration designating China keeps its IR number (``CNG1234567``).
The tables (declared in :data:`TRADEMARK_TABLES`, made by migration 15, explained in docs/model.md):

- ``trademarks``: one row per mark: its text and image, status (the source's code and text, and the
  normalised status of :func:`ipcockpit.model.tm_status.normalise_status` with its rule), dates, the
  Madrid and GI flags, and ``notes`` (what the reader could not take as it stands: a mark with only an
  image, a status no rule knows ...).
- ``trademark_parties``: applicants and owners, with address and country (a Chinese address is placed in
  its GB/T 2260 division, as a patent party's is).
- ``trademark_classes``: one row per class the source gives: ``nice`` (Nice class, ``09``), ``cn_group``
  (a Chinese 类似群, ``0901``, with its Nice class), and the USPTO's ``primary`` and ``domestic`` classes
  as ST.96 lists them.
- ``trademark_goods``: the goods and services text per Nice class.
- ``trademark_events``: the prosecution history: code, date, the source's description, the code table's
  meaning and ``notes`` when no table knows the code.

Like every data table they carry ``file_id``: a file's rows are replaced as a whole (ipcockpit.store.loader).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

Column = tuple[str, str]

#: the normalised statuses (docs/model.md, :mod:`ipcockpit.model.tm_status`)
STATUSES = ("pending", "opposed", "registered", "refused", "abandoned", "cancelled", "invalidated", "expired",
            "unknown")
#: the class schemes of ``trademark_classes``
CLASS_SCHEMES = ("nice", "cn_group", "primary", "domestic")
#: the roles of ``trademark_parties``
ROLES = ("applicant", "owner", "co_applicant", "agent")

TRADEMARK_TABLES: dict[str, list[Column]] = {
    "trademarks": [
        ("mark_id", "VARCHAR"),
        ("office", "VARCHAR"),
        ("number", "VARCHAR"),  # application / serial number as the office writes it
        ("reg_number", "VARCHAR"),
        ("mark_text", "VARCHAR"),
        ("mark_image", "VARCHAR"),  # the image's file name or reference as the source gives it
        ("mark_kind", "VARCHAR"),  # word / figurative / combined / ... as the source words it
        ("status_code", "VARCHAR"),
        ("status_text", "VARCHAR"),
        ("status", "VARCHAR"),  # one of STATUSES
        ("status_rule", "VARCHAR"),  # which rule gave ``status`` (tm_status)
        ("status_date", "DATE"),
        ("filing_date", "DATE"),
        ("publication_date", "DATE"),  # first publication (USPTO OG; CN 初审公告)
        ("registration_date", "DATE"),  # USPTO registration; CN 注册公告
        ("expiry_date", "DATE"),  # end of the current term (CN 专用权期限 end)
        ("renewal_date", "DATE"),
        ("intl_reg_date", "DATE"),  # Madrid: international registration date
        ("madrid", "BOOLEAN"),
        ("gi", "BOOLEAN"),  # geographical indication (地理标志: collective or certification mark)
        ("shared", "BOOLEAN"),  # 是否共有: more than one applicant
        ("notes", "VARCHAR"),  # what the reader could not take as it stands, and why
        ("extra", "JSON"),
        ("position", "VARCHAR"),
        ("file_id", "VARCHAR"),
    ],
    "trademark_parties": [
        ("mark_id", "VARCHAR"),
        ("seq", "INTEGER"),
        ("role", "VARCHAR"),
        ("name_raw", "VARCHAR"),
        ("name_norm", "VARCHAR"),
        ("country", "VARCHAR"),
        ("province", "VARCHAR"),
        ("city", "VARCHAR"),
        ("district", "VARCHAR"),
        ("admin_code", "VARCHAR"),
        ("address_raw", "VARCHAR"),
        ("file_id", "VARCHAR"),
    ],
    "trademark_classes": [
        ("mark_id", "VARCHAR"),
        ("scheme", "VARCHAR"),  # one of CLASS_SCHEMES
        ("code", "VARCHAR"),  # nice: two digits (09); cn_group: four (0901); USPTO classes as written
        ("nice_class", "INTEGER"),  # the Nice class of a nice or cn_group row
        ("seq", "INTEGER"),
        ("file_id", "VARCHAR"),
    ],
    "trademark_goods": [
        ("mark_id", "VARCHAR"),
        ("nice_class", "INTEGER"),
        ("seq", "INTEGER"),
        ("text", "VARCHAR"),
        ("lang", "VARCHAR"),
        ("file_id", "VARCHAR"),
    ],
    "trademark_events": [
        ("mark_id", "VARCHAR"),
        ("seq", "INTEGER"),
        ("event_date", "DATE"),
        ("code", "VARCHAR"),
        ("description", "VARCHAR"),  # as the source words it
        ("meaning", "VARCHAR"),  # the source's code table for the code (or the reader's rule for a text)
        ("notes", "VARCHAR"),  # why ``meaning`` is empty: no table knows the code
        ("file_id", "VARCHAR"),
    ],
}


@dataclass(slots=True)
class MarkParty:
    name: str
    role: str = "applicant"
    address: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2 when the source says
    sequence: int = 0


@dataclass(slots=True)
class MarkClass:
    scheme: str  # one of CLASS_SCHEMES
    code: str
    nice_class: int | None = None


@dataclass(slots=True)
class MarkGoods:
    nice_class: int | None
    text: str
    lang: str | None = None


@dataclass(slots=True)
class MarkEvent:
    event_date: date | None
    code: str | None = None
    description: str | None = None
    meaning: str | None = None
    notes: str | None = None
    sequence: int = 0


@dataclass(slots=True)
class TrademarkRecord:
    """One mark with everything a source says about it."""

    mark_id: str
    office: str
    number: str
    reg_number: str | None = None
    mark_text: str | None = None
    mark_image: str | None = None
    mark_kind: str | None = None
    status_code: str | None = None
    status_text: str | None = None
    status: str | None = None
    status_rule: str | None = None
    status_date: date | None = None
    filing_date: date | None = None
    publication_date: date | None = None
    registration_date: date | None = None
    expiry_date: date | None = None
    renewal_date: date | None = None
    intl_reg_date: date | None = None
    madrid: bool | None = None
    gi: bool | None = None
    shared: bool | None = None
    notes: list[str] = field(default_factory=list)
    parties: list[MarkParty] = field(default_factory=list)
    classes: list[MarkClass] = field(default_factory=list)
    goods: list[MarkGoods] = field(default_factory=list)
    events: list[MarkEvent] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    position: str | None = None


def check(rec: TrademarkRecord) -> tuple[str, str] | None:
    """(field, reason) when a record cannot be stored, else None."""
    if not rec.number or not rec.mark_id:
        return "application_number", "no application number; a mark needs one to be loaded"
    if not rec.office or len(rec.office) != 2 or not rec.office.isalpha():
        return "office", f"office {rec.office!r} is not a two-letter country or office code"
    return None


def trademark_rows(rec: TrademarkRecord, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """Append a record's rows, in the column order of :data:`TRADEMARK_TABLES` (``file_id`` left out)."""
    from ipcockpit.model.addresses import enrich_address
    from ipcockpit.model.flat import extra_json
    from ipcockpit.model.names import normalise_name
    from ipcockpit.model.records import Address

    m = rec.mark_id
    rows["trademarks"].append((
        m, rec.office, rec.number, rec.reg_number, rec.mark_text, rec.mark_image, rec.mark_kind, rec.status_code,
        rec.status_text, rec.status, rec.status_rule, rec.status_date, rec.filing_date, rec.publication_date,
        rec.registration_date, rec.expiry_date, rec.renewal_date, rec.intl_reg_date, rec.madrid, rec.gi, rec.shared,
        "; ".join(rec.notes) or None, extra_json(rec.extra), rec.position,
    ))
    for i, p in enumerate(rec.parties, 1):
        a = enrich_address(Address(raw=p.address, country=p.country)) if (p.address or p.country) else None
        rows["trademark_parties"].append((
            m, p.sequence or i, p.role, p.name, normalise_name(p.name),
            *((a.country, a.province, a.city, a.district, a.admin_code, a.raw) if a else (None,) * 6),
        ))
    rows["trademark_classes"].extend((m, c.scheme, c.code, c.nice_class, i) for i, c in enumerate(rec.classes, 1))
    rows["trademark_goods"].extend((m, g.nice_class, i, g.text, g.lang) for i, g in enumerate(rec.goods, 1))
    rows["trademark_events"].extend(
        (m, e.sequence or i, e.event_date, e.code, e.description, e.meaning, e.notes)
        for i, e in enumerate(rec.events, 1))
