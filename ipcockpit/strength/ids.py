"""Entity ids of the parties the strength ranking counts.

The contract of issue 17: a party's id is ``party_entities.entity_id`` of its row (``doc_id``, ``seq``,
``role``) when the store has that table and the row, else ``'n:' || name_norm`` (the folded name); a row
without a folded name has no id and is not counted. This is the same expression as
``ipcockpit.graph.ids.party_ids_sql`` (graph-talent); it is written here so that strength does not wait for
that package, and is to be replaced by the import once it is on main.
"""

from __future__ import annotations

import duckdb

NAME_PREFIX = "n:"
PARTY_TABLE = "party_entities"
#: the roles that hold a patent or an application: the organisation a strength figure is about
OWNER_ROLES = ("applicant", "patentee", "assignee", "current_owner")


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the store has the table ``name`` in its main schema."""
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'",
                      [name]).fetchone()
    return bool(row and row[0])


def party_ids_sql(con: duckdb.DuckDBPyConnection) -> str:
    """A SELECT of every party with ``entity_id`` (null only where ``name_norm`` is)."""
    fallback = f"'{NAME_PREFIX}' || p.name_norm"
    if not has_table(con, PARTY_TABLE):
        return f"SELECT p.*, {fallback} AS entity_id FROM parties p"
    return (f"SELECT p.*, coalesce(pe.entity_id, {fallback}) AS entity_id FROM parties p "
            f"LEFT JOIN {PARTY_TABLE} pe ON pe.doc_id = p.doc_id AND pe.seq = p.seq AND pe.role = p.role")
