"""The ``marks`` commands (docs/monitoring.md): trademarks, similar marks, protected-mark lists and the new filings
similar to them, each one call on the marks service (:mod:`ipcockpit.marks.service`).

``ipcockpit marks list [--class N] [--group 0901] [--applicant TEXT] [--status S]``, ``ipcockpit marks similar TEXT
[--class N] [--group G]``, ``ipcockpit marks protected load FILE [--kind K] [--name N]``, ``ipcockpit marks
protected list``, ``ipcockpit marks alerts [--since DATE]``; ``--json`` prints the service's dict.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ipcockpit.app import Cockpit
from ipcockpit.cli.options import MISSING, command_options, dump, fail, table_console, texts, when
from ipcockpit.marks.protected_lists import KINDS
from ipcockpit.settings import Settings

marks_app = typer.Typer(help="Trademarks, similar marks and protected-mark lists. 商标、近似商标与受保护商标名单。",
                        no_args_is_help=True)
protected_app = typer.Typer(help="Protected-mark lists (驰名商标, 老字号, 地理标志). 受保护商标名单。",
                            no_args_is_help=True)
marks_app.add_typer(protected_app, name="protected")

ClassOpt = Annotated[list[str] | None, typer.Option("--class", help="Nice class (1-45; 第9类 and full-width "
                                                    "digits accepted); repeat for more.")]
GroupOpt = Annotated[list[str] | None, typer.Option("--group", help="类似群 (four digits, 0901); repeat for more.")]


def _service(cockpit: Cockpit) -> Any:
    """The marks service of the core object (``Cockpit.monitor.marks``)."""
    return cockpit.monitor.marks


@command_options()
def list_marks(
    cockpit: Cockpit,
    nice_class: Annotated[str | None, typer.Option("--class", help="Nice class (1-45).")] = None,
    group: Annotated[str | None, typer.Option(help="类似群 (0901).")] = None,
    applicant: Annotated[str | None, typer.Option(help="A part of an applicant's or owner's name.")] = None,
    status: Annotated[str | None, typer.Option(help="A normalised status (registered, pending, ...).")] = None,
    limit: Annotated[int, typer.Option(help="Marks listed.")] = 50,
    json_out: bool = False,
) -> None:
    """The marks loaded, newest filing first. 商标列表。"""
    t = texts(cockpit.settings)
    try:
        data = _service(cockpit).list_marks(nice_class=nice_class, group=group, applicant=applicant, status=status,
                                            limit=limit)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    if json_out:
        dump(data)
        return
    console = table_console()
    console.print(t("marks.cli.total", n=f"{data['total']:,}"))
    table = Table(t("marks.col.mark_id"), t("marks.col.text"), t("marks.col.classes"), t("marks.col.status"),
                  t("marks.col.filing_date"), t("marks.col.applicants"), t("marks.col.flags"))
    for r in data["rows"]:
        table.add_row(r["mark_id"], r["mark_text"] or t("marks.image_only"), ",".join(map(str, r["classes"])),
                      t(f"marks.status.{r['status']}"), str(r["filing_date"] or MISSING), "、".join(r["applicants"]),
                      " ".join(t(f"marks.flag.{f}") for f in ("madrid", "gi") if r.get(f)))
    console.print(table)


@command_options()
def similar(
    cockpit: Cockpit,
    text: Annotated[str, typer.Argument(help="The mark's words (Chinese or Latin).")],
    nice_class: ClassOpt = None,
    group: GroupOpt = None,
    limit: Annotated[int, typer.Option(help="Hits listed.")] = 20,
    json_out: bool = False,
) -> None:
    """Marks like TEXT by 字/音/形/义, each explained. 近似商标检索。"""
    t = texts(cockpit.settings)
    try:
        data = _service(cockpit).similar(text, classes=nice_class, groups=group, limit=limit)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    if json_out:
        dump(data)
        return
    console = table_console()
    console.print(t("marks.cli.similar_total", n=data["total"], query=text))
    table = Table(t("marks.col.mark_id"), t("marks.col.text"), t("marks.col.score"), t("marks.col.matched"),
                  t("marks.col.tier"), t("marks.col.explanation"))
    for h in data["rows"]:
        table.add_row(h["mark_id"], h["text"], f"{h['score']:.2f}", "".join(h["matched"]), t(f"marks.tier.{h['tier']}"),
                      h["explanation"])
    console.print(table)


def _kind(kind: str | None = None, *, settings: Settings, **_: object) -> None:
    if kind is not None and kind not in KINDS:
        raise fail(texts(settings)("marks.unknown_kind", kind=kind, known=", ".join(KINDS)))


@command_options(opens="write", check=_kind)
def protected_load(
    cockpit: Cockpit,
    file: Annotated[Path, typer.Argument(help="A CSV or XLSX list (docs/formats.md, Protected-mark lists).")],
    kind: Annotated[str | None, typer.Option(help="well_known (驰名商标), time_honoured (老字号) or gi (地理标志); "
                                             "default: told by the header.")] = None,
    name: Annotated[str | None, typer.Option(help="The list's name (its id; default the file's stem). "
                                             "Loading the same name again replaces the list.")] = None,
    json_out: bool = False,
) -> None:
    """Load a protected-mark list; bad rows are quarantined with file, row and column. 载入受保护商标名单。"""
    t = texts(cockpit.settings)
    data = _service(cockpit).protected_load(file, kind, name, loaded_by="cli")
    if json_out:
        dump(data)
        return
    console = table_console()
    console.print(t("marks.cli.loaded", list_id=data["list_id"], kind=t(f"marks.kind.{data['kind']}"),
                    read=data["rows_read"], loaded=data["rows_loaded"], quarantined=data["rows_quarantined"]))
    for q in data["quarantined"]:
        reason = t(q["reason_key"], value=q["value"], **q["reason_values"]) if q["reason_key"] else q["reason"]
        console.print(t("marks.cli.bad_row", path=q["path"], row=q["row"], field=q["field"], reason=reason))


@command_options()
def protected_list(
    cockpit: Cockpit,
    list_id: Annotated[str | None, typer.Argument(help="A list's id: its entries.")] = None,
    json_out: bool = False,
) -> None:
    """The protected-mark lists loaded, or one list's entries. 受保护商标名单。"""
    t = texts(cockpit.settings)
    svc = _service(cockpit)
    data = svc.protected_entries(list_id) if list_id else svc.protected_lists()
    if json_out:
        dump(data)
        return
    console = table_console()
    if list_id:
        table = Table(t("marks.col.name"), t("marks.col.kind"), t("marks.col.reg_number"), t("marks.col.classes"),
                      t("marks.col.holder"), t("marks.col.year"), t("marks.col.region"))
        for e in data["rows"]:
            table.add_row(e["name"], t(f"marks.kind.{e['kind']}"), e["reg_number"] or MISSING,
                          ",".join(map(str, e["classes"] or [])) or MISSING, e["holder"] or MISSING,
                          str(e["year"] or MISSING), e["admin_code"] or MISSING)
    else:
        table = Table(t("marks.col.list_id"), t("marks.col.kind"), t("marks.col.path"), t("marks.col.loaded_at"),
                      t("marks.col.rows"))
        for r in data["rows"]:
            table.add_row(r["list_id"], t(f"marks.kind.{r['kind']}"), r["path"], when(cockpit.settings, r["loaded_at"]),
                          t("marks.cli.rows", read=r["rows_read"], loaded=r["rows_loaded"],
                            quarantined=r["rows_quarantined"]))
    console.print(table)


