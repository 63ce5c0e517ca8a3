"""Canonical publication and application numbers, one form per office and kind.

Publication (``doc_id``): office + number without separators or leading zeros + kind, e.g.
``US7654321B2``, ``USD512345S``, ``USRE41234E``, ``US20060123456A1``, ``CN114081026A``,
``EP1234567A1``, ``WO2020123456A1``. Application (``app_id``): office + digits without separators,
and for CN and EP without the check digit, e.g. ``US11123456``, ``CN201910123456``.

Written numbers (citations above all) come in more forms, read as follows:

- the office written again in front of the number is dropped (``WO`` + ``WO 03/068335``; an O written
  as a zero, ``W02006/019324``, too);
- outside the US a kind code written in front (``JP A 2002-147320``, ``JP A-10-100907``,
  ``AU B-39431/89``) is the kind, unless the number has one; ``P`` in front of a Japanese number with a
  four-digit year (``JP P2001-168205 A``) is dropped. US letters in front (D, PP, RE ...) are the number's;
- WO: four-digit year + six-digit serial (``WO 92/11830`` and ``WO 9211830`` -> ``WO1992011830``,
  years 78-99 in the 1900s, 00-77 in the 2000s; ``WO 00/70690`` -> ``WO2000070690``; a seven-digit
  serial with a leading zero loses it);
- JP: a number by era year (``10-100907``) takes the era's letter, Heisei (H) for years up to 11,
  Showa (S) above (``JPH10100907``), as Lens and DOCDB write it;
- a PCT application (``PCT/US01/13682``) is not a publication: :func:`cited_id` gives it the form
  ``PCT/US2001/013682``.
"""

from __future__ import annotations

import re

_SEP = re.compile(r"[\s,./\-_]")
_US_PREFIX = re.compile(r"^(D|PP|RE|H|T|X|AI|RX)0*(\d+)$")
_KIND_FRONT = re.compile(r"^([ABCUY]\d?)[\s\-]+(?=\d)")
_JP_P = re.compile(r"^P(?=(?:19|20)\d\d[\s\-])")
_JP_ERA = re.compile(r"^(\d{1,2})[\s\-/]+(\d{1,7})$")
_WO_YEAR = re.compile(r"^(\d{2}|\d{4})[\s\-/]+(\d{1,7})$")
_PCT = re.compile(r"^PCT[\s/\-]*([A-Z]{2})[\s/\-]*(\d{2}|\d{4})[\s/\-]*(\d{1,6})$")


def normalise_office(office: str | None) -> str | None:
    if not office:
        return None
    office = office.strip().upper()
    return office or None


def canonical_number(office: str, number: str) -> str:
    """The number part of a publication: no separators, no leading zeros, US letter prefixes kept."""
    return split_number(office, number)[0]


def split_number(office: str, number: str) -> tuple[str, str | None]:
    """(the canonical number part, the kind code written in front of the number or None); see the module."""
    office = office.upper()
    num = number.strip()
    if num.isdigit():  # most numbers: digits only
        return (_wo_digits(num) if office == "WO" else _digits(office, num)), None
    num = num.upper()
    front = None
    if num[:1] == office[:1] and len(num) > 2 and num[:2].replace("0", "O") == office:  # the office again
        num = num[2:].lstrip(" -/_.")
    if office != "US":
        m = _KIND_FRONT.match(num)
        if m:
            front, num = m.group(1), num[m.end():]
        elif office == "JP":
            num = _JP_P.sub("", num)
        if office == "JP":
            m = _JP_ERA.match(num)
            if m:
                year = int(m.group(1))
                return f"{'H' if year <= 11 else 'S'}{year:02d}{m.group(2)}", front
        elif office == "WO":
            m = _WO_YEAR.match(num)
            if m:
                return _wo(m.group(1), m.group(2)), front
    num = _SEP.sub("", num)
    if office == "US":
        m = _US_PREFIX.match(num)
        if m:
            return m.group(1) + m.group(2), None
    if num.isdigit():
        return (_wo_digits(num) if office == "WO" else _digits(office, num)), front
    return num, front


def _digits(office: str, num: str) -> str:
    if office == "US":
        # pre-grant publications are 11 digits (YYYYNNNNNNN); grants lose leading zeros
        return num if len(num) == 11 and num.startswith("20") else num.lstrip("0") or "0"
    return num.lstrip("0") or "0"


def _wo(year: str, serial: str) -> str:
    """A WO number of four-digit year and six-digit serial."""
    y = int(year)
    if len(year) == 2:
        y += 1900 if y >= 78 else 2000  # the PCT began in 1978
    return f"{y}{int(serial):06d}"


def _wo_digits(num: str) -> str:
    n = len(num)
    if num[:2] in ("19", "20") and n in (9, 10, 11):
        return num if n == 10 else _wo(num[:4], num[4:])
    if n in (7, 8):
        return _wo(num[:2], num[2:])
    return num.lstrip("0") or "0"


