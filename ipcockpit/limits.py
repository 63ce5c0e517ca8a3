"""What one request may ask: the limits on query length, numbers per request and rows per answer.

Each limit is a setting (:mod:`ipcockpit.settings`; docs/operations.md, "Query and result limits"):

* ``max_query_chars``: characters of a search query (a pasted claim is a query);
* ``max_description_chars``: characters of an FTO product description;
* ``max_numbers``: publication numbers one screening or portfolio holds (each counted once);
* ``max_name_chars``: characters of an applicant name given as a filter or an FTO exclusion;
* ``max_rows``: rows a page or its JSON lists (``limit``); screening's ``limit=0`` (all) only when all fit;
* ``max_results``: ranked results of one search or FTO request (``limit``), in any format;
* ``max_download_rows``: rows a CSV or Excel download holds (its ``limit``; a screening's download holds
  the first ones and its file name says ``screen-first-N-of-M``).

Rules: a request beyond a limit is refused with :class:`LimitError` before any work is done, its message
naming the size asked, the limit and the setting; nothing is cut silently. The Cockpit checks its inputs
(query, description, numbers, names), so the CLI, the Python API and the web app hold the same limits and a
Python user may raise a setting; rows are the web app's business (the CLI prints or writes every row).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ipcockpit.errors import IPCockpitError
from ipcockpit.settings import Settings


class LimitError(IPCockpitError):
    """A request beyond one of the limits. ``key`` and ``values`` name the catalogue text shown to people;
    the message (logs, the CLI) names the setting too."""

    def __init__(self, message: str, key: str, **values: Any) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


def _n(value: int) -> str:
    return f"{value:,}"


def check_chars(text: str | None, setting: str, settings: Settings, what: str, key: str) -> None:
    """``text`` holds at most the setting ``setting`` characters; ``what`` names it in the message."""
    most = int(getattr(settings, setting))
    count = len(text or "")
    if count > most:
        raise LimitError(f"{what}: {_n(count)} characters; at most {_n(most)} are taken (setting {setting})",
                         key, count=_n(count), most=_n(most))


def check_query(query: str | None, settings: Settings) -> None:
    check_chars(query, "max_query_chars", settings, "search query", "limit.query_chars")


def check_description(text: str | None, settings: Settings) -> None:
    check_chars(text, "max_description_chars", settings, "FTO product description", "limit.description_chars")


def check_names(names: str | Iterable[str] | None, settings: Settings) -> None:
    """Each applicant name (a filter, or the names an FTO leaves out) within ``max_name_chars``."""
    for name in [names] if isinstance(names, str) else names or []:
        check_chars(str(name), "max_name_chars", settings, "applicant name", "limit.name_chars")


def check_numbers(numbers: Iterable[str] | None, settings: Settings) -> None:
    """At most ``max_numbers`` distinct numbers (the same number twice is screened once)."""
    if numbers is None:
        return
    count = len(set(numbers))
    most = int(settings.max_numbers)
    if count > most:
        raise LimitError(f"portfolio: {_n(count)} numbers; screen at most {_n(most)} at a time "
                         "(setting max_numbers)", "screen.error_too_many", count=_n(count), most=_n(most))


def rows_setting(ranked: bool, download: bool) -> str:
    """The setting that bounds the ``limit`` of an answer: ranked results, a download's rows, a page's."""
    return "max_results" if ranked else "max_download_rows" if download else "max_rows"


def check_rows(limit: int | None, settings: Settings, *, ranked: bool = False, download: bool = False) -> None:
    """A ``limit`` (rows asked for; 0 = all, checked by :func:`check_all_rows` once the count is known)
    within its setting (:func:`rows_setting`)."""
    if limit is None:
        return
    setting = rows_setting(ranked, download)
    most = int(getattr(settings, setting))
    if limit > most:
        key = "limit.download_rows" if setting == "max_download_rows" else "limit.rows"
        raise LimitError(f"limit={limit}: at most {_n(most)} rows are listed (setting {setting})", key,
                         limit=limit, most=_n(most))


def hold_limit(params: Any, settings: Settings, *, ranked: bool = False, download: bool = False) -> None:
    """The ``limit`` of a request's parameters (a pydantic model) held to its setting: one the request gave
    beyond it is refused (:func:`check_rows`); the model's default, when a setting is lower, is lowered to it
    (the request named no number, so nothing it asked for is cut)."""
    limit = getattr(params, "limit", None)
    if limit is None:
        return
    if "limit" in getattr(params, "model_fields_set", ()):
        check_rows(limit, settings, ranked=ranked, download=download)
        return
    most = int(getattr(settings, rows_setting(ranked, download)))
    if limit > most:
        params.limit = most


def check_all_rows(total: int, settings: Settings) -> None:
    """All rows (``limit=0``) of a page or its JSON: refused when more than ``max_rows`` match."""
    most = int(settings.max_rows)
    if total > most:
        raise LimitError(f"limit=0: {_n(total)} rows match, a page lists at most {_n(most)} (setting max_rows); "
                         f"ask for fewer, or download CSV or Excel (at most {_n(settings.max_download_rows)})",
                         "limit.all_rows", total=_n(total), most=_n(most), download=_n(settings.max_download_rows))
