"""Settings: file, overrides, and the sections other parts read."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.errors import SettingsError
from ipcockpit.settings import load_settings
from ipcockpit.value.settings import ScreenSettings


def test_file_then_overrides(tmp_path: Path) -> None:
    f = tmp_path / "ipcockpit.yaml"
    f.write_text("db: a.duckdb\nport: 9000\nscreen:\n  maintenance_start: grant\n  pledge_threshold: 5000000\n",
                 encoding="utf-8")
    s = load_settings(f, port=9001)
    assert (s.db, s.port) == ("a.duckdb", 9001)
    screen = ScreenSettings.from_mapping(s.screen)
    assert screen.maintenance_start == "grant" and screen.pledge_threshold == 5_000_000


def test_unknown_setting_is_named(tmp_path: Path) -> None:
    f = tmp_path / "ipcockpit.yaml"
    f.write_text("dbb: a.duckdb\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="unknown setting 'dbb'"):
        load_settings(f)


def test_bad_screen_section_is_named(tmp_path: Path) -> None:
    f = tmp_path / "ipcockpit.yaml"
    f.write_text(f"db: {tmp_path / 'x.duckdb'}\nscreen:\n  maintenance_start: never\n", encoding="utf-8")
    with Cockpit(load_settings(f)) as c, pytest.raises(SettingsError, match="maintenance_start"):
        c.screen(limit=1)


def test_workers_setting_reaches_the_xml_ingester(tmp_path: Path) -> None:
    from ipcockpit.ingest import registry

    s = load_settings(None, db=str(tmp_path / "x.duckdb"), workers=1)
    ing = registry.by_name("uspto-xml", s)
    assert ing.settings is not None and ing.settings.workers == 1
