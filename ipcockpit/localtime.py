"""Times as people read them: in the zone of the setting ``timezone``, with the zone named.

The store keeps two kinds of timestamp without a zone (DuckDB ``TIMESTAMP``): the report time of a
reported value (``reported_values.reported_at``) is UTC; every other one (ingest runs and files, users,
the audit log, publications) is the local time of the machine that wrote it (``datetime.now()``), read
back as the local time of the machine that shows it. Values with a zone (the cockpit's ``generated_at``)
carry their own. :func:`show` turns any of them into ``2025-03-01 15:30:12 UTC+8`` in the chosen zone;
JSON and the downloads keep the stored value.

``timezone`` is an IANA name (``Asia/Shanghai``, ``UTC``); empty means the system's zone: the ``TZ``
environment variable, else the zone ``/etc/localtime`` links to, else ``/etc/timezone``, else the
system's current offset.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ipcockpit.errors import SettingsError

#: how a stored timestamp without a zone is read: the writing machine's local time, or UTC
NAIVE = ("local", "utc")


def _zone_named(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def system_zone() -> tzinfo:
    """The system's zone: ``TZ``, the target of ``/etc/localtime``, ``/etc/timezone``, else its offset now."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    link = Path("/etc/localtime")
    if link.is_symlink():
        target = str(link.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    try:
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    except OSError:
        pass
    for name in candidates:
        found = _zone_named(name) if name else None
        if found is not None:
            return found
    return datetime.now().astimezone().tzinfo or UTC


def zone(name: str | None = "") -> tzinfo:
    """The zone of the setting ``timezone``: an IANA name, or empty for the system's zone."""
    name = (name or "").strip()
    if not name:
        return system_zone()
    found = _zone_named(name)
    if found is None:
        raise SettingsError(f"timezone {name!r} is not an IANA time zone; write a name such as Asia/Shanghai or "
                            "UTC, or leave it empty for the system's zone")
    return found


def parse(value: object, naive: str = "local") -> datetime | None:
    """``value`` (a datetime or its ISO text) as an aware datetime; None for nothing or a bare date
    (a date has no time to move between zones). ``naive``: how a value without a zone is read."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        if len(value.strip()) <= 10:
            return None  # a day without a time
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None  # a date (or anything else) is shown as it is
    if value.tzinfo is not None:
        return value
    if naive == "utc":
        return value.replace(tzinfo=UTC)
    return value.astimezone()  # a naive value is the machine's local time


def zone_label(moment: datetime) -> str:
    """``UTC+8``, ``UTC+5:30``, ``UTC-3``, ``UTC``: the offset of ``moment`` (an aware datetime)."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def show(value: object, tz: tzinfo, naive: str = "local", seconds: bool = True) -> str:
    """``value`` in the zone ``tz`` with the zone named (``2025-03-01 15:30:12 UTC+8``); a date as
    ``2025-03-01``; text that is not a time as it is; empty for nothing."""
    if naive not in NAIVE:
        raise ValueError(f"naive={naive!r}: use one of {', '.join(NAIVE)}")
    moment = parse(value, naive)
    if moment is None:
        if isinstance(value, date):
            return value.isoformat()
        return "" if value is None else str(value)
    here = moment.astimezone(tz)
    return f"{here.strftime('%Y-%m-%d %H:%M:%S' if seconds else '%Y-%m-%d %H:%M')} {zone_label(here)}"


def local_date(value: object, tz: tzinfo, naive: str = "local") -> str:
    """The day of ``value`` in the zone ``tz`` (``2025-03-01``); a date or other text as it is."""
    moment = parse(value, naive)
    if moment is None:
        return "" if value is None else (value.isoformat() if isinstance(value, date) else str(value))
    return moment.astimezone(tz).date().isoformat()
