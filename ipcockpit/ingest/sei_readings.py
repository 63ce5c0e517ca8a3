"""What the keyword column of each SEI 2021 rule is: the reviewed table ``sei2021_readings.csv``.

The column of a rule of 《战略性新兴产业分类与国际专利分类参照关系表（2021）》 holds one of:

* ``product``: the industry's products and services (the 2018 SEI product list). Informative, not a
  condition; ``strict_sei`` counts such a rule only when one of its words occurs in the text.
* ``keyword_condition``: the rule applies only when the text mentions the condition
  (``平行链、中继链、以太币等区块链相关关键词``). ``terms`` are the words that show it.
* ``exclusion``: the rule does not apply to the excluded subject (``不包括航天相关设备制造``).
  ``terms`` are the words that show the excluded subject.
* ``ipc_only``: no column; the source says the IPC alone decides.

The table has one row per rule of the transcription (``rule_id``, ``branch_name``, ``reading``,
``terms`` separated by ``|``, ``why``, and ``column``: the column's text, so that a rule with the same
text in another table, e.g. the official one as ``sei-table-csv``, gets the same reading). A column the
table does not hold gets :func:`propose`'s reading, without terms.

Terms are matched case-insensitively. A term of ASCII characters is a whole word (``car`` is not in
``carbon``); a trailing ``*`` lets the word go on (``epilep*``: epilepsy, epileptic). Any other term
matches anywhere in the text (``区块链``).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

READINGS_FILE = Path(__file__).with_name("sei2021_readings.csv")
READINGS = ("product", "keyword_condition", "exclusion", "ipc_only")
#: what a term may hold: words, digits, CJK, spaces, hyphens, and a trailing ``*`` (no regex syntax)
TERM = re.compile(r"^[\w\u3400-\u9fff][\w\u3400-\u9fff \-]*\*?$")


@dataclass(frozen=True)
class Reading:
    reading: str
    terms: tuple[str, ...] = ()
    why: str = ""


def column_text(keywords: list[str] | str | None) -> str:
    """The column as one string, as the table's ``column`` holds it (parts joined by ``；``, no spaces)."""
    if keywords is None:
        return ""
    parts = [keywords] if isinstance(keywords, str) else list(keywords)
    return "；".join(re.sub(r"\s+", "", p) for p in parts if p and p.strip())


def propose(column: str) -> str:
    """A first reading of a column from its wording; the reviewed table decides where it has the column."""
    if not column:
        return "ipc_only"
    if column.startswith(("不包括", "不包含")):
        return "exclusion"
    if column.endswith("关键词"):
        return "keyword_condition"
    return "product"


def split_terms(value: str) -> tuple[str, ...]:
    """``'区块链|blockchain*'`` -> the terms; raises ValueError for a term that is not a plain word."""
    terms = tuple(t.strip().lower() for t in re.split(r"[|｜;；]", value or "") if t.strip())
    for t in terms:
        if not TERM.match(t):
            raise ValueError(f"condition term {t!r}: write words, digits, spaces or hyphens, with an optional "
                             "trailing '*' (no other signs)")
    return terms


@lru_cache(maxsize=1)
def reviewed() -> dict[str, dict[str, str]]:
    """The reviewed table as read, by rule id."""
    with READINGS_FILE.open(encoding="utf-8", newline="") as fh:
        return {row["rule_id"]: row for row in csv.DictReader(fh)}


@lru_cache(maxsize=1)
def _by_column() -> dict[str, Reading]:
    return {column_text(row["column"]): Reading(row["reading"], split_terms(row["terms"]), row["why"])
            for row in reviewed().values() if row["column"]}


def reading_for(keywords: list[str] | str | None) -> Reading:
    """The reading of a rule's column: the reviewed row of the same column text, else a proposal without terms.

    The column text decides rather than the rule id, so a table that numbers its rules differently (the
    official one) gets the reading of the same text.
    """
    text = column_text(keywords)
    if not text:
        return Reading("ipc_only", (), "no keyword column: the IPC alone decides")
    found = _by_column().get(text)
    return found or Reading(propose(text), (), "not in the reviewed table: proposed from the wording")


# the docs table ------------------------------------------------------------------------------
DOC_START = ("<!-- sei-readings:start "
             "(scripts/write_sei_readings_doc.py writes this table from sei2021_readings.csv) -->")
DOC_END = "<!-- sei-readings:end -->"
_SHORT = 40


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table() -> str:
    """Every rule of the reviewed table and its reading, as the Markdown that docs/value.md holds."""
    rows = list(reviewed().values())
    counts = {r: sum(row["reading"] == r for row in rows) for r in READINGS}
    lines = [DOC_START, "",
             f"{len(rows)} rules: " + ", ".join(f"{counts[r]} `{r}`" for r in READINGS) + ".", "",
             "| rule | branch | reading | column (product columns cut at 40 characters) | terms | why |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        column = row["column"]
        if row["reading"] == "product" and len(column) > _SHORT:
            column = column[:_SHORT] + "…"
        terms = ", ".join(f"`{t}`" for t in split_terms(row["terms"]))
        lines.append(f"| {row['rule_id']} | {row['branch_name']} | {row['reading']} | {_cell(column)} | "
                     f"{terms} | {_cell(row['why'])} |")
    lines += ["", DOC_END]
    return "\n".join(lines)
