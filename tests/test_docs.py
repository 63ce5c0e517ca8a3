"""Docs are tested: every command, setting, table and column is documented."""

from __future__ import annotations

from pathlib import Path

from ipcockpit.cli import app
from ipcockpit.model.schema import CORE_TABLES, SYSTEM_TABLES
from ipcockpit.settings import SETTINGS

DOCS = Path(__file__).resolve().parents[1] / "docs"
README = (DOCS.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    for s in SETTINGS:
        assert f"`{s.name}`" in text, s.name


def test_every_command_is_in_the_readme() -> None:
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert names
    for name in names:
        assert f"ipcockpit {name}" in README, name


def test_quick_start_is_the_two_commands() -> None:
    assert "make run" in README and "make test" in README


def test_every_table_and_column_is_in_the_model_doc() -> None:
    text = (DOCS / "model.md").read_text(encoding="utf-8")
    for table, cols in {**CORE_TABLES, **SYSTEM_TABLES}.items():
        assert f"`{table}`" in text, table
        for col, _ in cols:
            assert f"`{col}`" in text, f"{table}.{col}"


def test_every_reference_table_is_documented() -> None:
    from ipcockpit.model.reference import REF_TABLES

    text = (DOCS / "reference_tables.md").read_text(encoding="utf-8")
    for table, cols in REF_TABLES.items():
        assert f"`{table}`" in text, table
        for col, _ in cols:
            assert f"`{col}`" in text, f"{table}.{col}"


def test_every_format_is_documented() -> None:
    from ipcockpit.ingest import registry

    text = (DOCS / "formats.md").read_text(encoding="utf-8")
    for ing in registry.ingesters():
        assert f"`{ing.name}`" in text, ing.name
