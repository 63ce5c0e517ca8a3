"""IPC/CPC codes: one normal form, the hierarchy above a code, and the ``*`` patterns of concordances.

The normal form is the one WIPO prints: ``H04N 19/176`` (subclass, a space, main group, ``/``,
subgroup), ``H04N 19/00`` for a main group, and ``H04N``, ``H04``, ``H`` above it. Every reader of
a code goes through :func:`normalise_ipc`, so that ``H04N0019176000`` (the 14-character fixed
form), ``H04N19/176``, ``H04N 19/176 (2014.11)``, ``Ｈ０４Ｎ１９／１７６`` and CPC's ``Y02E 10/50``
all compare equal as text.

Concordance patterns (CNIPA SEI 2021, green technology, key digital technology) are matched by
:func:`match_pattern`; the same rule is available as a regular expression over normalised codes
(:func:`pattern_regex`) so that SQL can match with ``regexp_full_match``. The rules:

* ``H04N19/176``: that code only (its subgroups are different codes);
* ``H04N19/176*``: the code and every subgroup whose number starts with its digits
  (``19/1761``, ``19/17612`` ...), i.e. the code and what lies below it in the numbering;
* ``H04N19/00``: the main group's own code only; ``H04N19/00*`` and ``H04N19*``: the main group and
  all its subgroups;
* a pattern without ``/`` (``H04N19``, ``H04N``, ``H04``, ``H``) names a group, subclass, class
  or section, which contains everything below it, with or without ``*``.

A pattern excludes nothing by itself; rules combine patterns with exclusions in
:func:`match_rule`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

LEVELS = ("section", "class", "subclass", "main_group", "subgroup")

_SECTIONS = "ABCDEFGHY"  # Y: CPC's cross-sectional section
_VERSION = re.compile(r"[(\[（【][^)\]）】]*[)\]）】]")  # (2014.11), [2006.01]
_FIXED = re.compile(rf"^([{_SECTIONS}])(\d\d)([A-Z])(\d{{4}})(\d{{6}})$")
_CODE = re.compile(
    rf"^([{_SECTIONS}])(?:(\d\d)(?:([A-Z])(?:[\s_\-]*(\d{{1,4}})(?:\s*/\s*(\d{{1,6}})?)?)?)?)?(?=$|[,;，；]|\s+(?![\d/]))"
)


@dataclass(frozen=True, slots=True)
class IpcCode:
    """A parsed IPC/CPC code; ``str()`` gives the normal form."""

    section: str
    cls: str | None = None  # two digits
    letter: str | None = None  # the subclass letter
    group: int | None = None
    subgroup: str | None = None  # digits as printed, "00" for a main group

    @property
    def level(self) -> str:
        if self.subgroup is not None:
            return "main_group" if self.subgroup == "00" else "subgroup"
        if self.letter:
            return "subclass"
        return "class" if self.cls else "section"

    @property
    def subclass(self) -> str | None:
        return f"{self.section}{self.cls}{self.letter}" if self.letter else None

    @property
    def main_group(self) -> str | None:
        return f"{self.subclass} {self.group}/00" if self.group is not None else None

    def parent(self) -> str | None:
        """The code one level up; a subgroup's parent is its main group (dot levels are not known)."""
        level = self.level
        if level == "section":
            return None
        if level == "class":
            return self.section
        if level == "subclass":
            return f"{self.section}{self.cls}"
        if level == "main_group":
            return self.subclass
        return self.main_group

    def __str__(self) -> str:
        if self.group is not None:
            return f"{self.subclass} {self.group}/{self.subgroup}"
        return f"{self.section}{self.cls or ''}{self.letter or ''}"


def _clean(text: str) -> str:
    s = unicodedata.normalize("NFKC", str(text)).upper().replace("\u3000", " ")
    s = _VERSION.sub(" ", s)
    return s.strip().lstrip(":：").strip()


def _subgroup(digits: str, fixed: bool) -> str:
    """Subgroup digits in normal form: trailing zeros beyond two dropped (``176000`` -> ``176``)."""
    if not fixed and len(digits) == 1:
        digits = "0" + digits  # "19/2" as some spreadsheets write "19/02"
    digits = digits.rstrip("0")
    return digits.ljust(2, "0")


@lru_cache(maxsize=65536)
def parse_ipc(code: str) -> IpcCode:
    """Parse a code in any usual writing; raises ValueError naming the code when it is not one."""
    s = _clean(code)
    compact = re.sub(r"[\s_\-]", "", s)
    m = _FIXED.match(compact)
    if m:
        return IpcCode(m[1], m[2], m[3], int(m[4]), _subgroup(m[5], fixed=True))
    m = _CODE.match(s)
    if not m or not s:
        raise ValueError(
            f"{code!r} is not an IPC/CPC code; write it like 'H04N 19/176', 'H04N19/176' or 'H04N0019176000'"
        )
    section, cls, letter, group, sub = m.groups()
    if group is None:
        return IpcCode(section, cls, letter)
    return IpcCode(section, cls, letter, int(group), _subgroup(sub, fixed=False) if sub else "00")


def normalise_ipc(code: str) -> str:
    """``'H04N0019176000'``, ``'H04N19/176'``, ``'H04N 19/176 (2014.11)'`` ... -> ``'H04N 19/176'``."""
    return str(parse_ipc(code))


def try_normalise_ipc(code: str | None) -> str | None:
    """Like :func:`normalise_ipc` but None for an empty or unreadable code."""
    if not code or not str(code).strip():
        return None
    try:
        return normalise_ipc(code)
    except ValueError:
        return None


def ipc_level(code: str) -> str:
    """``section``, ``class``, ``subclass``, ``main_group`` or ``subgroup``."""
    return parse_ipc(code).level


