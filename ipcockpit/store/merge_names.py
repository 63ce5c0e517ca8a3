"""One party per place: how the names a second source gives a document join its parties and inventors.

A document's parties (per role) and its inventors are numbered by ``seq``. When a second source names the
document again (a record merged into a stored document, or a kind-less record folded into its kinded
publication), each name it gives is placed by these rules, first match wins:

1. the same name, folded (:func:`name_key`: case, punctuation, legal forms, accents, text that was UTF-8
   decoded twice), as a party the document has: that party;
2. a variant of one (:func:`variant`): the same letters without spaces (``UNIV BEI HANG``, ``UNIV BEIHANG``),
   the same words in another order (``AO JIKANG``, ``JIKANG AO``), the words of one within the other
   (``MOTOROLA INC``, ``MOTOROLA SOLUTIONS INC``), two or more words abbreviating words of the other in order
   (``WELLS MFG CORP``, ``Wells Manufacturing Company``), or a spelling at most a tenth apart in names of ten
   letters or more (also with the words sorted, or without letters a broken decoding left): that party, the
   nearest ``seq`` first;
3. when both sources give as many names of that role and the two names at one ``seq`` cannot be compared
   (different scripts: ``藤本 健一`` and ``FUJIMOTO KENICHI``, Cyrillic and its broken decoding): that party;
4. otherwise a party the document did not have: added at its own ``seq`` when that is free, else after the
   document's last.

Under rules 1 to 3 a differently written name goes to ``name_aliases`` (the spelling, with its file), never
beside the party as a second party of the same ``seq``; an empty address of the party is filled from the
second source (the whole address, never mixed). Two clean Latin names that are not variants are two
parties, even at the same ``seq``: a source listing the inventors where another lists the assignee is not
giving other spellings of the same names.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ipcockpit.model.names import normalise_name, undo_double_utf8
from ipcockpit.model.schema import arrow_schema

#: the least share of letters two long names must have in common to be spellings of one name (rule 2)
SIMILARITY = 0.9
#: the least length (letters, no spaces) of both names for rule 2's spelling likeness
SIMILAR_MIN = 10

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_CJK = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u4e00-\u9fff\uac00-\ud7af]")
_BROKEN = re.compile("[ÃÂÅÄÐÑÌê][\u0080-\u00ff\u0152-\u02dc\u2013-\u2122]")


@lru_cache(maxsize=1 << 16)
def name_key(name: str | None) -> str:
    """A name folded for comparing two sources' spellings: normalise_name, no accents."""
    folded = normalise_name(undo_double_utf8(name or "")) or ""
    return "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))


@lru_cache(maxsize=1 << 16)
def skeleton(name: str | None) -> str:
    """The folded name without its letters outside ASCII: what is left of a broken decoding ('PÌäREZ' ->
    'prez'), to compare with another source's proper spelling ('PÉREZ' -> 'prez')."""
    return "".join(c for c in normalise_name(undo_double_utf8(name or "")) or "" if c.isascii())


def script(name: str) -> str:
    """``cjk``, ``cyrillic``, ``broken`` (UTF-8 read as a code page and not repairable) or ``latin``."""
    if _CJK.search(name):
        return "cjk"
    if _CYRILLIC.search(name):
        return "cyrillic"
    if _BROKEN.search(name):
        return "broken"
    return "latin"


def variant(a: str, b: str) -> bool:
    """Whether two folded names (:func:`name_key`) are spellings of one name (rule 2 of the module)."""
    if not a or not b:
        return False
    if a == b or a.replace(" ", "") == b.replace(" ", ""):
        return True
    ta, tb = a.split(), b.split()
    if sorted(ta) == sorted(tb):
        return True
    sa, sb = set(ta), set(tb)
    if sa <= sb or sb <= sa:
        return True
    if any(len(x) >= 2 and len(x) <= len(y) and _abbreviates(x, y) for x, y in ((ta, tb), (tb, ta))):
        return True
    return _alike(a, b) or _alike(" ".join(sorted(ta)), " ".join(sorted(tb)))


def _abbreviates(short: list[str], long_: list[str]) -> bool:
    """Whether the words of ``short`` abbreviate words of ``long_`` in order ("graphic packaging int",
    "wells mfg", "suzhou inst trade comme"): each begins like its word and keeps its letters' order."""
    i = 0
    for word in short:
        while i < len(long_) and not _abbreviation(word, long_[i]):
            i += 1
        if i == len(long_):
            return False
        i += 1
    return True


def _abbreviation(word: str, full: str) -> bool:
    if word[0] != full[0] or len(word) > len(full):
        return False
    rest = iter(full[1:])
    return all(c in rest for c in word[1:])


def _alike(a: str, b: str) -> bool:
    """Spellings at most a tenth apart, in names of SIMILAR_MIN letters or more."""
    ca, cb = a.replace(" ", ""), b.replace(" ", "")
    return min(len(ca), len(cb)) >= SIMILAR_MIN and difflib.SequenceMatcher(None, ca, cb).ratio() >= SIMILARITY


@dataclass
class Placed:
    """Where an incoming name went: ``seq`` of the party it is (rules 1-3) or the new party's (rule 4)."""

    seq: int
    new: bool  # a party the document did not have
    alias: bool  # a spelling the party's name_raw is not (and its aliases were not), to keep


