"""Reading MySQL dumps (mysqldump, phpMyAdmin) without MySQL: statements, table columns, INSERT value tuples.

Rules:

* A statement ends at a ``;`` that ends a line outside a quoted string. Comment lines (``--``, ``#``,
  ``/* ... */``) between statements are dropped.
* A line that starts a new statement (``INSERT INTO``, ``CREATE TABLE`` ...) ends an open statement
  even when its quotes do not close, so one broken value cannot swallow the rest of the dump.
* Values are ``'quoted'`` strings (backslash escapes ``\\0 \\b \\n \\r \\t \\Z``, any other escaped
  character as itself, and a doubled ``''``), ``NULL``, numbers and ``0x`` hex, returned as the dump
  writes them (``str``, ``None`` for NULL).
* :func:`read_tuples` and :func:`insert_rows` report a tuple they cannot read and go on at the next
  tuple (the next ``),(`` boundary after the broken tuple's start); :func:`sql_tuples` raises instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ipcockpit.ingest.base import Source

CREATE_TABLE = re.compile(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[`\"]?([^`\"(\s]+)[`\"]?\s*\((.*)\)",
                          re.S | re.I)
COLUMN = re.compile(r"^\s*[`\"]([^`\"]+)[`\"]\s", re.M)
INSERT = re.compile(r"INSERT\s+(?:IGNORE\s+)?INTO\s+[`\"]?([^`\"(\s]+)[`\"]?\s*(\([^)]*\))?\s*VALUES\s*", re.I)
_QUOTED = re.compile(r"'(?:[^'\\]|\\.|'')*'", re.S)
_VALUE = re.compile(r"\s*(?:'((?:[^'\\]|\\.|'')*)'|(NULL)|(0x[0-9A-Fa-f]*)|([-+]?[\d.]+(?:[eE][-+]?\d+)?))\s*",
                    re.S | re.I)
_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
#: a line that can only be the start of a statement
_STATEMENT_START = re.compile(r"(?:INSERT\s+(?:IGNORE\s+)?INTO|REPLACE\s+INTO|CREATE\s+TABLE|ALTER\s+TABLE|"
                              r"DROP\s+TABLE|LOCK\s+TABLES|UNLOCK\s+TABLES)\s", re.I)
_NEXT_TUPLE = re.compile(r"\)\s*,\s*\(")


#: the suffixes a SQL dump is sniffed in
DUMP_SUFFIXES = (".sql", ".txt", ".dump")


def dump_head(source: Source) -> str | None:
    """The start of a file that may be a SQL dump, as text; None for another suffix or bytes that are not text."""
    if source.suffix not in DUMP_SUFFIXES:
        return None
    try:
        return source.text_head()
    except UnicodeDecodeError:
        return None


def unescape(text: str) -> str:
    """A quoted MySQL string's content as text."""
    if "\\" not in text and "''" not in text:
        return text
    text = text.replace("''", "'")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text, flags=re.S)


def _balanced(text: str) -> bool:
    return "'" not in _QUOTED.sub("", text)


