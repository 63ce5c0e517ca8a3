"""The ``entities`` commands: organisations resolved across names, sources and re-ingests (docs/entities.md).

``entities resolve NAME...`` each name's entity in the store (nothing written); ``entities show ID`` an entity's
names with their evidence, links and overrides; ``entities merge ID OTHER --analyst NAME`` and ``entities split ID
NAME... --analyst NAME`` an analyst's corrections (kept, audited); ``entities assign`` ids for parties not yet
resolved (ingest does it itself); ``entities overrides`` the corrections made; ``entities registry FILE`` and
``entities patentsview FILE`` load an extract whose names are evidence for the next resolution.
``--json`` prints the data itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ipcockpit.app import Cockpit
from ipcockpit.cli.options import command_options, dump, err, fail, table_console, texts, when

entities_app = typer.Typer(help="Organisations resolved across names and sources. 机构实体消歧。", no_args_is_help=True)

AnalystOption = Annotated[str, typer.Option("--analyst", help="The analyst's name (kept with the override and in "
                                            "the audit log).")]
NoteOption = Annotated[str | None, typer.Option("--note", help="Why (kept with the override).")]


@entities_app.command("resolve")
@command_options()
def resolve(cockpit: Cockpit, names: Annotated[list[str], typer.Argument(help="Organisation names.")],
            json_out: bool = False) -> None:
    """Each name's organisation entity in the store (nothing written). 查询名称所属机构实体。"""
    rows = cockpit.entity_lookup(names)
    if json_out:
        dump(rows)
        return
    t = texts(cockpit.settings)
    table = Table(t("entities.name"), t("entities.entity_id"), t("entities.reason"), t("entities.matched"))
    for r in rows:
        state = t("entities.stored") if r["stored"] else t("entities.new" if r["new_entity"] else "entities.joins")
        table.add_row(r["name"], f"{r['entity_id'] or '-'} ({state})", _reason(r["reason"], t), r["matched"] or "-")
    table_console().print(table)


@entities_app.command("show")
@command_options()
def show(cockpit: Cockpit, entity_id: Annotated[str, typer.Argument(help="An entity id (o:...).")],
         json_out: bool = False) -> None:
    """An organisation's names with their evidence, links and overrides. 机构实体的名称与证据。"""
    data = cockpit.organisation(entity_id)
    t = texts(cockpit.settings)
    if data is None:
        raise fail(t("entities.not_found", id=entity_id))
    if json_out:
        dump(data)
        return
    console = table_console()
    console.print(t("entities.title", name=data["name"], id=data["entity_id"], documents=data["documents"]))
    if data["asked"] != data["entity_id"]:
        console.print(t("entities.merged_into", asked=data["asked"], id=data["entity_id"]))
    names = Table(t("entities.name"), t("entities.reason"), t("entities.matched"), t("entities.documents"))
    for n in data["names"]:
        names.add_row(n["name"], _reason(n["reason"], t), n["matched"] or "-", str(n["documents"]))
    console.print(names)
    if data["links"]:
        links = Table(t("entities.link"), t("entities.entity_id"), t("entities.name"))
        for link in data["links"]:
            links.add_row(t(f"entities.link_{link['direction']}", kind=t(f"entities.kind.{link['kind']}")),
                          link["entity_id"], link["name"] or "-")
        console.print(links)
    for o in data["overrides"]:
        console.print(t("entities.override_line", id=o["id"], action=t(f"entities.action.{o['action']}"),
                        analyst=o["analyst"], at=o["created_at"], note=o["note"] or ""))


@entities_app.command("merge")
@command_options(opens="write")
def merge(cockpit: Cockpit, entity_id: Annotated[str, typer.Argument(help="The entity that stays.")],
          other: Annotated[str, typer.Argument(help="The entity merged into it.")], analyst: AnalystOption,
          note: NoteOption = None, json_out: bool = False) -> None:
    """Merge two organisation entities (audited). 合并机构实体。"""
    result = cockpit.entity_merge(entity_id, other, analyst, note)
    if json_out:
        dump(result)
        return
    err.print(texts(cockpit.settings)("entities.merged", other=other, id=result["entity_id"], names=result["names"],
                                      override=result["override"]))


