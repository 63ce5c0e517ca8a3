"""The technology decomposition tree (技术分解表) of an industry, the analyst's edits of it, and the analyst's marks.

A tree is stored in ``nav_branches`` (:mod:`ipcockpit.navigation.store`) under its id (the industry id). Until
the analyst edits it, a tree is its default: the industry (root) -> the SEI 2021 branches its preset names
(``5.1``, ``5.2`` ...) -> the rules of each branch (``5.2#1``: the concordance's own subdivision, named by the
products or condition it lists), plus one branch per further part of the preset (its IPC/CPC classes, its
keywords). Each branch carries the parts that put a document in it (``sei``, ``ipc``, ``cpc``, ``keywords``,
read as in :mod:`ipcockpit.navigation.industry`).

Every change (add, rename, move, delete, parts) is written to ``nav_branch_edits`` with the branch before and
after, the analyst and the time. Marks (``nav_marks``) are the analyst's say: a document in a branch (the
tagger's examples, :func:`examples`), or in or out of the industry (:func:`industry_marks`, the sample of
:func:`ipcockpit.navigation.industry.check`).

:func:`assign` gives the members of ``nav_members`` their branches: every deepest branch whose parts match the
document (one row per branch and reason; a document of two branches is in both), the analyst's marks before
the parts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from ipcockpit.errors import IPCockpitError
from ipcockpit.navigation import industry as ind

#: English names of the SEI 2021 industries and branches (the concordance gives the Chinese ones)
SEI_EN: dict[str, str] = {
    "1": "New-generation information technology", "1.1": "Next-generation information networks",
    "1.2": "Core electronics", "1.3": "New software and information technology services",
    "1.4": "Internet, cloud computing and big data services", "1.5": "Artificial intelligence",
    "2": "High-end equipment manufacturing", "2.1": "Intelligent manufacturing equipment",
    "2.2": "Aviation equipment", "2.3": "Satellites and applications", "2.4": "Rail transport equipment",
    "2.5": "Marine engineering equipment", "3": "New materials", "4": "Biotechnology",
    "4.1": "Biomedicine", "4.2": "Biomedical engineering", "4.3": "Bio-agriculture", "4.4": "Bioenergy",
    "4.5": "Other biotechnology", "5": "New energy vehicles", "5.1": "New energy vehicle manufacturing",
    "5.2": "New energy vehicle devices and parts", "5.3": "New energy vehicle facilities",
    "5.4": "New energy vehicle services", "6": "New energy", "7": "Energy saving and environmental protection",
    "8": "Digital creative industries", "8.1": "Digital creative equipment", "8.2": "Digital cultural creation",
    "9": "Related services",
}
PART_KEYS = ("sei", "ipc", "cpc", "keywords")


class BranchError(IPCockpitError, ValueError):
    """A tree edit that cannot be made (an unknown branch, a move under its own descendant ...)."""


@dataclass
class Branch:
    id: str
    parent: str | None
    name_zh: str
    name_en: str | None = None
    parts: dict[str, list[str]] = field(default_factory=dict)
    position: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _rule_name(keywords: list[str] | None, patterns: list[str]) -> str:
    first = next((k for k in (keywords or []) if k), "")
    if first:
        head = first.split("；")[0].strip()
        return head if len(head) <= 40 else head[:39] + "…"
    return "IPC " + ", ".join(patterns[:3]) + ("…" if len(patterns) > 3 else "")


def default_tree(con: duckdb.DuckDBPyConnection, industry_id: str) -> list[Branch]:
    """The default tree of a preset (module text)."""
    if industry_id not in ind.PRESETS:
        raise BranchError(f"no preset industry '{industry_id}'; presets: {', '.join(ind.PRESETS)}")
    d = ind.PRESETS[industry_id]
    out = [Branch(d.id, None, d.name_zh, d.name_en, {})]
    rows = con.execute(
        "SELECT parent_code, code, any_value(name), rule_id, any_value(keywords), list(ipc_pattern ORDER BY "
        "ipc_pattern) FROM ref_ipc_concordance WHERE scheme = ? AND coalesce(class_scheme, 'IPC') = 'IPC' "
        "GROUP BY parent_code, code, rule_id", [ind.SEI_SCHEME]).fetchall()

    def key(code: str) -> tuple[int, ...]:
        return tuple(int(x) for x in code.replace("#", ".").split("."))

    for part in d.sei_branches:
        branches = sorted({(r[1], r[2]) for r in rows if part in (r[0], r[1])}, key=lambda x: key(x[0]))
        for pos, (code, name) in enumerate(branches):
            out.append(Branch(code, d.id, name, SEI_EN.get(code), {"sei": [code]}, pos))
            rules = sorted((r for r in rows if r[1] == code and (part in (r[0], r[1]))), key=lambda r: key(r[3]))
            for rpos, r in enumerate(rules):
                out.append(Branch(r[3], code, _rule_name(r[4], r[5]), f"SEI rule {r[3]}", {"sei": [r[3]]}, rpos))
    pos = len(d.sei_branches)
    if d.ipc or d.cpc:
        parts = {k: v for k, v in (("ipc", d.ipc), ("cpc", d.cpc)) if v}
        out.append(Branch(f"{d.id}.classes", d.id, "其他分类号：" + "、".join(d.ipc + d.cpc),
                          "Further classes: " + ", ".join(d.ipc + d.cpc), parts, pos))
        pos += 1
    if d.keywords:
        out.append(Branch(f"{d.id}.keywords", d.id, "关键词", "Keywords", {"keywords": list(d.keywords)}, pos))
    return out


# the stored tree -----------------------------------------------------------------------------------------------
def _audit(con: duckdb.DuckDBPyConnection, tree_id: str, branch: str | None, action: str,
           before: Branch | None, after: Branch | None, analyst: str | None) -> None:
    con.execute("INSERT INTO nav_branch_edits (tree, branch, action, before, after, analyst, edited_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [tree_id, branch, action, json.dumps(before.to_dict(), ensure_ascii=False) if before else None,
                 json.dumps(after.to_dict(), ensure_ascii=False) if after else None, analyst, _now()])


def _write(con: duckdb.DuckDBPyConnection, tree_id: str, b: Branch) -> None:
    con.execute("INSERT OR REPLACE INTO nav_branches (tree, id, parent, name_zh, name_en, parts, position) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [tree_id, b.id, b.parent, b.name_zh, b.name_en, json.dumps(b.parts, ensure_ascii=False),
                 b.position])


def tree(con: duckdb.DuckDBPyConnection, tree_id: str, analyst: str | None = None) -> list[Branch]:
    """The branches of ``tree_id`` (parents before children, siblings by position); a preset's default tree is
    stored at its first use (edit ``create``)."""
    rows = con.execute("SELECT id, parent, name_zh, name_en, parts, position FROM nav_branches WHERE tree = ?",
                       [tree_id]).fetchall()
    if not rows:
        branches = default_tree(con, tree_id)
        for b in branches:
            _write(con, tree_id, b)
        _audit(con, tree_id, None, "create", None, None, analyst)
        return branches
    by_parent: dict[str | None, list[Branch]] = defaultdict(list)
    for r in rows:
        by_parent[r[1]].append(Branch(r[0], r[1], r[2], r[3], json.loads(r[4]) if r[4] else {}, r[5]))
    out: list[Branch] = []

    def walk(parent: str | None) -> None:
        for b in sorted(by_parent.get(parent, []), key=lambda x: (x.position, x.id)):
            out.append(b)
            walk(b.id)

    walk(None)
    return out


def _get(con: duckdb.DuckDBPyConnection, tree_id: str, branch_id: str) -> tuple[list[Branch], Branch]:
    branches = tree(con, tree_id)
    for b in branches:
        if b.id == branch_id:
            return branches, b
    raise BranchError(f"tree '{tree_id}' has no branch '{branch_id}'")


def _check_parts(parts: dict[str, list[str]]) -> dict[str, list[str]]:
    unknown = set(parts) - set(PART_KEYS)
    if unknown:
        raise BranchError(f"unknown branch parts {sorted(unknown)}; a branch's parts are {', '.join(PART_KEYS)}")
    return {k: [str(x) for x in v] for k, v in parts.items() if v}


def add_branch(con: duckdb.DuckDBPyConnection, tree_id: str, branch_id: str, parent: str, name_zh: str,
               name_en: str | None = None, parts: dict[str, list[str]] | None = None,
               analyst: str | None = None) -> Branch:
    """A new branch under ``parent`` (last among its siblings)."""
    branches, _ = _get(con, tree_id, parent)
    if any(b.id == branch_id for b in branches):
        raise BranchError(f"tree '{tree_id}' already has a branch '{branch_id}'")
    if not branch_id.strip() or not name_zh.strip():
        raise BranchError("a branch needs an id and a Chinese name")
    b = Branch(branch_id, parent, name_zh, name_en, _check_parts(parts or {}),
               1 + max((x.position for x in branches if x.parent == parent), default=-1))
    _write(con, tree_id, b)
    _audit(con, tree_id, branch_id, "add", None, b, analyst)
    return b


def rename_branch(con: duckdb.DuckDBPyConnection, tree_id: str, branch_id: str, name_zh: str,
                  name_en: str | None = None, analyst: str | None = None) -> Branch:
    _, b = _get(con, tree_id, branch_id)
    after = Branch(b.id, b.parent, name_zh, name_en if name_en is not None else b.name_en, b.parts, b.position)
    _write(con, tree_id, after)
    _audit(con, tree_id, branch_id, "rename", b, after, analyst)
    return after


def set_parts(con: duckdb.DuckDBPyConnection, tree_id: str, branch_id: str, parts: dict[str, list[str]],
              analyst: str | None = None) -> Branch:
    _, b = _get(con, tree_id, branch_id)
    after = Branch(b.id, b.parent, b.name_zh, b.name_en, _check_parts(parts), b.position)
    _write(con, tree_id, after)
    _audit(con, tree_id, branch_id, "parts", b, after, analyst)
    return after


def _below(branches: list[Branch], branch_id: str) -> list[str]:
    """``branch_id`` and every branch under it."""
    out, todo = [], [branch_id]
    while todo:
        x = todo.pop()
        out.append(x)
        todo += [b.id for b in branches if b.parent == x]
    return out


def move_branch(con: duckdb.DuckDBPyConnection, tree_id: str, branch_id: str, new_parent: str,
                analyst: str | None = None) -> Branch:
    branches, b = _get(con, tree_id, branch_id)
    if b.parent is None:
        raise BranchError(f"'{branch_id}' is the root of tree '{tree_id}'; it cannot move")
    _get(con, tree_id, new_parent)
    if new_parent in _below(branches, branch_id):
        raise BranchError(f"'{new_parent}' lies under '{branch_id}'; a branch cannot move under itself")
    after = Branch(b.id, new_parent, b.name_zh, b.name_en, b.parts,
                   1 + max((x.position for x in branches if x.parent == new_parent), default=-1))
    _write(con, tree_id, after)
    _audit(con, tree_id, branch_id, "move", b, after, analyst)
    return after


def delete_branch(con: duckdb.DuckDBPyConnection, tree_id: str, branch_id: str, analyst: str | None = None) -> int:
    """Delete a branch and everything under it (each deletion audited; the marks of those branches stay, kept
    for the record, and no longer count as examples). Returns the number of branches deleted."""
    branches, b = _get(con, tree_id, branch_id)
    if b.parent is None:
        raise BranchError(f"'{branch_id}' is the root of tree '{tree_id}'; delete its branches instead")
    gone = _below(branches, branch_id)
    for x in branches:
        if x.id in gone:
            con.execute("DELETE FROM nav_branches WHERE tree = ? AND id = ?", [tree_id, x.id])
            _audit(con, tree_id, x.id, "delete", x, None, analyst)
    return len(gone)


def edits(con: duckdb.DuckDBPyConnection, tree_id: str) -> list[dict[str, Any]]:
    """The audit of a tree, oldest first."""
    cols = ["id", "branch", "action", "before", "after", "analyst", "at"]
    return [dict(zip(cols, r, strict=True)) for r in con.execute(
        "SELECT id, branch, action, before, after, analyst, edited_at FROM nav_branch_edits WHERE tree = ? "
        "ORDER BY id",
        [tree_id]).fetchall()]


# marks ----------------------------------------------------------------------------------------------------------
def mark(con: duckdb.DuckDBPyConnection, tree_id: str, doc_id: str, branch: str, analyst: str | None = None) -> None:
    """The analyst says ``doc_id`` belongs to ``branch`` (a tagger example; marked twice, kept once)."""
    _get(con, tree_id, branch)
    if not con.execute("SELECT count(*) FROM documents WHERE doc_id = ?", [doc_id]).fetchall()[0][0]:
        raise BranchError(f"no document '{doc_id}' in the store")
    con.execute("DELETE FROM nav_marks WHERE tree = ? AND doc_id = ? AND branch = ? AND kind = 'branch'",
                [tree_id, doc_id, branch])
    con.execute("INSERT INTO nav_marks (tree, doc_id, branch, kind, relevant, analyst, marked_at) "
                "VALUES (?, ?, ?, 'branch', true, ?, ?)", [tree_id, doc_id, branch, analyst, _now()])


def unmark(con: duckdb.DuckDBPyConnection, tree_id: str, doc_id: str, branch: str) -> None:
    con.execute("DELETE FROM nav_marks WHERE tree = ? AND doc_id = ? AND branch = ? AND kind = 'branch'",
                [tree_id, doc_id, branch])


def marks(con: duckdb.DuckDBPyConnection, tree_id: str) -> list[dict[str, Any]]:
    """The branch marks of a tree whose branch still exists: ``doc_id, branch, analyst, at``."""
    cols = ["doc_id", "branch", "analyst", "at"]
    return [dict(zip(cols, r, strict=True)) for r in con.execute(
        "SELECT m.doc_id, m.branch, m.analyst, m.marked_at FROM nav_marks m JOIN nav_branches b "
        "ON b.tree = m.tree AND b.id = m.branch WHERE m.tree = ? AND m.kind = 'branch' "
        "ORDER BY m.marked_at, m.doc_id",
        [tree_id]).fetchall()]


def examples(con: duckdb.DuckDBPyConnection, tree_id: str) -> list[tuple[str, str]]:
    """The tagger's examples from the marks: ``(text, branch)``, the text the document's title, abstract and
    claims (:func:`ipcockpit.navigation.industry.text_sql`), once per branch it is marked with."""
    rows = marks(con, tree_id)
    if not rows:
        return []
    con.register("_nav_mark_ids", pa.table({"doc_id": list({r["doc_id"] for r in rows})}))
    try:
        texts = dict(con.execute(ind.text_sql("SELECT doc_id FROM _nav_mark_ids")).fetchall())
    finally:
        con.unregister("_nav_mark_ids")
    return [(texts[r["doc_id"]], r["branch"]) for r in rows if r["doc_id"] in texts]


def mark_industry(con: duckdb.DuckDBPyConnection, industry_id: str, doc_id: str, relevant: bool,
                  analyst: str | None = None) -> None:
    """The analyst says whether ``doc_id`` belongs to the industry (the last say counts)."""
    con.execute("DELETE FROM nav_marks WHERE tree = ? AND doc_id = ? AND kind = 'industry'", [industry_id, doc_id])
    con.execute("INSERT INTO nav_marks (tree, doc_id, branch, kind, relevant, analyst, marked_at) "
                "VALUES (?, ?, NULL, 'industry', ?, ?, ?)", [industry_id, doc_id, bool(relevant), analyst, _now()])


def industry_marks(con: duckdb.DuckDBPyConnection, industry_id: str) -> dict[str, bool]:
    """``doc_id -> belongs`` for :func:`ipcockpit.navigation.industry.check`."""
    return dict(con.execute("SELECT doc_id, relevant FROM nav_marks WHERE tree = ? AND kind = 'industry'",
                            [industry_id]).fetchall())


# branches of the members ----------------------------------------------------------------------------------------
def assign(con: duckdb.DuckDBPyConnection, tree_id: str, branches: list[Branch],
           table: str = ind.MEMBERS) -> dict[str, int]:
    """Fill ``branch`` of ``table`` (module text) and return the documents per branch (``None`` key: none)."""
    parent = {b.id: b.parent for b in branches}
    hits: dict[str, set[str]] = defaultdict(set)
    by_part: dict[tuple[str, str], list[str]] = defaultdict(list)
    for b in branches:
        for k in PART_KEYS:
            for item in b.parts.get(k, []):
                by_part[(k, item)].append(b.id)
    members = f"SELECT DISTINCT doc_id FROM {table}"
    sei = sorted({i for (k, i) in by_part if k == "sei"})
    if sei:
        ind.sei_hits(con, sei)
        for doc, part in con.execute(f"SELECT doc_id, part FROM _nav_sei WHERE doc_id IN ({members})").fetchall():
            hits[doc].update(by_part[("sei", part)])
    for group in ("ipc", "cpc"):
        pats = sorted({i for (k, i) in by_part if k == group})
        if pats:
            codes = [r[0] for r in con.execute(f"SELECT DISTINCT code FROM classifications WHERE scheme = ? AND "
                                               f"doc_id IN ({members})", [group.upper()]).fetchall()]
            pairs = ind.pattern_codes(codes, pats)
            con.register("_nav_assign_codes", pa.table({"code": [c for c, _ in pairs], "p": [p for _, p in pairs]},
                                                       schema=pa.schema([("code", pa.string()), ("p", pa.string())])))
            try:
                rows = con.execute(f"SELECT DISTINCT c.doc_id, x.p FROM _nav_assign_codes x JOIN classifications c "
                                   f"ON c.code = x.code AND c.scheme = ? WHERE c.doc_id IN ({members})",
                                   [group.upper()]).fetchall()
            finally:
                con.unregister("_nav_assign_codes")
            for doc, p in rows:
                hits[doc].update(by_part[(group, p)])
    words = sorted({i for (k, i) in by_part if k == "keywords"})
    if words:
        con.execute("CREATE OR REPLACE TEMP TABLE _nav_assign_text AS " + ind.text_sql(members))
        for doc, w in con.execute(str(ind.word_hits(words, "_nav_assign_text"))).fetchall():
            hits[doc].update(by_part[("keywords", w)])
    for r in marks(con, tree_id):
        hits[r["doc_id"]].add(r["branch"])

    def ancestors(x: str) -> set[str]:
        out, p = set(), parent.get(x)
        while p is not None:
            out.add(p)
            p = parent.get(p)
        return out

    pairs = []
    for doc, found in hits.items():
        covered = set().union(*(ancestors(x) for x in found)) if found else set()
        pairs += [(doc, x) for x in sorted(found - covered)]
    con.register("_nav_assign", pa.table({"doc_id": [p[0] for p in pairs], "branch": [p[1] for p in pairs]},
                                         schema=pa.schema([("doc_id", pa.string()), ("branch", pa.string())])))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT m.doc_id, a.branch, m.reason FROM "
                    f"(SELECT DISTINCT doc_id, reason FROM {table}) m LEFT JOIN _nav_assign a USING (doc_id) "
                    "ORDER BY m.doc_id, a.branch, m.reason")
    finally:
        con.unregister("_nav_assign")
    return {b: int(n) for b, n in con.execute(f"SELECT branch, count(DISTINCT doc_id) FROM {table} GROUP BY 1 "
                                              "ORDER BY 2 DESC").fetchall()}