def statements(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(first line number, statement) for each statement of a dump; comments are dropped."""
    buf: list[str] = []
    start = 0
    in_comment = False
    for line_no, line in enumerate(lines, 1):
        stripped = line.strip()
        if buf and _STATEMENT_START.match(line):  # an open statement whose quotes never closed
            yield start, "".join(buf).strip()
            buf = []
        if not buf:
            if in_comment:
                in_comment = "*/" not in stripped
                continue
            if stripped.startswith("/*") and "*/" not in stripped:
                in_comment = True
                continue
            if not stripped or stripped.startswith(("--", "#")) or (
                    stripped.startswith("/*") and stripped.endswith("*/")):
                continue
            start = line_no
        buf.append(line)
        if stripped.endswith(";"):
            stmt = "".join(buf)
            if _balanced(stmt):
                yield start, stmt.strip()
                buf = []
    if buf:
        yield start, "".join(buf).strip()


def sql_statements(lines: Iterable[str]) -> Iterator[str]:
    """Statements of a SQL dump, split at ``;`` outside quoted strings; comments are dropped."""
    for _, stmt in statements(lines):
        yield stmt


def _tuple(values: str, pos: int) -> tuple[list[str | None], int]:
    """The tuple that opens at ``values[pos] == '('``: its values and the offset after its ``)``."""
    n = len(values)
    pos += 1
    row: list[str | None] = []
    while True:
        m = _VALUE.match(values, pos)
        if not m:
            raise ValueError(f"unreadable value at offset {pos}: {values[pos:pos + 40]!r}")
        quoted, null, hexa, number = m.groups()
        row.append(unescape(quoted) if quoted is not None else None if null else number or hexa)
        pos = m.end()
        if pos < n and values[pos] == ",":
            pos += 1
            continue
        if pos < n and values[pos] == ")":
            return row, pos + 1
        raise ValueError(f"expected ',' or ')' at offset {pos}: {values[pos:pos + 40]!r}")


def _skip(values: str, pos: int) -> int:
    n = len(values)
    while pos < n and values[pos] in " \t\r\n,;":
        pos += 1
    return pos


def sql_tuples(values: str) -> Iterator[list[str | None]]:
    """The value tuples of ``(...), (...)`` (the text after VALUES); ValueError at the first broken one."""
    pos = _skip(values, 0)
    while pos < len(values):
        if values[pos] != "(":
            raise ValueError(f"expected '(' at offset {pos}: {values[pos:pos + 40]!r}")
        row, pos = _tuple(values, pos)
        yield row
        pos = _skip(values, pos)


def read_tuples(values: str) -> Iterator[tuple[int, list[str | None] | None, str | None]]:
    """(offset, values, None) for each tuple of ``values``; (offset, None, error) for one that cannot be
    read, after which reading goes on at the next ``),(`` boundary."""
    pos = _skip(values, 0)
    n = len(values)
    while pos < n:
        start = pos
        try:
            if values[pos] != "(":
                raise ValueError(f"expected '(' at offset {pos}: {values[pos:pos + 40]!r}")
            row, pos = _tuple(values, pos)
        except ValueError as exc:
            nxt = _NEXT_TUPLE.search(values, start + 1)
            pos = nxt.end() - 1 if nxt else n
            yield start, None, str(exc)
            continue
        yield start, row, None
        pos = _skip(values, pos)


@dataclass(frozen=True, slots=True)
class InsertRow:
    """One value tuple of an INSERT: its table and columns, the line it starts on, and its values or the
    reason it could not be read (``values`` None)."""

    table: str
    columns: tuple[str, ...]
    line: int
    values: list[str | None] | None
    error: str | None
    excerpt: str


def insert_rows(lines: Iterable[str], tables: Iterable[str] | None = None) -> Iterator[InsertRow]:
    """Every INSERT tuple of a dump (of ``tables`` only, when given), with the columns named by the INSERT
    or by the table's CREATE TABLE. A tuple whose value count differs from its columns is an error row."""
    wanted = set(tables) if tables is not None else None
    known: dict[str, tuple[str, ...]] = {}
    for start, stmt in statements(lines):
        if stmt[:6].upper() == "CREATE":
            create = CREATE_TABLE.search(stmt)
            if create:
                known[create.group(1)] = tuple(COLUMN.findall(create.group(2)))
            continue
        ins = INSERT.match(stmt)
        if not ins or (wanted is not None and ins.group(1) not in wanted):
            continue
        table = ins.group(1)
        cols = known.get(table, ())
        if ins.group(2):
            cols = tuple(c.strip().strip("`\"") for c in ins.group(2)[1:-1].split(","))
        body = stmt[ins.end():]
        lines_before = stmt.count("\n", 0, ins.end())
        last_offset, line = 0, start + lines_before
        for offset, row, error in read_tuples(body):
            line += body.count("\n", last_offset, offset)
            last_offset = offset
            end = body.find("\n", offset)
            excerpt = body[offset:end if end >= 0 else None][:300].rstrip(",;")
            if row is not None and cols and len(row) != len(cols):
                row, error = None, f"{len(row)} values for the {len(cols)} columns of table {table}"
            yield InsertRow(table, cols, line, row, error, excerpt)


def parse_sql_rows(text: str) -> list[dict[str, str | None]]:
    """Rows of every INSERT of a dump as column -> value (a helper for tools and tests)."""
    tables: dict[str, list[str]] = {}
    out: list[dict[str, str | None]] = []
    for stmt in sql_statements(text.splitlines(keepends=True)):
        create = CREATE_TABLE.search(stmt) if stmt[:6].upper() == "CREATE" else None
        if create:
            tables[create.group(1)] = COLUMN.findall(create.group(2))
            continue
        ins = INSERT.match(stmt)
        if ins:
            cols = tables.get(ins.group(1), [])
            if ins.group(2):
                cols = [c.strip().strip("`\"") for c in ins.group(2)[1:-1].split(",")]
            out.extend(dict(zip(cols, row, strict=False)) for row in sql_tuples(stmt[ins.end():]))
    return out
