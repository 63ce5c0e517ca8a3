"""Users, roles, sessions' secret, the audit log, publication of reported values and saved portfolios.

Roles: ``admin`` manages users and reads the audit log; ``analyst`` reports, uploads and
publishes figures; ``enterprise`` screens and keeps its own portfolios; ``public`` is every visitor who has
not logged in and sees published statistics only. The web layer (:mod:`ipcockpit.web.auth`) enforces the
policy; this package holds the data and never imports the web framework.
"""

from __future__ import annotations

from dataclasses import dataclass

from ipcockpit.errors import IPCockpitError

ADMIN, ANALYST, ENTERPRISE, PUBLIC = "admin", "analyst", "enterprise", "public"
#: roles a user account can have (``public`` is the role of visitors without an account)
ROLES: tuple[str, ...] = (ADMIN, ANALYST, ENTERPRISE)
ALL_ROLES: tuple[str, ...] = (*ROLES, PUBLIC)
#: roles that see reported values before they are published
SEE_UNPUBLISHED: frozenset[str] = frozenset({ADMIN, ANALYST})


class AccessError(IPCockpitError):
    """A user, role, password or session value is not acceptable."""


@dataclass(frozen=True)
class User:
    """Who makes a request: a stored account, or the anonymous public visitor (``name`` None)."""

    name: str | None
    role: str = PUBLIC

    @property
    def is_public(self) -> bool:
        return self.name is None

    @property
    def label(self) -> str:
        return self.name or PUBLIC

    def has(self, roles: frozenset[str] | tuple[str, ...]) -> bool:
        return self.role in roles

    @property
    def sees_unpublished(self) -> bool:
        return self.role in SEE_UNPUBLISHED


ANONYMOUS = User(None, PUBLIC)