@command_options()
def alerts(
    cockpit: Cockpit,
    since: Annotated[str | None, typer.Option(help="Filings on or after this date (YYYY-MM-DD; default: the "
                                              "marks that came into the store since each list's first "
                                              "load).")] = None,
    json_out: bool = False,
) -> None:
    """New filings similar to a protected mark, each explained. 近似受保护商标的新申请。"""
    t = texts(cockpit.settings)
    data = _service(cockpit).alerts(since)
    if json_out:
        dump(data)
        return
    console = table_console()
    console.print(t("marks.cli.alerts_total", n=data["total"]))
    table = Table(t("marks.col.protected"), t("marks.col.kind"), t("marks.col.text"), t("marks.col.mark_id"),
                  t("marks.col.filing_date"), t("marks.col.applicants"), t("marks.col.score"),
                  t("marks.col.explanation"))
    for a in data["rows"]:
        f, p = a["filing"], a["protected"]
        table.add_row(p["name"], t(f"marks.kind.{p['kind']}"), f["text"], f["mark_id"], f["filing_date"],
                      "、".join(f["applicants"]), f"{a['similarity']['score']:.2f}", a["similarity"]["explanation"])
    console.print(table)


def register(app: typer.Typer) -> None:
    marks_app.command("list")(list_marks)
    marks_app.command("similar")(similar)
    marks_app.command("alerts")(alerts)
    protected_app.command("load")(protected_load)
    protected_app.command("list")(protected_list)
    app.add_typer(marks_app, name="marks")
