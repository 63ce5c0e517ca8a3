"""Canonical publication and application numbers."""

from __future__ import annotations

import pytest

from ipcockpit.model.numbers import (
    application_id,
    canonical_number,
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
