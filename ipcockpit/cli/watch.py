"""The ``watch`` commands: watch lists and their alerts (监测预警; docs/monitoring.md, "Watch lists and alerts")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ipcockpit.app import Cockpit
from ipcockpit.cli.handover import hands_over
from ipcockpit.cli.options import command_options, dump, err, fail, texts
from ipcockpit.watch.service import Watch
from ipcockpit.watch.sources import KINDS

watch_app = typer.Typer(help="Watch lists and alerts: patents, organisations, IPC/SEI fields, regions, saved "
                        "queries, protected-mark lists. 监测预警：关注清单与提醒。", no_args_is_help=True)



def of(cockpit: Cockpit) -> Watch:
    """The watch service of the core object (``Cockpit.monitor.watch``)."""
    return cockpit.monitor.watch


def _user(cockpit: Cockpit, name: str) -> Any:
    user = cockpit.user(name)
    if user is None:
        raise fail(f"--user {name}: no such active user; add one with `ipcockpit user add`")
    return user


@watch_app.command("add")
@command_options(opens="write")
def watch_add(
    cockpit: Cockpit,
    user: Annotated[str, typer.Option("--user", help="Whose list (a user of the store: admin, analyst or "
                                      "enterprise).")],
    list_name: Annotated[str, typer.Option("--list", help="The list's name (made when it does not exist).")],
    patent: Annotated[list[str] | None, typer.Option("--patent", help="A patent: doc id, publication or "
                                                     "application number (repeatable).")] = None,
    org: Annotated[list[str] | None, typer.Option("--org", help="An organisation: entity id (o:…) or name.")] = None,
    ipc: Annotated[list[str] | None, typer.Option("--ipc", help="An IPC prefix (H01M, H01M10/05).")] = None,
    sei: Annotated[list[str] | None, typer.Option("--sei", help="An SEI 2021 branch code (1.2, 3.1.4).")] = None,
    region: Annotated[list[str] | None, typer.Option("--region", help="A GB/T 2260 code (500120 Bishan).")] = None,
    query: Annotated[list[str] | None, typer.Option("--query", help="A saved search query (needs the search "
                                                    "index).")] = None,
    protected: Annotated[list[str] | None, typer.Option("--protected", help="A protected-mark list (its id or "
                                                        "name), or `all`: alert new filings similar to its "
                                                        "marks.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Send alerts to this address (SMTP settings: "
                                              "watch.smtp_*).")] = None,
    webhook: Annotated[str | None, typer.Option("--webhook", help="POST alerts as JSON to this URL (signed: "
                                                "X-IPCockpit-Signature).")] = None,
    digest: Annotated[str | None, typer.Option("--digest", help="immediate, daily or weekly.")] = None,
    share_role: Annotated[str | None, typer.Option("--share-role", help="Let every user of this role see the "
                                                   "list.")] = None,
    expiry_days: Annotated[int | None, typer.Option("--expiry-days", help="Alert patents expiring within N "
                                                    "days (default: the setting watch.expiry_days, 90).")] = None,
    json_out: bool = False,
) -> None:
    """Make a list or add what it watches. 新建关注清单或添加关注对象。"""
    t = texts(cockpit.settings)
    objects = {k: v for k, v in (("patent", patent), ("org", org), ("ipc", ipc), ("sei", sei),
                                 ("region", region), ("query", query), ("protected", protected)) if v}
    row = of(cockpit).add(_user(cockpit, user), list_name, objects, shared_role=share_role, digest=digest,
                          email=email, webhook_url=webhook, expiry_days=expiry_days)
    if json_out:
        dump(row)
        return
    err.print(t("watch.cli.added", list=row["name"], n=len(row["added"]), total=len(row["objects"])))


@watch_app.command("list")
@command_options()
def watch_list(
    cockpit: Cockpit,
    user: Annotated[str, typer.Option("--user", help="Whose lists: their own and those shared with their role "
                                      "(an admin sees all).")],
    json_out: bool = False,
) -> None:
    """The lists a user sees, with their objects and unread alerts. 列出关注清单。"""
    t = texts(cockpit.settings)
    rows = of(cockpit).lists(_user(cockpit, user))
    if json_out:
        dump(rows)
        return
    table = Table(*(t(f"watch.col.{c}") for c in ("list_id", "name", "owner", "digest", "objects", "alerts",
                                                  "unread")))
    for r in rows:
        table.add_row(str(r["list_id"]), r["name"], r["owner"], t(f"watch.digest.{r['digest']}"), str(r["objects"]),
                      str(r["alerts"]), str(r["unread"]))
    Console().print(table)


@watch_app.command("run")
@hands_over  # a live server holding the store runs the lists and sends what is due (ipcockpit.cli.handover)
@command_options(opens="write")
def watch_run(cockpit: Cockpit, json_out: bool = False) -> None:
    """Detect new events on every list and send what is due (retrying failed deliveries). 运行监测并发送提醒。"""
    t = texts(cockpit.settings)
    report = of(cockpit).run(now=datetime.now())
    if json_out:
        dump(report)
        return
    d = report["delivery"]
    err.print(t("watch.cli.run", new=report["new_alerts"], baseline=report["baseline"],
                sent=sum(d["sent"].values()), failed=sum(d["failed"].values())))
    for line in d["errors"]:
        err.print(t("watch.cli.failed", error=line))
    for u in report["unknown"]:
        err.print(t("watch.cli.unknown", kind=u["kind"], value=u["value"], reason=u["reason"]))


@watch_app.command("alerts")
@command_options()
def watch_alerts(
    cockpit: Cockpit,
    user: Annotated[str, typer.Option("--user", help="Whose inbox.")],
    list_id: Annotated[int | None, typer.Option("--list-id", help="Only this list.")] = None,
    unread: Annotated[bool, typer.Option("--unread", help="Only unread alerts.")] = False,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind: " + ", ".join(KINDS) + ".")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.")] = 100,
    mark_read: Annotated[bool, typer.Option("--mark-read", help="Mark the alerts shown read.")] = False,
    json_out: bool = False,
) -> None:
    """A user's alerts: each with its sentence and the page of its evidence. 提醒收件箱。"""
    t = texts(cockpit.settings)
    who = _user(cockpit, user)
    w: Watch = of(cockpit)
    data = w.alerts(who, list_id, unread, kind, limit=limit, lang=t.lang)
    if mark_read:
        data["marked_read"] = w.mark_read(who, [a["alert_id"] for a in data["alerts"]])
    if json_out:
        dump(data)
        return
    table = Table(*(t(f"watch.col.{c}") for c in ("alert_id", "list_name", "kind", "occurred", "message", "link")))
    for a in data["alerts"]:
        table.add_row(str(a["alert_id"]), a["list_name"], t(f"watch.kind.{a['kind']}"), str(a["occurred"] or ""),
                      a["message"], a["link"])
    Console().print(table)
    err.print(t("watch.cli.shown", n=data["count"], total=data["total"]))


def register(app: typer.Typer) -> None:
    app.add_typer(watch_app, name="watch")
