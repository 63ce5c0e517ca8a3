"""The tables of patent navigation (migration 13): saved industry definitions, decomposition trees, their edits
and the analyst's marks.

* ``nav_definitions``: an industry definition the analyst saved (:class:`ipcockpit.navigation.industry.Definition`
  as JSON), one row per id, with who saved it and when.
* ``nav_branches``: the branches of each decomposition tree (技术分解表): ``tree`` (an industry id), ``id``,
  ``parent`` (NULL for the root), names, ``parts`` (JSON: ``sei``, ``ipc``, ``cpc``, ``keywords`` that put a
  document in the branch) and ``position`` among its siblings.
* ``nav_branch_edits``: every change to a tree (``add``, ``rename``, ``move``, ``delete``, ``parts``, ``create``):
  the branch before and after as JSON, the analyst and the time (the audit of the tree).
* ``nav_marks``: the analyst's marks of documents: ``branch`` a branch of ``tree`` (a tagger example), or, with
  ``kind = 'industry'``, whether the document belongs to the industry (``relevant``; the check of a definition).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from ipcockpit.navigation.industry import Definition

STATEMENTS = [
    "CREATE TABLE IF NOT EXISTS nav_definitions (id VARCHAR PRIMARY KEY, name_zh VARCHAR, name_en VARCHAR, "
    "definition JSON NOT NULL, saved_by VARCHAR, saved_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS nav_branches (tree VARCHAR NOT NULL, id VARCHAR NOT NULL, parent VARCHAR, "
    "name_zh VARCHAR NOT NULL, name_en VARCHAR, parts JSON, position INTEGER NOT NULL DEFAULT 0, "
    "PRIMARY KEY (tree, id))",
    "CREATE SEQUENCE IF NOT EXISTS nav_branch_edits_id START 1",
    "CREATE TABLE IF NOT EXISTS nav_branch_edits (id BIGINT PRIMARY KEY DEFAULT nextval('nav_branch_edits_id'), "
    "tree VARCHAR NOT NULL, branch VARCHAR, action VARCHAR NOT NULL, before JSON, after JSON, analyst VARCHAR, "
    "edited_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS nav_marks (tree VARCHAR NOT NULL, doc_id VARCHAR NOT NULL, branch VARCHAR, "
    "kind VARCHAR NOT NULL DEFAULT 'branch', relevant BOOLEAN, analyst VARCHAR, marked_at TIMESTAMP NOT NULL)",
    "CREATE INDEX IF NOT EXISTS idx_nav_marks_tree ON nav_marks (tree)",
]


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Create the nav_* tables (idempotent)."""
    for sql in STATEMENTS:
        con.execute(sql)


def save_definition(con: duckdb.DuckDBPyConnection, d: Definition, analyst: str | None = None) -> None:
    """Save (or replace) an industry definition under its id, after checking it can be resolved."""
    from ipcockpit.navigation.industry import validate

    validate(con, d)
    con.execute("INSERT OR REPLACE INTO nav_definitions (id, name_zh, name_en, definition, saved_by, saved_at) "
                "VALUES (?, ?, ?, ?, ?, ?)", [d.id, d.name_zh, d.name_en, json.dumps(d.to_dict(), ensure_ascii=False),
                                              analyst, datetime.now().replace(microsecond=0)])


def load_definition(con: duckdb.DuckDBPyConnection, definition_id: str) -> Definition:
    """A saved definition, else the preset of that id; :class:`DefinitionError` when neither exists."""
    from ipcockpit.navigation.industry import PRESETS, Definition, DefinitionError

    rows = con.execute("SELECT definition FROM nav_definitions WHERE id = ?", [definition_id]).fetchall()
    if rows:
        return Definition.from_dict(json.loads(rows[0][0]))
    if definition_id in PRESETS:
        return PRESETS[definition_id]
    raise DefinitionError(definition_id, "id", f"no saved definition or preset of that id; presets: "
                          f"{', '.join(PRESETS)}")


def definitions(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The saved definitions (id, names, who saved them and when), newest first."""
    cols = ["id", "name_zh", "name_en", "saved_by", "saved_at"]
    return [dict(zip(cols, r, strict=True)) for r in con.execute(
        "SELECT id, name_zh, name_en, saved_by, saved_at FROM nav_definitions ORDER BY saved_at DESC, id").fetchall()]
