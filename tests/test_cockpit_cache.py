"""The cockpit's result cache: reused while the store is unchanged, recomputed after any write."""

from __future__ import annotations

from pathlib import Path

from ipcockpit.app import Cockpit
from ipcockpit.cockpit.cache import cached


def test_cache_reuses_until_the_store_changes(cockpit: Cockpit, shared: Path) -> None:
    cockpit.ingest([shared / "cn/table_export_sample"])
    calls: list[int] = []

    def compute() -> dict[str, object]:
        calls.append(1)
        return {"n": cockpit.store.count("documents"), "items": [1, 2]}

    first = cached(cockpit.store, ("t", 1), compute)
    again = cached(cockpit.store, ("t", 1), compute)
    assert first == again and len(calls) == 1
    again["items"].append(3)  # a caller's copy: the cached value stays as it was
    assert cached(cockpit.store, ("t", 1), compute)["items"] == [1, 2] and len(calls) == 1
    cockpit.ingest([shared / "awards/25th-preview.jsonl"])  # an ingest run changes the fingerprint
    cached(cockpit.store, ("t", 1), compute)
    assert len(calls) == 2


def test_reported_value_shows_at_once(cockpit: Cockpit, shared: Path) -> None:
    cockpit.ingest([shared / "cn/table_export_sample"])
    before = {c["id"]: c for c in cockpit.cockpit(year=2023)["indicators"]}
    assert before["copyright_registrations"]["value"] != 402
    cockpit.report_value("copyright_registrations", 2023, 402, "区版权局年报2023", "analyst")
    after = {c["id"]: c for c in cockpit.cockpit(year=2023)["indicators"]}
    assert after["copyright_registrations"]["value"] == 402


def test_read_only_store_reads_its_fingerprint_once(tmp_path: Path, shared: Path) -> None:
    from ipcockpit.cockpit import cache as cache_mod
    from ipcockpit.settings import Settings

    db = str(tmp_path / "ro.duckdb")
    with Cockpit(Settings(db=db)) as c:
        c.ingest([shared / "cn/table_export_sample"])
    with Cockpit(Settings(db=db), read_only=True) as ro:
        reads: list[int] = []
        real = cache_mod.CockpitCache.fingerprint

        def counting(con: object) -> object:
            reads.append(1)
            return real(con)  # type: ignore[arg-type]

        cache_mod.CockpitCache.fingerprint = staticmethod(counting)  # type: ignore[method-assign]
        try:
            first = ro.cockpit(year=2024)
            assert ro.cockpit(year=2024) == first and ro.cockpit(year=2023)["year"] == 2023
        finally:
            cache_mod.CockpitCache.fingerprint = staticmethod(real)  # type: ignore[method-assign]
        assert len(reads) == 1  # nobody can write a file open read-only: one read serves every request