def place_names(existing: Sequence[tuple[int, str, Sequence[str]]],
                incoming: Sequence[tuple[int, str]]) -> list[Placed]:
    """Place a second source's names of one document and role (rules of the module).

    ``existing``: the document's parties of that role as (seq, name_raw, spellings already kept as aliases);
    ``incoming``: the second source's names as (seq, name_raw), in its order. The existing list grows with
    every new party, so names of one source that repeat are placed once."""
    parties = [(seq, raw, {raw, *aliases}) for seq, raw, aliases in existing]
    keys = {seq: name_key(raw) for seq, raw, _ in parties}
    bones = {seq: skeleton(raw) for seq, raw, _ in parties}
    same_length = len(existing) == len(incoming)
    out: list[Placed] = []
    for seq_in, raw in incoming:
        key, bone = name_key(raw), skeleton(raw)
        hit = _nearest([s for s, k in keys.items() if k and k == key], seq_in)
        if hit is None:
            hit = _nearest([s for s, k in keys.items() if variant(k, key)
                            or (not raw.isascii() and _alike(bones[s], bone))], seq_in)
        if hit is None and same_length and seq_in in keys:
            raw_there = next(r for s, r, _ in parties if s == seq_in)
            if script(raw_there) != script(raw):
                hit = seq_in
        if hit is None:
            seq = seq_in if seq_in not in keys else max(keys) + 1
            parties.append((seq, raw, {raw}))
            keys[seq], bones[seq] = key, bone
            out.append(Placed(seq, new=True, alias=False))
            continue
        spellings = next(sp for s, _, sp in parties if s == hit)
        out.append(Placed(hit, new=False, alias=raw not in spellings))
        spellings.add(raw)
    return out


def _nearest(seqs: list[int], seq: int) -> int | None:
    return min(seqs, key=lambda s: (abs(s - seq), s)) if seqs else None


#: the address columns filled, as a whole, from a second source when the party has none
ADDRESS: dict[str, tuple[str, ...]] = {
    "parties": ("country", "province", "city", "district", "admin_code", "address_raw"),
    "inventors": ("country", "province", "city", "address_raw"),
}


def merge_names(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> list[int]:
    """Add rows of ``table`` (``parties`` or ``inventors``, with their ``file_id``) that a second source gives
    documents already holding some, by the rules of the module: new parties are inserted, other spellings go to
    ``name_aliases``, empty addresses are filled. Returns the ``seq`` each row ended at, in order."""
    has_role = table == "parties"
    address = ADDRESS[table]
    data = rows.to_pylist()
    con.register("_ipc_mn_ids", pa.table({"doc_id": pc.unique(rows.column("doc_id"))}))
    role = "role" if has_role else "NULL"
    cols = ", ".join(f'"{c}"' for c in address)
    existing: dict[tuple[str, str | None], dict[int, list]] = {}
    for doc, r, seq, raw, *addr in con.execute(
            f'SELECT doc_id, {role}, seq, name_raw, {cols} FROM "{table}" '
            "WHERE doc_id IN (SELECT doc_id FROM _ipc_mn_ids) ORDER BY doc_id, seq").fetchall():
        existing.setdefault((doc, r), {})[seq] = [raw, [], any(a is not None for a in addr)]
    for doc, r, seq, raw in con.execute(
            "SELECT doc_id, role, seq, name_raw FROM name_aliases WHERE holder = ? "
            "AND doc_id IN (SELECT doc_id FROM _ipc_mn_ids)", [table]).fetchall():
        party = existing.get((doc, r), {}).get(seq)
        if party:
            party[1].append(raw)
    con.unregister("_ipc_mn_ids")
    groups: dict[tuple[str, str | None], list[int]] = {}
    for i, row in enumerate(data):
        groups.setdefault((row["doc_id"], row.get("role") if has_role else None), []).append(i)
    seqs = [0] * len(data)
    new_rows, alias_rows, fills = [], [], []
    for key, members in groups.items():
        parties = existing.setdefault(key, {})
        placed = place_names([(s, p[0], p[1]) for s, p in sorted(parties.items())],
                             [(data[i]["seq"], data[i]["name_raw"]) for i in members])
        for i, where in zip(members, placed, strict=True):
            row = data[i]
            seqs[i] = where.seq
            if where.new:
                new_rows.append({**row, "seq": where.seq})
                parties[where.seq] = [row["name_raw"], [], any(row.get(a) is not None for a in address)]
                continue
            if where.alias:
                alias_rows.append({"doc_id": row["doc_id"], "holder": table, "role": key[1], "seq": where.seq,
                                   "name_raw": row["name_raw"], "name_norm": row["name_norm"],
                                   "file_id": row["file_id"]})
            party = parties[where.seq]
            if not party[2] and any(row.get(a) is not None for a in address):
                fills.append({"doc_id": row["doc_id"], "role": key[1], "seq": where.seq,
                              **{a: row.get(a) for a in address}})
                party[2] = True
    if new_rows:
        _insert(con, table, pa.Table.from_pylist(new_rows, schema=arrow_schema(table)))
    if alias_rows:
        _insert(con, "name_aliases", pa.Table.from_pylist(alias_rows, schema=arrow_schema("name_aliases")))
    if fills:
        con.register("_ipc_mn_fill", pa.Table.from_pylist(
            fills, schema=pa.schema([("doc_id", pa.string()), ("role", pa.string()), ("seq", pa.int32()),
                                     *((a, arrow_schema(table).field(a).type) for a in address)])))
        sets = ", ".join(f'"{a}" = f."{a}"' for a in address)
        empty = " AND ".join(f't."{a}" IS NULL' for a in address)
        same_role = "AND t.role = f.role " if has_role else ""
        con.execute(f'UPDATE "{table}" AS t SET {sets} FROM _ipc_mn_fill f WHERE t.doc_id = f.doc_id '
                    f"{same_role}AND t.seq = f.seq AND {empty}")
        con.unregister("_ipc_mn_fill")
    return seqs


def _insert(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    con.register("_ipc_mn_rows", data)
    con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _ipc_mn_rows')
    con.unregister("_ipc_mn_rows")
