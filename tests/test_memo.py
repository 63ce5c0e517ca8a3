"""Store-wide results kept while the store is unchanged (ipcockpit.memo): kept on an unchanged store, never
after a committed write (whoever made it), never inside the caller's own transaction, never in memory."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from shared_stores import copy_store
from test_value_conditions import screen_store

from ipcockpit import memo
from ipcockpit.app import Cockpit
from ipcockpit.value.conditions import Universe, evaluate
from ipcockpit.value.index import score_table
from ipcockpit.value.settings import ScreenSettings

pytestmark = pytest.mark.slow  # the screening store (tests/test_value_conditions.py)

AS_OF = ScreenSettings(as_of=date(2025, 7, 1))


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> tuple[Path, Universe]:
    """The screening store, and a universe of 25 of its invention grants (evaluated in a fraction of the
    time of all of them)."""
    path = screen_store(tmp_path_factory, shared, "memo")
    with Cockpit(db=path, read_only=True) as c:
        ids = sorted(_ids(evaluate(c.store.con, AS_OF)))[:25]
    return path, Universe(doc_ids=tuple(ids))


@pytest.fixture
def store(screened: tuple[Path, Universe], tmp_path: Path) -> Path:
    return copy_store(screened[0], tmp_path)


@pytest.fixture
def few(screened: tuple[Path, Universe]) -> Universe:
    return screened[1]


@pytest.fixture(autouse=True)
def _settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Marks count as settled at once (the 1 s wait has a test of its own)."""
    memo.clear()
    monkeypatch.setattr(memo, "SETTLE_NS", 0)


def _ids(table) -> set[str]:  # noqa: ANN001
    col = "publication_number" if "publication_number" in table.column_names else "doc_id"
    return set(table[col].to_pylist())


def test_kept_while_unchanged_and_recomputed_after_a_direct_write(store: Path, few: Universe) -> None:
    with Cockpit(db=store) as c:
        con = c.store.con
        first, scores = evaluate(con, AS_OF, few), score_table(con, as_of=AS_OF.as_of)
        assert evaluate(con, AS_OF, few) is first and score_table(con, as_of=AS_OF.as_of) is scores  # kept
        gone = sorted(_ids(first))[0]
        assert gone in _ids(scores)
        con.execute("DELETE FROM documents WHERE doc_id = ?", [gone])  # a direct SQL write, committed
        after = evaluate(con, AS_OF, few)
        assert after is not first and _ids(after) == _ids(first) - {gone}
        assert gone not in _ids(score_table(con, as_of=AS_OF.as_of))
        # the same answer as computed afresh
        memo.clear()
        assert _ids(evaluate(con, AS_OF, few)) == _ids(after)


def test_a_write_by_another_connection_is_seen(store: Path, few: Universe) -> None:
    with Cockpit(db=store) as c:
        con = c.store.con
        first = evaluate(con, AS_OF, few)
        other = c.cursor()
        gone = sorted(_ids(first))[-1]
        other.store.con.execute("DELETE FROM documents WHERE doc_id = ?", [gone])
        other.close()
        assert _ids(evaluate(con, AS_OF, few)) == _ids(first) - {gone}


def test_the_callers_own_transaction_is_never_kept(store: Path, few: Universe) -> None:
    with Cockpit(db=store) as c:
        con = c.store.con
        first = evaluate(con, AS_OF, few)
        gone = sorted(_ids(first))[0]
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM documents WHERE doc_id = ?", [gone])  # not committed: the files are unchanged
        inside = evaluate(con, AS_OF, few)
        assert _ids(inside) == _ids(first) - {gone}
        con.execute("ROLLBACK")
        assert _ids(evaluate(con, AS_OF, few)) == _ids(first)  # neither the rolled-back state nor a stale one


def test_in_memory_and_young_marks_are_not_kept(store: Path, few: Universe, monkeypatch: pytest.MonkeyPatch) -> None:
    con = duckdb.connect()
    assert memo.store_mark(con) is None
    con.close()
    with Cockpit(db=store) as c:
        assert memo.store_mark(c.store.con) is not None
        monkeypatch.setattr(memo, "SETTLE_NS", 3_600 * 1_000_000_000)  # files changed within the hour: too young
        assert memo.store_mark(c.store.con) is None
        before = dict(memo.stats)
        assert evaluate(c.store.con, AS_OF, few) is not evaluate(c.store.con, AS_OF, few)
        assert memo.stats["unkept"] == before["unkept"] + 2


def test_a_new_mark_drops_the_old_results(store: Path, few: Universe) -> None:
    with Cockpit(db=store) as c:
        con = c.store.con
        evaluate(con, AS_OF, few)
        evaluate(con, ScreenSettings(as_of=date(2024, 1, 1)), few)
        [(mark, kept)] = [v for k, v in memo._KEPT.items() if Path(k) == store]
        assert len(kept) == 2
        con.execute("CREATE TABLE memo_probe (a INTEGER)")
        evaluate(con, AS_OF, few)
        [(mark2, kept2)] = [v for k, v in memo._KEPT.items() if Path(k) == store]
        assert mark2 != mark and len(kept2) == 1


def test_quality_is_kept_copied_and_recomputed_after_a_write(store: Path, few: Universe) -> None:
    """The data-quality checks (the overview's heaviest part) are kept too: each call gets its own copy, and a
    deleted document makes its rows orphans at the next call."""
    with Cockpit(db=store) as c:
        first = c.quality()
        first["orphan_rows"]["count"] = -1  # a caller's change stays its own
        again = c.quality()
        assert again["orphan_rows"]["count"] >= 0 and memo.stats["hits"] >= 1
        gone = sorted(few.doc_ids or ())[0]
        held = c.store.scalar("SELECT count(*) FROM parties WHERE doc_id = ?", [gone])
        assert held
        c.store.con.execute("DELETE FROM documents WHERE doc_id = ?", [gone])
        after = c.quality()
        assert after["orphan_rows"]["count"] >= again["orphan_rows"]["count"] + held
        assert after["orphan_rows"]["by_table"]["parties"] >= held


def test_results_over_the_byte_budget_go_oldest_first(store: Path, few: Universe,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with Cockpit(db=store) as c:
        con = c.store.con
        one = evaluate(con, AS_OF, few)
        monkeypatch.setattr(memo, "BUDGET", one.nbytes + 1)  # room for one such table
        two = evaluate(con, ScreenSettings(as_of=date(2024, 1, 1)), few)
        [(_, kept)] = [v for k, v in memo._KEPT.items() if Path(k) == store]
        assert list(kept.values()) == [two]  # the older one went
        assert evaluate(con, ScreenSettings(as_of=date(2024, 1, 1)), few) is two
        assert evaluate(con, AS_OF, few) is not one  # computed again
