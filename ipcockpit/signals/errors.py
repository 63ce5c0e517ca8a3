"""Errors of the signals package."""

from __future__ import annotations

from ipcockpit.errors import IPCockpitError


class SignalsError(IPCockpitError):
    """A signal request that cannot be done: an unknown kind, case or status, a bad threshold, a read-only store."""