@entities_app.command("split")
@command_options(opens="write")
def split(cockpit: Cockpit, entity_id: Annotated[str, typer.Argument(help="The entity split.")],
          names: Annotated[list[str], typer.Argument(help="Its names (as stored) that form a new entity.")],
          analyst: AnalystOption, note: NoteOption = None, json_out: bool = False) -> None:
    """Move names out of an organisation entity into a new one (audited). 拆分机构实体。"""
    result = cockpit.entity_split(entity_id, names, analyst, note)
    if json_out:
        dump(result)
        return
    err.print(texts(cockpit.settings)("entities.split_done", id=entity_id, new=result["new_entity_id"],
                                      names=len(result["names"]), override=result["override"]))


@entities_app.command("assign")
@command_options(opens="write")
def assign(cockpit: Cockpit, json_out: bool = False) -> None:
    """Give the parties not yet resolved their entity ids (ingest does this itself). 为新当事人分配实体。"""
    counts = cockpit.resolve_entities()
    if json_out:
        dump(counts)
        return
    err.print(texts(cockpit.settings)("entities.assigned", **counts))


@entities_app.command("registry")
@command_options(opens="write")
def registry(cockpit: Cockpit, path: Annotated[Path, typer.Argument(help="A registry CSV (docs/entities.md).")],
             json_out: bool = False) -> None:
    """Load an enterprise registry as evidence: the names of one row are one organisation. 载入企业登记名录。"""
    _extract(cockpit, "registry", path, json_out)


@entities_app.command("patentsview")
@command_options(opens="write")
def patentsview(cockpit: Cockpit, path: Annotated[Path, typer.Argument(
        help="A PatentsView g_assignee_disambiguated.tsv or g_inventor_disambiguated.tsv extract.")],
        json_out: bool = False) -> None:
    """Load PatentsView's disambiguated assignees (one assignee_id, one organisation) or inventors (one inventor_id,
    one person) as evidence. 载入 PatentsView 消歧受让人或发明人。"""
    _extract(cockpit, "patentsview", path, json_out)


def _extract(cockpit: Cockpit, source: str, path: Path, json_out: bool) -> None:
    result = cockpit.entity_extract(source, path)
    if json_out:
        dump(result)
        return
    t = texts(cockpit.settings)
    err.print(t("entities.extract_loaded", groups=result["groups"], names=result["names"],
                stored=result["stored_names"], file=str(path)))
    for r in result.get("rejected", []):
        err.print(t("entities.extract_rejected", line=r["line"], name=r["name"], reason=r["reason"]))
    for s in result["split"]:
        err.print(t("entities.extract_split", evidence=s["evidence"], entities=" ".join(s["entities"])))


@entities_app.command("overrides")
@command_options()
def overrides(cockpit: Cockpit, limit: Annotated[int, typer.Option(help="How many, newest first.")] = 200,
              json_out: bool = False) -> None:
    """The analysts' merges and splits, newest first. 人工合并与拆分记录。"""
    rows = cockpit.entity_overrides(limit)
    if json_out:
        dump(rows)
        return
    t = texts(cockpit.settings)
    table = Table("#", t("entities.action_head"), t("entities.entity_id"), t("entities.other"),
                  t("entities.analyst"), t("entities.at"), t("entities.note"))
    for o in rows:
        table.add_row(str(o["id"]), t(f"entities.action.{o['action']}"), o["entity_id"],
                      o["other"] or "-", o["analyst"], when(cockpit.settings, o["created_at"]), o["note"] or "")
    table_console().print(table)


def _reason(reason: str, t: Any) -> str:
    """A stored reason in words: ``score 0.953`` keeps its figure, ``merge #3`` its override."""
    head, _, rest = reason.partition(" ")
    return t(f"entities.reason.{head}", value=rest)


def register(app: typer.Typer) -> None:
    app.add_typer(entities_app, name="entities")
