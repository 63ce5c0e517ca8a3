"""Entity ids of parties and inventors, as the readers of resolved entities see them (graph, strength).

Rules (the contract of issue 17 between resolution and its readers):

- A party's entity id is ``party_entities.entity_id`` of its row (``doc_id``, ``seq``, ``role``), an
  inventor's is ``inventor_entities.entity_id`` of its row (``doc_id``, ``seq``). Resolved organisation ids
  start with ``o:``, inventor ids with ``i:``.
- Where the table is missing (a store older than migrations 11/12) or has no row for the party or
  inventor, the id is ``'n:' || name_norm``: the folded name, the identity the pages used before
  resolution. A row without a folded name has no id (null) and is left out by the readers.

The same rules are written twice, once as DuckDB SQL (:func:`party_ids_sql`, :func:`inventor_ids_sql`: the
graph build) and once as ibis expressions (:func:`party_ids`, :func:`inventor_ids`: DuckDB or Spark).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import ibis
    from ibis.expr.types import Table

#: the prefix of an id that is a folded name (no resolved entity)
NAME_PREFIX = "n:"
PARTY_TABLE = "party_entities"
INVENTOR_TABLE = "inventor_entities"


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the store has the table ``name`` (in its main schema)."""
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'",
        [name]).fetchall()[0][0])


def fallback_sql(alias: str) -> str:
    """The id of a row of ``alias`` (parties or inventors) without a resolved entity."""
    return f"'{NAME_PREFIX}' || {alias}.name_norm"


def party_ids_sql(con: duckdb.DuckDBPyConnection) -> str:
    """A SELECT of every party with its entity id: ``doc_id, seq, role, name_raw, name_norm, type, country,
    admin_code, file_id, entity_id`` (``entity_id`` null only where ``name_norm`` is; ``file_id``: strength
    reads the source format of a party row)."""
    cols = "p.doc_id, p.seq, p.role, p.name_raw, p.name_norm, p.type, p.country, p.admin_code, p.file_id"
    if not has_table(con, PARTY_TABLE):
        return f"SELECT {cols}, {fallback_sql('p')} AS entity_id FROM parties p"
    return (f"SELECT {cols}, coalesce(pe.entity_id, {fallback_sql('p')}) AS entity_id FROM parties p "
            f"LEFT JOIN {PARTY_TABLE} pe ON pe.doc_id = p.doc_id AND pe.seq = p.seq AND pe.role = p.role")


def inventor_ids_sql(con: duckdb.DuckDBPyConnection) -> str:
    """A SELECT of every inventor with its entity id: ``doc_id, seq, name_raw, name_norm, country, city,
    entity_id``."""
    cols = "i.doc_id, i.seq, i.name_raw, i.name_norm, i.country, i.city"
    if not has_table(con, INVENTOR_TABLE):
        return f"SELECT {cols}, {fallback_sql('i')} AS entity_id FROM inventors i"
    return (f"SELECT {cols}, coalesce(ie.entity_id, {fallback_sql('i')}) AS entity_id FROM inventors i "
            f"LEFT JOIN {INVENTOR_TABLE} ie ON ie.doc_id = i.doc_id AND ie.seq = i.seq")


def party_ids(backend: ibis.BaseBackend) -> Table:
    """:func:`party_ids_sql` as an ibis expression on any backend (DuckDB, a Spark Parquet export)."""
    import ibis

    p = backend.table("parties")
    fallback = ibis.literal(NAME_PREFIX) + p.name_norm
    pe = _table(backend, PARTY_TABLE)
    if pe is None:
        return p.mutate(entity_id=fallback)
    pe = pe.select("doc_id", "seq", "role", resolved="entity_id")
    j = p.left_join(pe, ["doc_id", "seq", "role"])
    return j.select(*[j[c] for c in p.columns], entity_id=j.resolved.fill_null(ibis.literal(NAME_PREFIX) + j.name_norm))


def inventor_ids(backend: ibis.BaseBackend) -> Table:
    """:func:`inventor_ids_sql` as an ibis expression on any backend."""
    import ibis

    i = backend.table("inventors")
    fallback = ibis.literal(NAME_PREFIX) + i.name_norm
    ie = _table(backend, INVENTOR_TABLE)
    if ie is None:
        return i.mutate(entity_id=fallback)
    ie = ie.select("doc_id", "seq", resolved="entity_id")
    j = i.left_join(ie, ["doc_id", "seq"])
    return j.select(*[j[c] for c in i.columns], entity_id=j.resolved.fill_null(ibis.literal(NAME_PREFIX) + j.name_norm))


def _table(backend: ibis.BaseBackend, name: str) -> Table | None:
    """The table ``name`` of the backend, or None when it has none (``list_tables`` is avoided: ibis 12's
    DuckDB backend calls a method that duckdb 2 no longer has)."""
    from ibis.common.exceptions import TableNotFound

    try:
        return backend.table(name)
    except TableNotFound:
        return None
