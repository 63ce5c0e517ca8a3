"""The ``inventors`` commands: resolve the store's inventors into people (发明人消歧), find one, show one's profile
data (``Cockpit.resolve_inventors``, ``Cockpit.inventor_find``, ``Cockpit.inventor``). ``--json`` prints the
data function's dict or list."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from ipcockpit.app import Cockpit
from ipcockpit.cli.options import MISSING, command_options, dump, err, fail, table_console, texts
from ipcockpit.i18n import Translator

inventors_app = typer.Typer(help="Inventors resolved into people: resolve, find, show. 发明人消歧与画像。",
                            no_args_is_help=True)


@inventors_app.command("resolve")
@command_options(opens="write")
def inventors_resolve(cockpit: Cockpit, json_out: bool = False) -> None:
    """Resolve the store's inventors into people; ids already given are kept. 发明人消歧。"""
    report = cockpit.resolve_inventors()
    if json_out:
        dump(report)
    else:
        err.print(texts(cockpit.settings)("inventors.resolved", **{k: f"{v:,}" for k, v in report.items()}))


@inventors_app.command("find")
@command_options()
def inventors_find(
    cockpit: Cockpit,
    name: Annotated[str, typer.Argument(help="A name or part of one, as written or folded.")],
    limit: Annotated[int, typer.Option(help="Inventors listed.")] = 20,
    json_out: bool = False,
) -> None:
    """Resolved inventors whose name contains NAME, the most documents first. 查找发明人。"""
    rows = cockpit.inventor_find(name, limit)
    if json_out:
        dump(rows)
        return
    t = texts(cockpit.settings)
    if not rows:
        err.print(t("inventors.none_found", name=name))
        return
    table = Table(t("inventors.entity_id"), t("inventors.name"), t("inventors.documents"))
    for r in rows:
        table.add_row(r["entity_id"], r["name"], f"{r['documents']:,}")
    table_console().print(table)


@inventors_app.command("show")
@command_options()
def inventors_show(
    cockpit: Cockpit,
    entity_id: Annotated[str, typer.Argument(help="An inventor id (i:...), as `ipcockpit inventors find` lists.")],
    limit: Annotated[int, typer.Option(help="Documents and co-inventors listed.")] = 200,
    json_out: bool = False,
) -> None:
    """An inventor's names, documents, co-inventors and employers over time. 发明人画像。"""
    data = cockpit.inventor(entity_id, limit)
    t = texts(cockpit.settings)
    if data is None:
        raise fail(t("inventors.not_found", entity_id=entity_id))
    if json_out:
        dump(data)
    else:
        _tables(data, t)


def _tables(data: dict[str, Any], t: Translator) -> None:
    console = table_console()
    console.print(t("inventors.profile_title", name=data["name"], entity_id=data["entity_id"],
                    documents=f"{data['documents_total']:,}", first=data["first_year"] or MISSING,
                    last=data["last_year"] or MISSING))
    names = Table(t("inventors.name"), t("inventors.mentions"), title=t("inventors.names"))
    for r in data["names"]:
        names.add_row(r["name"], f"{r['mentions']:,}")
    console.print(names)
    employers = Table(t("inventors.employer"), t("inventors.first_year"), t("inventors.last_year"),
                      t("inventors.documents"), title=t("inventors.employers"))
    for r in data["employers"]:
        employers.add_row(r["name"], str(r["first_year"] or MISSING), str(r["last_year"] or MISSING),
                          f"{r['documents']:,}")
    console.print(employers)
    co = Table(t("inventors.entity_id"), t("inventors.name"), t("inventors.documents"),
               title=t("inventors.coinventors"))
    for r in data["coinventors"]:
        co.add_row(r["entity_id"], r["name"], f"{r['documents']:,}")
    console.print(co)
    docs = Table(t("column.publication_number"), t("inventors.year"), t("inventors.title"),
                 title=t("inventors.document_list"))
    for d in data["documents"]:
        docs.add_row(d["doc_id"], str(d["year"] or MISSING), d["title"] or MISSING)
    console.print(docs)


def register(app: typer.Typer) -> None:
    app.add_typer(inventors_app, name="inventors")
