"""The errors of search: what cannot be searched, and a folder without an index."""

from __future__ import annotations

from ipcockpit.errors import IPCockpitError, UnavailableError


class SearchError(IPCockpitError, ValueError):
    """A query, filter or index that cannot be searched; the message says what to do."""


class IndexMissingError(SearchError, UnavailableError):
    """The index folder holds no search index (yet): build it with ``ipcockpit index``."""

    key = "search.no_index"
