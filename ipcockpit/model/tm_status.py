"""A mark's normalised status, from the source's status code or text: one function, :func:`normalise_status`.

The rule (docs/model.md, "Trademark status"), tried in this order; the first that applies gives the status and
its name, kept in ``trademarks.status_rule``:

1. ``uspto-table``: a USPTO status code found in the USPTO's status code table (``status_codes.csv``: code,
   description, Live/Dead indicator). The indicator decides: ``Live/Registered`` and ``Live`` -> registered;
   ``Live/Pending`` -> pending, or opposed while the description says an opposition is pending or filed
   (OPPOSITION PENDING, OPPOSITION PAPERS FILED, EXTENSION OF TIME TO FILE OPPOSITION);
   ``Dead/Abandoned`` -> abandoned; ``Dead/Cancelled`` -> cancelled; ``Dead/Expired`` -> expired; plain ``Dead``
   -> refused when the description says REJECTED or SANCTIONS, else abandoned; ``Indifferent/Cancelled``
   (cancelled and restored to pendency) -> pending; ``Indifferent`` -> unknown.
2. ``text``: the status text, Chinese or English, matched against :data:`TEXT_RULES` in order (the first
   keyword found wins: 无效宣告 before 注册, an opposition before a publication; 驳回复审 (a refusal under review)
   is refused; 商标无效 (中国商标网's word for a mark no longer in force, cause not said) is cancelled).
3. ``none``: nothing known -> ``unknown``, with the reason in the record's notes.

A code that no table knows is kept as it is (``status_code``) and the text decides; the reason is returned.
The USPTO tables are not shipped with ipcockpit (../shared/data/MANIFEST.md: licence not stated, ship "no"): they
are read at run time from the folder that :func:`load_code_tables` is given.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

#: (keywords, status) tried in order against a status text (upper-cased for Latin text)
TEXT_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("无效宣告", "宣告无效", "INVALIDAT"), "invalidated"),
    (("不予注册复审", "异议", "OPPOSITION PENDING", "OPPOSED"), "opposed"),
    (("期满未续展", "已失效", "过期", "EXPIRED"), "expired"),
    (("撤销", "注销", "撤三", "商标无效", "CANCEL"), "cancelled"),
    (("驳回", "不予注册", "不予受理", "REFUS", "REJECT"), "refused"),
    (("撤回", "放弃", "视为放弃", "ABANDON", "WITHDRAWN"), "abandoned"),
    (("注册商标", "已注册", "商标已注册", "注册公告", "续展", "REGISTERED", "RENEWED"), "registered"),
    (("申请", "受理", "审查", "初审公告", "初步审定", "等待", "PENDING", "PUBLISHED", "ALLOWANCE", "NEW APPLICATION"),
     "pending"),
)
_OPPOSITION = ("OPPOSITION PENDING", "OPPOSITION PAPERS FILED", "EXTENSION OF TIME TO FILE OPPOSITION")
_INDICATORS = {"Live/Registered": "registered", "Live": "registered", "Live/Pending": "pending",
               "Dead/Abandoned": "abandoned", "Dead/Cancelled": "cancelled", "Dead/Expired": "expired",
               "Indifferent/Cancelled": "pending", "Indifferent": "unknown"}


@dataclass
class CodeTables:
    """The USPTO code tables a reader needs: status code -> (description, indicator); event code (the four
    characters of ``event_cd`` and the ``event_type_cd`` letter, as ST.96 writes them: ``MAB6O``) -> description."""

    folder: str | None = None
    status: dict[str, tuple[str, str]] = field(default_factory=dict)
    events: dict[str, str] = field(default_factory=dict)


def load_code_tables(folder: str | Path | None) -> CodeTables:
    """The tables of a folder holding ``status_codes.csv`` and ``event_codes.csv`` (empty tables for None or a
    folder without them)."""
    tables = CodeTables(str(folder) if folder else None)
    if folder is None:
        return tables
    base = Path(folder)
    if (base / "status_codes.csv").is_file():
        with open(base / "status_codes.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                tables.status[row["code"].strip()] = (row["description"].strip(), row["live_dead_indicator"].strip())
    if (base / "event_codes.csv").is_file():
        with open(base / "event_codes.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                tables.events[row["code"].strip() + row["event_type_cd"].strip()] = row["description"].strip()
    return tables


def normalise_status(code: str | None, text: str | None, tables: CodeTables | None = None,
                     ) -> tuple[str, str, str | None]:
    """(status, rule, reason): the normalised status of a mark (one of
    :data:`ipcockpit.model.trademarks.STATUSES`), the rule that gave it (``uspto-table``, ``text``, ``none``)
    and, when the code or text was not understood, why."""
    reason = None
    if code and tables is not None and tables.status:
        known = tables.status.get(code.strip())
        if known is not None:
            description, indicator = known
            return _by_indicator(description, indicator), "uspto-table", None
        reason = f"status code {code!r} is not in the USPTO status code table"
    elif code and (tables is None or not tables.status):
        reason = f"no status code table to read code {code!r}"
    if text and text.strip():
        found = text_status(text)
        if found is not None:
            return found, "text", reason
        reason = (reason + "; " if reason else "") + f"no rule knows the status text {text.strip()[:80]!r}"
    return "unknown", "none", reason or "no status code or text"


def text_status(text: str) -> str | None:
    """The status a text says by :data:`TEXT_RULES`, or None."""
    folded = text.upper()
    for words, status in TEXT_RULES:
        if any(w in folded for w in words):
            return status
    return None


def _by_indicator(description: str, indicator: str) -> str:
    if indicator == "Live/Pending" and any(w in description.upper() for w in _OPPOSITION):
        return "opposed"
    if indicator == "Dead":
        return "refused" if any(w in description.upper() for w in ("REJECTED", "SANCTIONS")) else "abandoned"
    return _INDICATORS.get(indicator, "unknown")
