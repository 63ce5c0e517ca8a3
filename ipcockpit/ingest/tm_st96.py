"""WIPO ST.96 trademark XML (``tm-st96``): the USPTO's TSDR status records (``<TrademarkTransaction>``).

Each ``<Trademark>`` of the file gives one :class:`~ipcockpit.model.trademarks.TrademarkRecord`: the mark
text (``MarkVerbalElementText``) and image file name, status code and text, the dates (application, status,
publication, registration; abandonment, allowance and cancellation in ``extra``), applicants and owners with
their addresses, every ``GoodsServicesClassification`` (Nice, primary and US domestic classes), the goods and
services per class, and the prosecution history (``MarkEvent``: code, date, description, entry number).

The USPTO code tables (status codes with their Live/Dead indicator, event codes) are not shipped
(../shared/data/MANIFEST.md: ship "no"). They are read at run time from the folder named by the setting-like
attribute ``trademark_code_tables`` of the running settings when it has one, else from a folder called
``uspto_code_tables`` beside the XML file's folder or inside it (the layout of ../shared/data/trademarks). Without
them the status is read from the status text and the events keep no meaning, each with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path

from lxml import etree

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.model.records import Record, Rejected
from ipcockpit.model.tm_status import CodeTables, load_code_tables, normalise_status
from ipcockpit.model.trademarks import MarkClass, MarkEvent, MarkGoods, MarkParty, TrademarkRecord

TM = "http://www.wipo.int/standards/XMLSchema/ST96/Trademark"
COM = "http://www.wipo.int/standards/XMLSchema/ST96/Common"
NS = {"tm": TM, "com": COM}
TABLE_FOLDER = "uspto_code_tables"


def _t(el: etree._Element | None, path: str) -> str | None:
    if el is None:
        return None
    found = el.find(path, NS)
    if found is None or found.text is None or not found.text.strip():
        return None
    return found.text.strip()


def _d(text: str | None) -> date | None:
    """An ST.96 date (``2011-01-28`` or with a zone, ``2011-01-28-05:00``)."""
    return date.fromisoformat(text[:10]) if text else None


@lru_cache(maxsize=8)
def _tables(folder: str | None) -> CodeTables:
    return load_code_tables(folder)


def table_folder(path: str, configured: str | None = None) -> str | None:
    """The code-table folder for an XML file at ``path`` (an archive member: beside its archive)."""
    if configured:
        return configured
    base = Path(path.split("!", 1)[0]).resolve().parent
    for folder in (base.parent / TABLE_FOLDER, base / TABLE_FOLDER):
        if (folder / "status_codes.csv").is_file():
            return str(folder)
    return None


class St96Trademark(Ingester):
    name = "tm-st96"
    label = "WIPO ST.96 trademark XML (USPTO TSDR status records)"
    label_zh = "WIPO ST.96 商标 XML（美国专利商标局 TSDR 案卷）"
    priority = 20

    def sniff(self, source: Source) -> bool:
        head = source.head(4096)
        return source.suffix == ".xml" and b"XMLSchema/ST96/Trademark" in head and b"Trademark" in head

    def read(self, source: Source) -> Iterator[Record]:
        configured = getattr(self.settings, "trademark_code_tables", None) if self.settings is not None else None
        tables = _tables(table_folder(source.path, configured))
        with source.open() as fh:
            try:
                root = etree.parse(fh).getroot()
            except etree.XMLSyntaxError as exc:
                yield Rejected("offset 0", f"not well-formed XML: {exc}", source.text_head(300), "xml")
                return
        for i, mark in enumerate(root.iter(f"{{{TM}}}Trademark"), 1):
            position = f"Trademark {i}"
            try:
                yield self.record(mark, tables, position)
            except ValueError as exc:
                yield Rejected(position, f"unreadable date or number: {exc}", etree.tostring(mark)[:300].decode(),
                               "date")

    def record(self, mark: etree._Element, tables: CodeTables, position: str) -> Record:
        number = _t(mark, "com:ApplicationNumber/com:ApplicationNumberText")
        office = _t(mark, "com:ApplicationNumber/com:IPOfficeCode") or "US"
        if not number:
            return Rejected(position, "the Trademark has no ApplicationNumberText; a mark needs one to be loaded",
                            etree.tostring(mark)[:300].decode(), "application_number")
        rec = TrademarkRecord(mark_id=f"{office}{number}", office=office, number=number, position=position)
        rec.reg_number = _t(mark, "com:RegistrationNumber")
        rec.registration_date = _d(_t(mark, "com:RegistrationDate"))
        rec.filing_date = _d(_t(mark, "tm:ApplicationDate"))
        rec.status_code = _t(mark, "tm:MarkCurrentStatusCode")
        rec.status_date = _d(_t(mark, "tm:MarkCurrentStatusDate"))
        info = mark.find("tm:NationalTrademarkInformation", NS)
        rec.status_text = _t(info, "tm:MarkCurrentStatusExternalDescriptionText")
        rec.status, rec.status_rule, reason = normalise_status(rec.status_code, rec.status_text, tables)
        if reason:
            rec.notes.append(reason)
        rec.mark_kind = _t(mark, "tm:MarkCategory")
        word = mark.find("tm:MarkRepresentation/tm:MarkReproduction/tm:WordMarkSpecification", NS)
        rec.mark_text = _t(word, "tm:MarkVerbalElementText")
        rec.mark_image = _t(mark, "tm:MarkRepresentation/tm:MarkReproduction/tm:MarkImageBag/tm:MarkImage/com:FileName")
        if not rec.mark_text:
            rec.notes.append("mark without text: shown by its image" if rec.mark_image
                             else "mark without text or image")
        pubs = [_d(p.text) for p in mark.iterfind("tm:PublicationBag/tm:Publication/com:PublicationDate", NS) if p.text]
        rec.publication_date = min(pubs) if pubs else None
        bases = mark.findall("tm:NationalFilingBasis/*/tm:BasisInternationalRegistrationIndicator", NS)
        rec.madrid = any((b.text or "").strip() == "true" for b in bases) or \
            mark.find(".//tm:InternationalRegistrationNumber", NS) is not None
        extra = {
            "drawing_code": _t(mark, "tm:MarkRepresentation/tm:MarkDescriptionBag/tm:NationalMarkDescription/"
                                     "tm:MarkFeatureCode"),
            "abandoned_date": _t(info, "tm:ApplicationAbandonedDate"),
            "allowance_date": _t(info, "tm:AllowanceNoticeDate"),
            "cancelled_date": _t(info, "tm:RegistrationCancelledDate"),
            "register": _t(info, "tm:RegisterCategory"),
        }
        rec.extra = {k: v for k, v in extra.items() if v}
        self._parties(mark, rec)
        self._classes(mark, rec)
        self._events(mark, rec, tables)
        rec.shared = len({p.name for p in rec.parties if p.role == "applicant"}) > 1
        return rec

    @staticmethod
    def _parties(mark: etree._Element, rec: TrademarkRecord) -> None:
        for app in mark.iterfind("tm:ApplicantBag/tm:Applicant", NS):
            contact = app.find("com:Contact", NS)
            name = _t(contact, "com:Name/com:OrganizationName/com:OrganizationStandardName") or \
                _t(contact, "com:Name/com:PersonName/com:PersonFullName") or _t(contact, "com:Name/com:EntityName")
            if not name:
                rec.notes.append("an applicant without a name is left out")
                continue
            comment = (_t(app, "com:CommentText") or _t(app, "com:Version/com:CommentText") or "").upper()
            addr = contact.find("com:PostalAddressBag/com:PostalAddress/com:PostalStructuredAddress", NS) \
                if contact is not None else None
            parts = [x.text.strip() for x in addr.iterfind("com:AddressLineText", NS) if x.text and x.text.strip()] \
                if addr is not None else []
            parts += [v for v in (_t(addr, "com:CityName"), _t(addr, "com:GeographicRegionName"),
                                  _t(addr, "com:PostalCode")) if v]
            rec.parties.append(MarkParty(
                name=name, role="applicant" if comment.startswith("ORIGINAL") else "owner",
                address=", ".join(parts) or None,
                country=_t(addr, "com:CountryCode") or _t(app, "com:IncorporationCountryCode")))

    @staticmethod
    def _classes(mark: etree._Element, rec: TrademarkRecord) -> None:
        for c in mark.iterfind("tm:GoodsServicesBag/tm:GoodsServices/tm:GoodsServicesClassificationBag/"
                               "tm:GoodsServicesClassification", NS):
            kind = (_t(c, "tm:ClassificationKindCode") or "").lower()
            code = _t(c, "tm:ClassNumber") or _t(c, "tm:NationalClassNumber")
            if not code:
                continue
            scheme = kind if kind in ("nice", "primary", "domestic") else kind or "unknown"
            nice = int(code) if scheme == "nice" and code.isdigit() else None
            rec.classes.append(MarkClass(scheme, f"{nice:02d}" if nice is not None else code, nice))
        for d in mark.iterfind("tm:GoodsServicesBag/tm:GoodsServices/tm:ClassDescriptionBag/tm:ClassDescription", NS):
            number = _t(d, "tm:ClassNumber")
            for text in d.iterfind("tm:GoodsServicesDescriptionText", NS):
                if text.text and text.text.strip():
                    rec.goods.append(MarkGoods(int(number) if number and number.isdigit() else None,
                                               text.text.strip(), "en"))

    @staticmethod
    def _events(mark: etree._Element, rec: TrademarkRecord, tables: CodeTables) -> None:
        for e in mark.iterfind("tm:MarkEventBag/tm:MarkEvent", NS):
            nat = e.find("tm:NationalMarkEvent", NS)
            code = _t(nat, "tm:MarkEventCode")
            entry = _t(nat, "tm:MarkEventEntryNumber")
            meaning = tables.events.get(code) if code else None
            notes = None
            if code and meaning is None:
                notes = (f"event code {code!r} is not in the USPTO event code table" if tables.events
                         else "no USPTO event code table was found to read the code")
            rec.events.append(MarkEvent(
                event_date=_d(_t(e, "tm:MarkEventDate")), code=code,
                description=_t(nat, "tm:MarkEventDescriptionText"), meaning=meaning, notes=notes,
                sequence=int(entry) if entry and entry.isdigit() else 0))


INGESTERS = [St96Trademark]
