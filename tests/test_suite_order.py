"""The order `make test` hands modules to its workers in (tests/conftest.py, docs/testing.md): every name of
LONGEST_FIRST is a module of the suite, once, and the Makefile keeps that order (xdist would otherwise sort the
modules by their number of tests)."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import LONGEST_FIRST

TESTS = Path(__file__).resolve().parent


def test_the_longest_modules_are_modules_of_the_suite() -> None:
    modules = {p.name for p in TESTS.glob("test_*.py")}
    assert sorted(set(LONGEST_FIRST) - modules) == []
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST) >= 10


def test_make_test_keeps_the_collection_order() -> None:
    makefile = (TESTS.parent / "Makefile").read_text(encoding="utf-8")
    [xdist] = re.findall(r"^XDIST := (.*)$", makefile, re.M)
    assert "--dist loadfile" in xdist and "--no-loadscope-reorder" in xdist
    assert "$(XDIST)" in makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