def doc_id(office: str, number: str, kind: str | None = None) -> str:
    """Canonical publication id from its parts."""
    office = office.strip().upper()
    num, front = split_number(office, number)
    kind = (kind or front or "").strip().upper()
    return f"{office}{num}{kind}"


def cited_id(office: str, number: str, kind: str | None = None) -> str:
    """The id of a cited patent document: its publication id, or for a PCT application (``PCT/US01/13682``,
    not a publication) the PCT application number ``PCT/US2001/013682``."""
    m = _PCT.match(number.strip().upper()) if "PCT" in number or "pct" in number else None
    if m:
        country, year, serial = m.groups()
        y = _wo(year, serial)
        return f"PCT/{country}{y[:4]}/{y[4:]}"
    return doc_id(office, number, kind)


def parse_publication(text: str, default_office: str | None = None) -> tuple[str, str, str | None] | None:
    """Split a written publication number ("CN 114081026 A", "US-7654321-B2", "EP1234567A1").

    Returns (office, number, kind) or None when the text is not a publication number.
    """
    if not text:
        return None
    t = text.strip().upper().replace("-", " ").replace("　", " ")
    t = re.sub(r"\s+", " ", t)
    m = re.match(r"^([A-Z]{2})\s?([A-Z]{0,2}\s?[\d][\d ,./]*?)\s?([A-Z]\d?)?$", t)
    if m:
        office, number, kind = m.group(1), m.group(2), m.group(3)
        num, front = split_number(office, number)
        return office, num, kind or front
    if default_office and re.match(r"^[A-Z]{0,2}\d[\d ,./]*$", t):
        num, front = split_number(default_office, t)
        return default_office, num, front
    return None


def publication_id(text: str, default_office: str | None = None) -> str | None:
    parts = parse_publication(text, default_office)
    if not parts:
        return None
    office, number, kind = parts
    return f"{office}{number}{kind or ''}"


def application_id(office: str, number: str) -> str:
    """Canonical application id. CN: 12 or 8 digits without the check digit ("201910123456.7")."""
    office = office.strip().upper()
    raw = number.strip().upper()
    if raw.startswith(office) and office.isalpha():
        raw = raw[len(office):]
    if office == "CN":
        digits = re.sub(r"[^0-9X]", "", raw)
        if len(digits) in (13, 9):  # trailing check digit (may be X)
            digits = digits[:-1]
        return "CN" + digits
    if office == "EP" and re.search(r"\.\d$", raw):  # EP application check digit
        raw = raw[:-2]
    num = _SEP.sub("", raw)
    return office + num


_CN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def cn_check_digit(digits: str) -> str:
    """The check digit of a CN application number of 8 digits (before 2003) or 12: the digits weighted
    2, 3, ... 9, 2, 3, 4, 5 in turn, summed, modulo 11; 10 is written X."""
    if len(digits) not in (8, 12) or not digits.isdigit():
        raise ValueError(f"a CN application number has 8 or 12 digits, not {digits!r}")
    rest = sum(int(d) * w for d, w in zip(digits, _CN_WEIGHTS, strict=False)) % 11
    return "X" if rest == 10 else str(rest)


_US_GRANT_KINDS = {"B1": ("grant", "invention"), "B2": ("grant", "invention"), "E": ("grant", "reissue"),
                   "E1": ("grant", "reissue"), "S": ("grant", "design"), "S1": ("grant", "design"),
                   "P2": ("grant", "plant"), "P3": ("grant", "plant"), "H": ("grant", "sir"),
                   "H1": ("grant", "sir"), "P1": ("application", "plant"), "P4": ("application", "plant")}


def stage_and_type(office: str | None, kind: str | None, pub_date: object = None) -> tuple[str | None, str | None]:
    """Stage (application/grant) and document type implied by a kind code, (None, None) when unknown.

    WIPO ST.16 letters: A publications of applications, B granted patents (C for some offices),
    U/Y utility models, S designs; US adds E reissues, P plants, H statutory invention registrations,
    and before 2001 its grants were published as A.
    """
    if not office or not kind:
        return None, None
    office, kind = office.upper(), kind.upper()
    letter = kind[0]
    if office == "US":
        if kind in _US_GRANT_KINDS:
            return _US_GRANT_KINDS[kind]
        if kind == "A":  # before 2001 a US grant, after that not used alone
            return ("grant", "invention") if str(pub_date or "") < "2001-01-02" else (None, None)
        if letter == "A":
            return "application", "invention"
        return None, None
    if letter in ("U", "Y"):  # utility models: registered (CN U, DE U1) or examined (Y) rights
        return "grant", "utility_model"
    if letter == "S":
        return "grant", "design"
    if letter in ("B", "C"):
        return "grant", "invention"
    if letter == "A":
        return "application", "invention"
    return None, None

