"""The SEI branches of IPC codes (战略性新兴产业分类与国际专利分类参照关系表, ``ref_ipc_concordance``).

Rule: a code is in a branch when it fully matches a rule's IPC pattern (``ipc_regex``) and none of the rule's
exclusions (``exclusion_regex``): the match the screening's SQL makes (:mod:`ipcockpit.value.conditions`).
Whether the rule's keyword column lets it count (a keyword condition, an exclusion by subject) needs the text:
``reading`` says which rules ask for it.

The patterns are the plain regular expressions of :func:`ipcockpit.model.classes.pattern_regex` (literals,
``\\d``, ``[A-Z]``, optional non-capturing groups), which Python's ``re`` reads as DuckDB's RE2 does. They are
matched here, once per distinct code against the rules of its subclass, because DuckDB compiles a regular
expression that is a column's value again for every row (25 s for the 212,000 IPC rows of the shared data,
0.2 s here).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from ipcockpit.model.classes import rule_hits

SCHEME = "sei2021"
SCHEMA = pa.schema([("code", pa.string()), ("branch", pa.string()), ("reading", pa.string()),
                    ("industry", pa.string())])


def sei_codes(con: duckdb.DuckDBPyConnection, codes_sql: str, scheme: str = SCHEME) -> pa.Table:
    """``code, branch, reading, industry`` for each code of ``codes_sql`` (a SELECT of one column of IPC codes)
    and each branch whose rule it matches."""
    rules = con.execute("SELECT code, reading, parent_code, ipc_regex, exclusion_regex FROM ref_ipc_concordance "
                        "WHERE scheme = ? AND coalesce(class_scheme, 'IPC') = 'IPC' AND ipc_regex IS NOT NULL",
                        [scheme]).fetchall()
    codes = [c for (c,) in con.execute(f"SELECT DISTINCT * FROM ({codes_sql}) WHERE 1 = 1").fetchall()]
    out: dict[str, list[str | None]] = {name: [] for name in SCHEMA.names}
    seen: set[tuple[str, str, str | None]] = set()
    for code, (branch, reading, industry, _, _) in rule_hits(codes, rules, lambda r: (r[3], r[4])):
        if (code, branch, reading) in seen:
            continue
        seen.add((code, branch, reading))
        for name, value in zip(SCHEMA.names, (code, branch, reading, industry), strict=True):
            out[name].append(value)
    return pa.table(out, schema=SCHEMA)


def industry_codes(con: duckdb.DuckDBPyConnection, industry: str, scheme: str = SCHEME) -> list[str]:
    """The stored IPC codes that a rule of the SEI industry, branch or rule ``industry`` (``1``, ``1.2``) covers and
    does not exclude, each once."""
    rules = con.execute(
        "SELECT ipc_regex, exclusion_regex FROM ref_ipc_concordance WHERE scheme = ? AND "
        "coalesce(class_scheme, 'IPC') = 'IPC' AND (code = ? OR parent_code = ? OR starts_with(code, ? || '.'))",
        [scheme, industry, industry, industry]).fetchall()
    codes = [r[0] for r in con.execute("SELECT DISTINCT code FROM classifications WHERE scheme = 'IPC' "
                                       "AND code IS NOT NULL").fetchall()]
    return list(dict.fromkeys(code for code, _ in rule_hits(codes, rules, lambda r: r)))
