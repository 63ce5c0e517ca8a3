"""Summaries of a screening result for the screening page: counts by answer and the value-index spread.

Input is the list :func:`ipcockpit.value.screen.screen` returns; output is plain dicts. Also the SEI
industries and branches a store's concordance holds, for the page's industry filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ipcockpit.store import Store
from ipcockpit.value.conditions import CONDITIONS

ANSWERS = {True: "yes", False: "no", None: "unknown"}
#: the rows of the per-condition counts: in force, then the five CNIPA conditions
CONDITION_ROWS = ("in_force", *CONDITIONS)
BIN_WIDTH = 10


def _answer(value: bool | None) -> str:
    return ANSWERS[value]


def screen_summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Counts of a screening result: high value yes/no/unknown, each condition met/not met/unknown
    (numbers that name no invention grant are left out of both), and value-index bins of width 10
    (``from`` <= index < ``to``; 100 falls in the last bin) split by the high-value answer."""
    screened = [r for r in rows if r.get("found", True) and "documents" not in r]
    high = {a: 0 for a in ANSWERS.values()}
    for r in screened:
        high[_answer(r["high_value"])] += 1
    conditions = []
    for name in CONDITION_ROWS:
        counts = {a: 0 for a in ANSWERS.values()}
        for r in screened:
            met = r["in_force"] if name == "in_force" else r["conditions"][name]["met"]
            counts[_answer(met)] += 1
        conditions.append({"condition": name, **counts})
    bins = [{"from": lo, "to": lo + BIN_WIDTH, **{a: 0 for a in ANSWERS.values()}}
            for lo in range(0, 100, BIN_WIDTH)]
    no_index = 0
    for r in screened:
        vi = r.get("value_index")
        if vi is None:
            no_index += 1
            continue
        slot = min(int(vi // BIN_WIDTH), len(bins) - 1)
        bins[slot][_answer(r["high_value"])] += 1
    return {"screened": len(screened), "not_screened": len(rows) - len(screened), "high_value": high,
            "conditions": conditions, "value_index_bins": bins, "no_value_index": no_index}


def sei_industries(store: Store, scheme: str = "sei2021") -> list[dict[str, Any]]:
    """The industries (``1``) and branches (``1.2``) of a loaded SEI concordance, in code order."""
    rows = store.query(
        "SELECT DISTINCT parent_code AS code, parent_name AS name, 1 AS level FROM ref_ipc_concordance "
        "WHERE scheme = ? AND parent_code IS NOT NULL "
        "UNION SELECT DISTINCT code, name, 2 AS level FROM ref_ipc_concordance WHERE scheme = ? AND code IS NOT NULL",
        [scheme, scheme])
    return sorted(rows, key=lambda r: ([(0, int(p), "") if p.isdigit() else (1, 0, p) for p in r["code"].split(".")],
                                       r["level"]))
