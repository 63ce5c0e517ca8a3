"""Declared settings: name, default and help. Read from a YAML file, flags and (secrets only) env.

Nothing is read at import time: build a :class:`Settings` with :func:`load_settings`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from ipcockpit.errors import SettingsError


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("db", "var/ipcockpit.duckdb", "Path of the DuckDB database file."),
    Setting("batch_size", 5000, "Records per Arrow batch when loading into the store."),
    Setting("language", "zh-CN", "Language of the web app (its default) and of what the command line prints "
            "(zh-CN or en)."),
    Setting("timezone", "", "Time zone the web app and the reports show times in (an IANA name such as "
            "Asia/Shanghai; empty = the system's zone: TZ, else /etc/localtime)."),
    Setting("host", "127.0.0.1", "Address the web app listens on."),
    Setting("port", 8000, "Port the web app listens on."),
    Setting("web_connections", 32, "Connections to the store the web app uses at once (one per request; more "
            "requests wait for a free one)."),
    Setting("request_timeout", 30, "Seconds a web request may run its queries (and wait for a connection) "
            "before it is stopped with 503; 0 = no limit."),
    Setting("column_maps", "", "Folder of extra YAML column maps for table exports (added to the built-in ones)."),
    Setting("workers", 0, "Parser processes for large XML files (0 = one per core)."),
    Setting("regions", "", "Folder of extra region profiles (YAML) for the cockpit; a profile there replaces a "
            "built-in one with the same admin code (docs/cockpit.md)."),
    Setting("secret_key", "", "Key that signs session cookies (a secret: put it in the settings file or the "
            "IPCOCKPIT_SECRET_KEY environment variable; empty = one generated and kept in the store)."),
    Setting("secure_cookies", "auto", "Mark session cookies Secure: auto (when served over https), always, never."),
    Setting("session_hours", 12, "Hours a login lasts at most."),
    Setting("session_idle_minutes", 120, "Minutes without a request after which a login ends."),
    Setting("login_throttle", {}, "Login throttling: failures (per account, 5), address_failures (per client "
            "address, 20), window_minutes (15), delay_seconds (30, doubling); see docs/operations.md."),
    Setting("body_limits", {}, "Bytes a write request may send, by route: default (1000000), reported_csv "
            "(2000000), portfolio_file (6000000); see docs/operations.md."),
    Setting("index_dir", "", "Folder of the search indexes (empty = next to the database: <db without suffix>.index)."),
    # what one request may ask (docs/operations.md, "Query and result limits"); beyond a limit: refused, never cut
    Setting("max_query_chars", 5000, "Characters of a search query (a claim is a query)."),
    Setting("max_description_chars", 20000, "Characters of an FTO product description."),
    Setting("max_numbers", 10000, "Publication numbers one screening or portfolio may hold."),
    Setting("max_name_chars", 200, "Characters of an applicant name given as a filter or an exclusion."),
    Setting("max_rows", 1000, "Rows a page or its JSON lists (limit); screening's limit=0 (all) only when "
            "all fit."),
    Setting("max_results", 200, "Ranked results one search or FTO request lists (limit)."),
    Setting("max_download_rows", 50000, "Rows a CSV or Excel download holds (the first ones; the file name "
            "says screen-first-N-of-M)."),
    Setting("base_url", "", "The address users reach the app at (https://ip.example.org/cockpit): links are built "
            "from it; empty = links are paths on the server, never built from a request's Host header."),
    Setting("watch", {}, "Watch lists' delivery: smtp_host, smtp_port (25), smtp_from, smtp_tls (none, starttls, "
            "ssl), smtp_user (the password in IPCOCKPIT_SMTP_PASSWORD), webhook_timeout (10 s), expiry_days (90); "
            "see docs/monitoring.md."),
    Setting("screen", {}, "High-value screening settings (maintenance_start, pledge_threshold, strict_sei, "
            "sei_scheme ...; see docs/value.md)."),
    Setting("signals", {}, "Abnormal-filing signal thresholds by kind (burst: period, history_periods, min_count, "
            "factor; volume_vs_size: per_employee ...; see docs/monitoring.md \"Abnormal-filing signals\")."),
    Setting("credit", {}, "Credit tiers: rules (a YAML file of credit rules that replaces the shipped "
            "ipcockpit/credit/rules.yaml; see docs/monitoring.md \"Credit tiers\")."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass
class Settings:
    db: str = "var/ipcockpit.duckdb"
    batch_size: int = 5000
    language: str = "zh-CN"
    timezone: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    web_connections: int = 32
    request_timeout: float = 30
    column_maps: str = ""
    workers: int = 0
    regions: str = ""
    secret_key: str = ""
    secure_cookies: str = "auto"
    session_hours: float = 12
    session_idle_minutes: float = 120
    login_throttle: dict[str, Any] = field(default_factory=dict)
    body_limits: dict[str, Any] = field(default_factory=dict)
    index_dir: str = ""
    max_query_chars: int = 5000
    max_description_chars: int = 20000
    max_numbers: int = 10000
    max_name_chars: int = 200
    max_rows: int = 1000
    max_results: int = 200
    max_download_rows: int = 50000
    base_url: str = ""
    screen: dict[str, Any] = field(default_factory=dict)
    signals: dict[str, Any] = field(default_factory=dict)
    watch: dict[str, Any] = field(default_factory=dict)
    credit: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def with_overrides(self, **values: Any) -> Settings:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for key, value in values.items():
            if value is None:
                continue
            if key not in data:
                raise SettingsError(f"unknown setting {key!r}; known: {', '.join(sorted(_BY_NAME))}")
            data[key] = value
        return Settings(**data)


def load_settings(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Settings from defaults, then the YAML file (``ipcockpit.yaml`` if present), then ``overrides``.

    The environment variable ``IPCOCKPIT_DB`` may name the database (useful for deployments).
    """
    settings = Settings()
    file = Path(path) if path else Path("ipcockpit.yaml")
    if file.exists():
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise SettingsError(f"{file}: not valid YAML ({exc}); fix the file or remove it.") from exc
        if not isinstance(data, dict):
            raise SettingsError(f"{file}: expected a mapping of setting names to values.")
        settings = settings.with_overrides(**data)
    elif path:
        raise SettingsError(f"{file}: settings file not found.")
    env_db = os.environ.get("IPCOCKPIT_DB")
    if env_db:
        settings = settings.with_overrides(db=env_db)
    return settings.with_overrides(**overrides)


def index_folder(settings: Settings) -> Path:
    """The folder holding the search indexes of ``settings.db``."""
    if settings.index_dir:
        return Path(settings.index_dir)
    db = Path(settings.db)
    return db.with_name(db.stem + ".index")
