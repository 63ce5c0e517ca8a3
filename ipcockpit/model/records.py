"""Record types yielded by ingesters. They hold no storage logic; the loader flattens them to tables.

Numbers are canonical (see :mod:`ipcockpit.model.numbers`): ``doc_id`` is the publication
(``US7654321B2``, ``CN114081026A``), ``app_id`` the application (``US11123456``, ``CN201910123456``).
Dates are :class:`datetime.date`. Vocabularies are the constants below; docs/model.md explains them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ipcockpit.model.trademarks import TrademarkRecord

#: the dates a patent document can have: from the first US patent act (1790) to a year after today.
#: A reader keeps a date outside them empty, with the reason; the data-quality check counts stored ones.
EARLIEST_DATE = date(1790, 1, 1)
LATEST_YEARS_AHEAD = 1
#: the words a reader's note (``extra['date_notes']``) holds when it read a date's year as the week-based year
#: (the year of the week of the next 1 January); the data-quality check counts such dates
WEEK_YEAR_NOTE = "week-based year"

# Vocabularies --------------------------------------------------------------------------------
PARTY_ROLES = ("applicant", "assignee", "current_owner", "patentee", "agent", "examiner")
PARTY_TYPES = ("company", "university", "institute", "person", "government", "hospital", "other")
DOC_TYPES = ("invention", "utility_model", "design", "plant", "reissue", "sir", "other")
STAGES = ("application", "grant")
CLASS_SCHEMES = ("IPC", "CPC", "LOCARNO", "USPC", "FI", "FTERM", "NPC")
CITATION_CATEGORIES = ("X", "Y", "A", "D", "E", "L", "O", "P", "T", "&", "I")
CITED_BY = ("examiner", "applicant", "third_party", "other")
EVENT_CLASSES = (
    "filing",
    "publication",
    "examination",
    "grant",
    "lapse",
    "restoration",
    "expiry",
    "withdrawal",
    "refusal",
    "transfer",
    "licence",
    "licence_release",
    "pledge",
    "pledge_release",
    "preservation",
    "preservation_release",
    "invalidation_request",
    "invalidation_decision",
    "litigation",
    "fee_paid",
    "correction",
    "change",
    "other",
)
TEXT_KINDS = ("title", "abstract", "description", "keywords", "first_claim")


@dataclass(slots=True)
class Address:
    """A postal address, parsed as far as the source allows. ``admin_code`` is GB/T 2260 for China."""

    raw: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    province: str | None = None  # province or US state
    city: str | None = None
    district: str | None = None
    admin_code: str | None = None  # 6-digit GB/T 2260 code of the finest level found
    postcode: str | None = None
    admin_reason: str | None = None  # why admin_code is coarser than the text, a former name, or none at all


@dataclass(slots=True)
class Party:
    name: str
    role: str = "applicant"
    type: str | None = None
    name_norm: str | None = None  # filled by the loader when empty
    address: Address | None = None
    sequence: int = 0


@dataclass(slots=True)
class Inventor:
    name: str
    name_norm: str | None = None
    address: Address | None = None
    sequence: int = 0


@dataclass(slots=True)
class Classification:
    scheme: str  # one of CLASS_SCHEMES
    code: str  # normalised, e.g. "H04N 19/176" for IPC/CPC, "14-03" for Locarno
    main: bool = False
    sequence: int = 0


@dataclass(slots=True)
class Citation:
    cited_doc_id: str | None = None  # canonical publication when a patent
    cited_raw: str | None = None  # the number or NPL text as written
    cited_office: str | None = None
    cited_date: date | None = None
    npl: bool = False
    category: str | None = None  # X / Y / A ...
    cited_by: str | None = None  # examiner / applicant / third_party
    sequence: int = 0


@dataclass(slots=True)
class LegalEvent:
    event_date: date | None
    code: str | None = None  # office's own code (INPADOC code, USPTO event code ...)
    office: str | None = None
    raw_text: str | None = None
    event_class: str | None = None  # one of EVENT_CLASSES; None -> mapped by the loader when possible
    influence: str | None = None  # "+" / "-" (INPADOC influence on rights)
    counterparty: str | None = None  # assignee, licensee, pledgee ...
    amount: float | None = None  # pledge or licence amount when known (CNY unless currency says)
    currency: str | None = None


@dataclass(slots=True)
class Text:
    kind: str  # one of TEXT_KINDS
    text: str
    lang: str | None = None


@dataclass(slots=True)
class Claim:
    number: int
    text: str
    independent: bool | None = None
    depends_on: int | None = None
    lang: str | None = None


@dataclass(slots=True)
class Priority:
    country: str | None
    number: str | None
    date: date | None = None


@dataclass(slots=True)
class PatentRecord:
    """One publication with everything a source says about it."""

    doc_id: str
    office: str
    number: str
    kind: str | None = None
    doc_type: str | None = None
    stage: str | None = None  # application / grant
    pub_date: date | None = None
    app_id: str | None = None
    app_date: date | None = None
    grant_date: date | None = None
    priority_date: date | None = None
    family_id: str | None = None
    family_scheme: str | None = None  # inpadoc / docdb / lens / source
    family_size: int | None = None
    family_members: list[str] = field(default_factory=list)  # doc_ids of other members when known
    title: str | None = None
    lang: str | None = None
    status: str | None = None  # legal status as the source words it
    cited_by_count: int | None = None  # forward citations as counted by the source
    parties: list[Party] = field(default_factory=list)
    inventors: list[Inventor] = field(default_factory=list)
    classifications: list[Classification] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    legal_events: list[LegalEvent] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    priorities: list[Priority] = field(default_factory=list)
    position: str | None = None  # record offset or line in the source file
    extra: dict[str, Any] = field(default_factory=dict)  # source fields with no column (kept as JSON)
    stub: bool = False  # True when the source only refers to this document (assignment, legal event)


@dataclass(slots=True)
class ReferenceRecord:
    """A row of a reference table (IPC titles, SEI concordance ...). ``table`` names a ref_* table."""

    table: str
    values: dict[str, Any]
    position: str | None = None


@dataclass(slots=True)
class Rejected:
    """A record the ingester could not read. It goes to the quarantine table; the file goes on."""

    position: str
    reason: str
    excerpt: str = ""
    field: str | None = None


Record = PatentRecord | ReferenceRecord | TrademarkRecord | Rejected