def ipc_subclass(code: str) -> str | None:
    """``'H04N 19/176'`` -> ``'H04N'``; None for a section or class."""
    return parse_ipc(code).subclass


def ipc_main_group(code: str) -> str | None:
    """``'H04N 19/176'`` -> ``'H04N 19/00'``; None for a code above main-group level."""
    return parse_ipc(code).main_group


def ipc_parent(code: str) -> str | None:
    """The normalised code one level up (a subgroup's parent is its main group)."""
    return parse_ipc(code).parent()


# Patterns ------------------------------------------------------------------------------------
_PATTERN = re.compile(rf"^([{_SECTIONS}])(?:(\d\d)(?:([A-Z])(?:(\d{{1,4}})(?:/(\d{{0,6}}))?)?)?)?(\*?)$")


@lru_cache(maxsize=16384)
def pattern_regex(pattern: str) -> str:
    """A regular expression that fully matches the normalised codes a pattern covers.

    Use it in DuckDB as ``regexp_full_match(code, regex)``. Raises ValueError for a pattern that is
    not a code with an optional trailing ``*``.
    """
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(pattern)).upper())
    m = _PATTERN.match(s)
    if not m:
        raise ValueError(
            f"{pattern!r} is not an IPC pattern; write a code with an optional trailing '*' "
            "such as 'H04N19*', 'G06F9/44' or 'E02D17/20*' (ranges and inner wildcards are not read)"
        )
    section, cls, letter, group, sub, star = m.groups()
    below = r"(?: \d+/\d+)?"
    if cls is None:
        return rf"{section}(?:\d\d(?:[A-Z]{below})?)?"
    if letter is None:
        return rf"{section}{cls}(?:[A-Z]{below})?"
    subclass = f"{section}{cls}{letter}"
    if group is None:
        return rf"{subclass}{below}"
    g = int(group)
    if not sub or (sub.strip("0") == "" and star):  # H04N19, H04N19/, H04N19/00*
        return rf"{subclass} {g}/\d+"
    if star:
        return rf"{subclass} {g}/{sub}\d*"
    return rf"{subclass} {g}/{_subgroup(sub, fixed=False)}"


@lru_cache(maxsize=16384)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern_regex(pattern))


def match_pattern(code: str, pattern: str) -> bool:
    """True when ``code`` (any writing :func:`normalise_ipc` reads) falls under ``pattern``.

    An unreadable code matches nothing; an unreadable pattern raises ValueError.
    """
    rx = _compiled(pattern)
    norm = try_normalise_ipc(code)
    return norm is not None and rx.fullmatch(norm) is not None


def match_rule(code: str, patterns: Iterable[str], exclusions: Iterable[str] = ()) -> bool:
    """True when ``code`` matches one of ``patterns`` and none of ``exclusions``."""
    norm = try_normalise_ipc(code)
    if norm is None:
        return False
    if not any(_compiled(p).fullmatch(norm) for p in patterns):
        return False
    return not any(_compiled(e).fullmatch(norm) for e in exclusions)


def patterns_regex(patterns: Iterable[str]) -> str | None:
    """One regular expression for several patterns (an alternation); None when there are none."""
    parts = [pattern_regex(p) for p in patterns]
    return "|".join(f"(?:{p})" for p in parts) if parts else None


# Rules of a concordance over stored codes -----------------------------------------------------------
_SUBCLASS_KEY = re.compile(r"^([A-HY]\d\d[A-Z])")
R = TypeVar("R")


@lru_cache(maxsize=4096)
def _regex(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


def rule_hits(codes: Iterable[str | None], rules: Iterable[R],
              regexes: Callable[[R], tuple[str | None, str | None]]) -> Iterator[tuple[str, R]]:
    """``(code, rule)`` for each code that fully matches a rule's regex and not its exclusion regex
    (``regexes(rule)``: the ``ipc_regex`` and ``exclusion_regex`` of ref_ipc_concordance; a rule without a regex
    matches nothing).

    Matched in Python, once per code given (give distinct codes): DuckDB compiles a regular expression read from a
    column again for every row it meets, which took ~90 % of the screening's query on a gazette week. Python's
    ``re`` reads the expressions of :func:`pattern_regex` and :func:`patterns_regex` as DuckDB's RE2 does. A rule
    whose regex begins with a subclass (``G06F``) is tried on the codes of that subclass only."""
    by_sub: dict[str, list[tuple[R, re.Pattern[str], re.Pattern[str] | None]]] = {}
    for rule in rules:
        regex, exclusion = regexes(rule)
        if not regex:
            continue
        m = _SUBCLASS_KEY.match(regex)
        by_sub.setdefault(m.group(1) if m else "", []).append(
            (rule, _regex(regex), _regex(exclusion) if exclusion else None))
    anywhere = by_sub.get("", [])
    for code in codes:
        if not code:
            continue
        for rule, rx, ex in (*by_sub.get(code[:4], ()), *anywhere):
            if rx.fullmatch(code) and not (ex is not None and ex.fullmatch(code)):
                yield code, rule


# Locarno ---------------------------------------------------------------------------------------
_LOCARNO = re.compile(r"^(\d{1,2})\s*[-.\s/]\s*(\d{1,2})$")


def normalise_locarno(code: str) -> str:
    """``'14-3'``, ``'14.03'``, ``'1403'`` -> ``'14-03'``; raises ValueError when not a class-subclass."""
    s = unicodedata.normalize("NFKC", str(code)).strip()
    if re.fullmatch(r"\d{4}", s):
        s = f"{s[:2]}-{s[2:]}"
    m = _LOCARNO.match(s)
    if not m:
        raise ValueError(f"{code!r} is not a Locarno class-subclass; write it like '14-03'")
    return f"{int(m[1]):02d}-{int(m[2]):02d}"
