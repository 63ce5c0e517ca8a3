"""The ``user`` commands: the accounts and roles of the web app (用户与角色)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ipcockpit.app import Cockpit
from ipcockpit.cli.options import command_options, dump, err

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
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password 密码", hide_input=True, confirmation_prompt=True)
    row = cockpit.add_user(name, role, password, created_by="cli")
    cockpit.audit(None, "admin", "cli user add", f"user:{row['name']}", "ok", detail={"role": row["role"]})
    err.print(f"user {row['name']} added with role {row['role']}")


@user_app.command("list")
@command_options()
def user_list(cockpit: Cockpit, json_out: bool = False) -> None:
    """List users and their roles (never their passwords). 列出用户。"""
    rows = cockpit.users()
    if json_out:
        dump(rows)
        return
    table = Table("name", "role", "created at", "created by", "disabled")
    for r in rows:
        table.add_row(r["name"], r["role"], str(r["created_at"]), r["created_by"] or "-",
                      "yes" if r["disabled"] else "")
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
