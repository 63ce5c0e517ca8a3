"""The graph's errors: each says what is missing and the command that makes it."""

from __future__ import annotations

from ipcockpit.errors import IPCockpitError


class GraphMissingError(IPCockpitError):
    """No graph has been built in the folder asked for."""


class GraphNodeNotFoundError(IPCockpitError):
    """A node id, name or entity that the graph does not hold."""


class GraphArgumentError(IPCockpitError):
    """A choice the graph does not know (an export format, a flow dimension)."""
