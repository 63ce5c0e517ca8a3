"""Why a record was quarantined, as a stable code, and which field, as a stable key.

An ingester says why it cannot read a record in English prose that names the value and what to do
(``'Patent Number' is 'LOCATION', not a patent number: the row belongs to another journal table ...``).
:func:`classify` reads the kind of problem from that text: the first pattern of :data:`CODES` that
matches gives the code, ``other`` when none does. The loader stores the code with the record
(``quarantine.reason_code``; migration 8 gave the rows of older stores theirs), so that the quarantine
can be grouped and shown in any language: the catalogue key ``quarantine.code.<code>`` names the code,
``quarantine.field.<key>`` the field (:func:`field_key`; a field without a key is shown as written).
The English text stays with the record as the evidence.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: code -> the pattern of the reasons it stands for (over the reason in lower case), in the order they are tried
CODES: dict[str, re.Pattern[str]] = {code: re.compile(pattern) for code, pattern in (
    ("other_table_row", r"another journal table|repeated header"),
    ("not_a_document", r"is not a us-patent-grant or us-patent-application|which ipcockpit does not read"
                       r"|; nothing to load"),
    ("no_header", r"no (?:sheet has a )?header with"),
    ("bad_json", r"not valid json|is not a json (?:object|list)|not a json list"),
    ("bad_line", r"line is not '|expected an \d+-digit application number, a tab|no ipc code before the tab"
                 r"|\d+ values for \d+ columns|the tuple cannot be read|the statement is skipped"),
    ("bad_xml", r"not well-formed xml|cannot be parsed|its bytes are not text"),
    ("no_number", r"no (?:publication|patent) number|empty (?:publication|patent|application)_?number"
                  r"|no application_?number|has no applid|has no applicationnumbertext|no country or doc[-_]number"
                  r"|without a docdb number"
                  r"|no docdb publication number|has no patent, publication or application number"),
    ("bad_number", r"is not of the form|does not start with a two-letter office|is not a publication number"
                   r"|is not a two-letter country or office code|application number has \d+ or \d+"
                   r"|is in scientific notation|is not a cn application number|has lost digits|the check digit of"),
    ("unknown_value", r"is not a number \d+-\d+|is not a category number|is not a known level"),
    ("not_a_number", r"is not a number|invalid literal for int|could not convert string to float"),
    ("bad_date", r"unreadable date|month must be in|day is out of range|year \d+ is out of range|not a date"
                 r"|write dates as|dates as yyyy-mm-dd|in 'publication date'"),
    ("bad_code", r"is not an ipc|not a subclass or main-group prefix|is not a locarno"),
    ("missing_value", r"\bempty\b|\bhas no\b|\bno session\b|\bwithout\b|no title follows"),
)}
OTHER = "other"
#: every code, ``other`` last
ALL_CODES: tuple[str, ...] = (*CODES, OTHER)

#: other spellings of a field's key (after :func:`field_key`'s folding) -> the key the catalogue names
FIELD_ALIASES = {
    "doc_id": "publication_number", "doc_number": "publication_number", "document_id": "publication_number",
    "id": "publication_number", "patent_no": "patent_number", "applid": "application_number",
    "pub_date": "publication_date", "patent_date": "grant_date", "app_date": "filing_date",
    "pa_session": "session", "branch_no": "branch_code", "ipc_patterns": "ipc_code",
    "citing_patent_count": "cited_by_count",
}


@lru_cache(maxsize=4096)  # a file's broken records often share their reason
def classify(reason: str | None) -> str:
    """The code of a quarantine reason (``other`` when no pattern of :data:`CODES` matches)."""
    text = (reason or "").lower()
    return next((code for code, pattern in CODES.items() if pattern.search(text)), OTHER)


def field_key(field: str | None) -> str | None:
    """The catalogue key of a field as an ingester names it: ``Patent Number``, ``patent.application_number``,
    ``publication-reference/doc-number``, ``title of A01B`` -> ``patent_number``, ``application_number``,
    ``publication_number``, ``title``; None for no field."""
    if not field or not field.strip():
        return None
    text = field.strip().lower()
    if text.startswith("title of "):
        return "title"
    text = re.split(r"[./]", text)[-1]
    key = re.sub(r"[^0-9a-z]+", "_", text).strip("_")
    return FIELD_ALIASES.get(key, key) or None
