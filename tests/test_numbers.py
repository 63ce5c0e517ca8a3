"""Canonical publication and application numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.model.numbers import (
    application_id,
    canonical_number,
    cited_id,
    doc_id,
    parse_publication,
    publication_id,
    stage_and_type,
)


@pytest.mark.parametrize(
    ("office", "number", "kind", "expected"),
    [
        ("US", "07654321", "B2", "US7654321B2"),
        ("US", "D0512345", "S", "USD512345S"),
        ("US", "PP017123", "P2", "USPP17123P2"),
        ("US", "RE041234", "E", "USRE41234E"),
        ("US", "20060123456", "A1", "US20060123456A1"),
        ("CN", "114081026", "A", "CN114081026A"),
        ("EP", "1 234 567", "a1", "EP1234567A1"),
        ("WO", "2020/123456", "A1", "WO2020123456A1"),
    ],
)
def test_doc_id(office: str, number: str, kind: str, expected: str) -> None:
    assert doc_id(office, number, kind) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CN 114081026 A", "CN114081026A"),
        ("US-7654321-B2", "US7654321B2"),
        ("EP1234567A1", "EP1234567A1"),
        ("CN111504366B", "CN111504366B"),
        ("WO 2020/123456 A1", "WO2020123456A1"),
        ("US 2006/0123456 A1", "US20060123456A1"),
        ("JP2019123456A", "JP2019123456A"),
        ("not a number", None),
    ],
)
def test_publication_id(text: str, expected: str | None) -> None:
    assert publication_id(text) == expected


def test_parse_with_default_office() -> None:
    assert parse_publication("7654321", default_office="US") == ("US", "7654321", None)


@pytest.mark.parametrize(
    ("office", "number", "expected"),
    [
        ("CN", "201910123456.7", "CN201910123456"),
        ("CN", "CN201910123456.7", "CN201910123456"),
        ("CN", "2019101234567", "CN201910123456"),
        ("CN", "200810012345.X", "CN200810012345"),
        ("CN", "99123456.1", "CN99123456"),
        ("US", "11/123,456", "US11123456"),
        ("EP", "05 012 345.6", "EP05012345"),
    ],
)
def test_application_id(office: str, number: str, expected: str) -> None:
    assert application_id(office, number) == expected


def test_us_pregrant_keeps_its_eleven_digits() -> None:
    assert canonical_number("US", "2006/0123456") == "20060123456"
    assert canonical_number("US", "0005269177") == "5269177"


@pytest.mark.parametrize(
    ("office", "kind", "pub", "expected"),
    [
        ("US", "B2", None, ("grant", "invention")),
        ("US", "A", "1995-03-07", ("grant", "invention")),
        ("US", "A1", "2006-01-05", ("application", "invention")),
        ("US", "S1", None, ("grant", "design")),
        ("US", "P2", None, ("grant", "plant")),
        ("US", "E", None, ("grant", "reissue")),
        ("CN", "A", None, ("application", "invention")),
        ("CN", "B", None, ("grant", "invention")),
        ("CN", "U", None, ("grant", "utility_model")),
        ("CN", "S", None, ("grant", "design")),
        ("EP", "B1", None, ("grant", "invention")),
        ("WO", "A2", None, ("application", "invention")),
        ("DE", "C2", None, ("grant", "invention")),
        ("DE", "U1", None, ("grant", "utility_model")),
        ("US", None, None, (None, None)),
    ],
)
def test_stage_and_type_from_kind(office: str, kind: str | None, pub: str | None, expected: tuple) -> None:
    assert stage_and_type(office, kind, pub) == expected


@pytest.mark.parametrize(
    ("office", "number", "kind", "expected"),
    [
        # the office written again in front of the number (issue 12: 'WO WO 03068335'), O and 0 confused
        ("WO", "WO 03068335", None, "WO2003068335"),
        ("WO", "WO 2005/029242", "A3", "WO2005029242A3"),
        ("WO", "WO-9705666", "A2", "WO1997005666A2"),
        ("WO", "WO/2006/004337", None, "WO2006004337"),
        ("WO", "W02006/019324", "A1", "WO2006019324A1"),
        ("US", "US 7654321", "B2", "US7654321B2"),
        # WO numbers with a two-digit year (up to 2003) take the four-digit form Lens and PATENTSCOPE use
        ("WO", "92/11830", None, "WO1992011830"),
        ("WO", "00/70690", None, "WO2000070690"),
        ("WO", "0131747", "A1", "WO2001031747A1"),
        ("WO", "95 13889", None, "WO1995013889"),
        ("WO", "20240101836", "A1", "WO2024101836A1"),  # a serial of seven digits
        # a kind code written in front of the number (issue 12: 'JP A 2002-147320')
        ("JP", "A 2002-147320", None, "JP2002147320A"),
        ("JP", "P2001-168205", "A", "JP2001168205A"),
        ("AU", "B-39431/89", None, "AU3943189B"),
        # Japanese numbers by era year: Heisei (H) up to year 11, Showa (S) after, as Lens writes them
        ("JP", "A-10-100907", None, "JPH10100907A"),
        ("JP", "63-123456", "A", "JPS63123456A"),
    ],
)
def test_doc_id_of_written_forms(office: str, number: str, kind: str | None, expected: str) -> None:
    assert doc_id(office, number, kind) == expected


def test_pct_application_cited() -> None:
    """A PCT application is not a publication: it keeps the form of a PCT application number."""
    assert cited_id("WO", "PCT/US01/13682", None) == "PCT/US2001/013682"
    assert cited_id("WO", "PCT/EP2003/011007", "W") == "PCT/EP2003/011007"
    assert cited_id("WO", "WO 03068335", "A1") == "WO2003068335A1"
    assert publication_id("WO PCT/US01/13682") is None


#: cited ids of the canonical form: US letter prefixes, JP era letters, WO with four-digit years, PCT applications
CANONICAL_CITED = (r"^((US(D|PP|RE|H|T|X|AI|RX)?[0-9]+|JP[HS]?[0-9]+|WO(19|20)[0-9]{8}|(?!US|JP|WO)[A-Z]{2}[0-9]+)"
                   r"([A-Z][0-9]?)?|PCT/[A-Z]{2}(19|20)[0-9]{2}/[0-9]{6})$")


def test_cited_ids_of_uspto_xml_can_link(cockpit: Cockpit, shared: Path) -> None:
    """Issue 12: the USPTO weekly excerpts cite 'WO WO 2005/029242 A3', 'JP A-10-100907', 'WO 00/70690' ...;
    their ids were WOWO2005029242A3, JPA10100907, WO70690, which no publication can have."""
    xml = shared / "uspto_xml"
    cockpit.ingest([xml / "weekly_excerpts", xml / "format_samples/xml2014"])
    con = cockpit.store.con
    cited = dict(con.execute("SELECT cited_raw, cited_doc_id FROM citations WHERE NOT npl").fetchall())
    assert len(cited) > 7000
    assert cited["WO WO 2005/029242 A3"] == "WO2005029242A3"
    assert cited["WO WO2004078157"] == "WO2004078157"
    assert cited["WO W02006/019324 A1"] == "WO2006019324A1"
    assert cited["WO 00/70690"] == "WO2000070690"
    assert cited["WO 0131747 A1"] == "WO2001031747A1"
    assert cited["JP A-10-100907"] == "JPH10100907A"
    assert cited["JP P2001-168205 A"] == "JP2001168205A"
    assert cited["AU B-39431/89"] == "AU3943189B"
    odd = sorted(raw for raw, c in cited.items() if not re.match(CANONICAL_CITED, c or ""))
    # what is left is written in forms of its own: Hague design registrations (DM/...), JP design registrations
    # (D...), a German utility-model application (G...), an EP number under country JP
    assert all(re.match(r"^(WO DM/|JP D|DE G|JP EP)", raw) for raw in odd), odd
