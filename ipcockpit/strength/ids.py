"""Entity ids of the parties the strength ranking counts, and the roles it counts.

A party's id is :mod:`ipcockpit.graph.ids`' (the contract of issue 17): ``party_entities.entity_id`` of its
row when the store has that table and the row, else ``'n:' || name_norm``; a row without a folded name has no
id and is not counted. The expression is written once, there; it is imported here.
"""

from __future__ import annotations

from ipcockpit.graph.ids import NAME_PREFIX, PARTY_TABLE, has_table, party_ids_sql

#: the roles that hold a patent or an application: the organisation a strength figure is about
OWNER_ROLES = ("applicant", "patentee", "assignee", "current_owner")

__all__ = ["NAME_PREFIX", "OWNER_ROLES", "PARTY_TABLE", "has_table", "party_ids_sql"]
