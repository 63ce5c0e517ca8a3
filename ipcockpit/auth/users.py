"""User accounts: names, roles and argon2id password hashes (never the password), and the session secret.

Passwords are hashed with argon2-cffi's defaults (argon2id); verification is constant-time and an unknown
name is checked against a dummy hash so that its answer takes as long as a wrong password's.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from functools import cache
from typing import Any

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ipcockpit.auth import ROLES, AccessError, User
from ipcockpit.store import Store

NAME = re.compile(r"^[A-Za-z0-9_.@\-\u4e00-\u9fff]{1,64}$")
MIN_PASSWORD = 8
SECRET_NAME = "session"


@cache
def hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    return hasher().hash(secrets.token_urlsafe(16))


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME.match(name):
        raise AccessError(f"user name {name!r}: use 1-64 letters, digits, Chinese characters or _ . @ -")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccessError(f"role {role!r}: not a role; use one of {', '.join(ROLES)}")
    return role


def check_password(password: str, name: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise AccessError(f"password of user {name!r}: at least {MIN_PASSWORD} characters, please")
    return password


def add_user(store: Store, name: str, role: str, password: str, created_by: str | None = None) -> dict[str, Any]:
    """Create an account (the name must be new); returns it without the hash."""
    name, role = check_name(name), check_role(role)
    check_password(password, name)
    con = store.con
    if con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchall():
        raise AccessError(f"user {name!r} exists already; choose another name")
    con.execute("INSERT INTO users (name, role, password_hash, created_at, created_by, disabled) "
                "VALUES (?, ?, ?, ?, ?, false)", [name, role, hasher().hash(password), datetime.now(), created_by])
    return get_user(store, name) or {}


def set_password(store: Store, name: str, password: str) -> None:
    """Give ``name`` a new password; every open session of the user ends (:mod:`ipcockpit.auth.sessions`)."""
    from ipcockpit.auth import sessions

    _existing(store, name)
    check_password(password, name)
    store.con.execute("UPDATE users SET password_hash = ? WHERE name = ?", [hasher().hash(password), name])
    sessions.end_user(store, name)


def set_disabled(store: Store, name: str, disabled: bool = True) -> dict[str, Any]:
    """Disable (or enable again) the account ``name``; disabling ends every open session of the user."""
    from ipcockpit.auth import sessions

    _existing(store, name)
    store.con.execute("UPDATE users SET disabled = ? WHERE name = ?", [disabled, name])
    if disabled:
        sessions.end_user(store, name)
    return get_user(store, name) or {}


def _existing(store: Store, name: str) -> None:
    if get_user(store, name) is None:
        raise AccessError(f"user {name!r}: no such user; `ipcockpit user list` lists them")


def get_user(store: Store, name: str) -> dict[str, Any] | None:
    rows = store.con.execute(
        "SELECT name, role, created_at, created_by, disabled FROM users WHERE name = ?", [name]).fetchall()
    if not rows:
        return None
    n, role, at, by, disabled = rows[0]
    return {"name": n, "role": role, "created_at": at.isoformat() if at else None, "created_by": by,
            "disabled": bool(disabled)}


def list_users(store: Store) -> list[dict[str, Any]]:
    names = [r[0] for r in store.con.execute("SELECT name FROM users ORDER BY name").fetchall()]
    return [u for u in (get_user(store, n) for n in names) if u]


def active_user(store: Store, name: str) -> User | None:
    """The account named in a session, or None when it is gone or disabled."""
    try:
        rows = store.con.execute("SELECT role, disabled FROM users WHERE name = ?", [name]).fetchall()
    except duckdb.CatalogException:  # a store from before migration 4, opened read-only
        return None
    if not rows or rows[0][1]:
        return None
    return User(name, rows[0][0])


def authenticate(store: Store, name: str, password: str) -> User | None:
    """The user when ``password`` is theirs; None otherwise (unknown, disabled or wrong)."""
    try:
        rows = store.con.execute("SELECT role, password_hash, disabled FROM users WHERE name = ?",
                                   [(name or "").strip()]).fetchall()
    except duckdb.CatalogException:
        rows = []
    stored = rows[0][1] if rows else _dummy_hash()
    try:
        ok = hasher().verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok or not rows or rows[0][2]:
        return None
    return User((name or "").strip(), rows[0][0])


def session_secret(store: Store) -> str | None:
    """The secret that signs session cookies, generated (256 bits) on first use in a writable store;
    None in a read-only store that has none yet."""
    con = store.con
    try:
        rows = con.execute("SELECT value FROM auth_secrets WHERE name = ?", [SECRET_NAME]).fetchall()
    except duckdb.CatalogException:
        return None
    if rows:
        return str(rows[0][0])
    value = secrets.token_urlsafe(32)
    try:
        con.execute("INSERT INTO auth_secrets VALUES (?, ?, ?)", [SECRET_NAME, value, datetime.now()])
    except duckdb.Error:  # read-only
        return None
    return value
