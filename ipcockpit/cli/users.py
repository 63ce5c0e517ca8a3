"""The ``user`` commands: the accounts and roles of the web app (用户与角色)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ipcockpit.app import Cockpit
from ipcockpit.cli.options import command_options, dump, err, texts, when
from ipcockpit.settings import Settings
from ipcockpit.store import require_file

user_app = typer.Typer(help="Users and roles of the web app (admin, analyst, enterprise). 用户与角色。",
                       no_args_is_help=True)


@user_app.command("add")
@command_options(opens="write", json_output=False, locked="cli.locked_user_add")
def user_add(
    cockpit: Cockpit,
    name: Annotated[str, typer.Argument(help="User name (letters, digits, Chinese characters, _ . @ -).")],
    role: Annotated[str, typer.Option("--role", help="admin, analyst or enterprise.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first "
                                                 "line of standard input instead of prompting.")] = False,
) -> None:
    """Add a user; the first admin of a new store is made this way. 添加用户。"""
    row = cockpit.add_user(name, role, _password(password_stdin), created_by="cli")
    cockpit.audit(None, "admin", "cli user add", f"user:{row['name']}", "ok", detail={"role": row["role"]})
    err.print(texts(cockpit.settings)("cli.user_added", name=row["name"], role=row["role"]), markup=False)


@user_app.command("list")
@command_options()
def user_list(cockpit: Cockpit, json_out: bool = False) -> None:
    """List users and their roles (never their passwords). 列出用户。"""
    rows = cockpit.users()
    if json_out:
        dump(rows)
        return
    t = texts(cockpit.settings)
    table = Table(*(t(f"cli.col.{c}") for c in ("user", "role", "created_at", "created_by", "disabled")))
    for r in rows:
        table.add_row(r["name"], r["role"], when(cockpit.settings, r["created_at"]), r["created_by"] or "-",
                      t("cli.yes") if r["disabled"] else "")
    Console().print(table)


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("password 密码", hide_input=True, confirmation_prompt=True))


@contextmanager
def _existing_store(settings: Settings) -> Iterator[Cockpit]:
    """The store for a change to an account: it must exist (a mistyped --db creates nothing) and be free to
    write."""
    require_file(settings.db)
    with Cockpit(settings, create=False) as cockpit:
        yield cockpit


@user_app.command("password")
@command_options(opens=None, json_output=False, locked="cli.locked_user_change")
def user_password(
    settings: Settings,
    name: Annotated[str, typer.Argument(help="User name.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the new password from the first "
                                                 "line of standard input instead of prompting.")] = False,
) -> None:
    """Give a user a new password; their open sessions end. 修改密码（该用户的会话随即结束）。"""
    from ipcockpit.auth.users import check_password

    require_file(settings.db)  # an account to change must exist: so must its store
    password = check_password(_password(password_stdin), name)  # a bad password is refused before the store opens
    with _existing_store(settings) as cockpit:
        cockpit.set_password(name, password)
        cockpit.audit(None, "admin", "cli user password", f"user:{name}", "ok")
    err.print(texts(settings)("cli.user_password", name=name), markup=False)


@user_app.command("disable")
@command_options(opens=None, json_output=False, locked="cli.locked_user_change")
def user_disable(settings: Settings, name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Disable a user: no more logins, their open sessions end. 停用用户。"""
    with _existing_store(settings) as cockpit:
        cockpit.disable_user(name)
        cockpit.audit(None, "admin", "cli user disable", f"user:{name}", "ok")
    err.print(texts(settings)("cli.user_disabled", name=name), markup=False)


@user_app.command("enable")
@command_options(opens=None, json_output=False, locked="cli.locked_user_change")
def user_enable(settings: Settings, name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Enable a disabled user again. 重新启用用户。"""
    with _existing_store(settings) as cockpit:
        cockpit.disable_user(name, disabled=False)
        cockpit.audit(None, "admin", "cli user enable", f"user:{name}", "ok")
    err.print(texts(settings)("cli.user_enabled", name=name), markup=False)


@user_app.command("logout")
@command_options(json_output=False, locked="cli.locked_user_change")
def user_logout(cockpit: Cockpit, name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """End every session of a user (all their browsers are logged out); works while a read-only server
    runs. 结束该用户的全部会话。"""
    ended = cockpit.end_sessions(name)
    cockpit.audit(None, "admin", "cli user logout", f"user:{name}", "ok", detail={"sessions_ended": ended})
    err.print(texts(cockpit.settings)("cli.user_logout", name=name, ended=ended), markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
