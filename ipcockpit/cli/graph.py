"""The ``graph`` commands: the industry and talent knowledge graph (产业及人才知识图谱), docs/entities.md.

``graph build`` writes the graph of the store (Parquet node and edge lists) into its folder (``--folder``,
default ``<db stem>.graph``); ``graph show`` says what it holds, or the neighbourhood of a node, or the most
central nodes; ``graph communities`` its Leiden communities; ``graph export`` GraphML or Neo4j import CSV;
``graph talent ...`` mobility, flows, key inventors, a team and an inventor's employers (from the store).
Tables in the command line's language; ``--json`` prints the data function's dict.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ipcockpit.app import Cockpit
from ipcockpit.cli.options import command_options, dump, err, fail, table_console, texts
from ipcockpit.i18n import Translator

graph_app = typer.Typer(help="The industry and talent knowledge graph. 产业及人才知识图谱。", no_args_is_help=True)
talent_app = typer.Typer(help="Inventors: employers, mobility, flows, key inventors, teams. 人才。",
                         no_args_is_help=True)
graph_app.add_typer(talent_app, name="talent")

FolderOption = Annotated[str | None, typer.Option("--folder", help="The graph's folder (default: <db stem>.graph "
                                                  "beside the store).")]
RelOption = Annotated[list[str] | None, typer.Option("--rel", help="A relationship to use (repeat): apply, own, "
                                                     "invent, co_invent, co_apply, cite, classified, in_industry, "
                                                     "located_in, transfer, licence, pledge.")]
LabelOption = Annotated[list[str] | None, typer.Option("--label", help="A node kind to keep (repeat): organisation, "
                                                       "individual, inventor, family, ipc_group, sei_branch, region.")]
MISSING = "-"


def _check_choices(*, settings: Any, rel: list[str] | None = None, label: list[str] | None = None,
                   **_: object) -> None:
    from ipcockpit.graph.build import LABELS, RELATIONSHIPS

    t = texts(settings)
    for value in rel or []:
        if value not in RELATIONSHIPS:
            raise fail(t("graph.unknown_choice", option="--rel", value=value, known=", ".join(RELATIONSHIPS)))
    for value in label or []:
        if value not in LABELS:
            raise fail(t("graph.unknown_choice", option="--label", value=value, known=", ".join(LABELS)))


@graph_app.command("build")
@command_options()
def build(cockpit: Cockpit, folder: FolderOption = None, json_out: bool = False) -> None:
    """Build the graph of the store into its folder (Parquet). 构建图谱。"""
    data = cockpit.graph_build(folder)
    if json_out:
        dump(data)
        return
    t = texts(cockpit.settings)
    err.print(t("graph.built", seconds=f"{data['seconds']:.1f}", nodes=f"{data['nodes']:,}",
                edges=f"{data['edges']:,}", folder=data["folder"]))
    _counts(data, t)


def _counts(data: dict[str, Any], t: Translator) -> None:
    console = table_console()
    labels = Table(t("graph.col.label"), t("graph.col.count"))
    for k, v in data["by_label"].items():
        labels.add_row(t(f"graph.label.{k}"), f"{v:,}")
    console.print(labels)
    rels = Table(t("graph.col.relationship"), t("graph.col.count"))
    for k, v in data["by_relationship"].items():
        rels.add_row(t(f"graph.relationship.{k}"), f"{v:,}")
    console.print(rels)
    if data.get("events_without_counterparty"):
        console.print(t("graph.no_counterparty", count=f"{data['events_without_counterparty']:,}"))


@graph_app.command("show")
@command_options(check=_check_choices)
def show(
    cockpit: Cockpit,
    node: Annotated[str | None, typer.Argument(help="A node id (org:…, inv:…, fam:…), entity id or name: show its "
                                               "neighbourhood. Without it: what the graph holds.")] = None,
    depth: Annotated[int, typer.Option(help="Steps from the node.")] = 1,
    rel: RelOption = None,
    label: Annotated[list[str] | None, typer.Option("--label", help="With --central: a node kind to keep "
                                                    "(repeat).")] = None,
    year_from: Annotated[int | None, typer.Option(help="Edges of this year or later.")] = None,
    year_to: Annotated[int | None, typer.Option(help="Edges of this year or earlier.")] = None,
    ipc: Annotated[str | None, typer.Option(help="Only families with an IPC main group starting so (H04N).")] = None,
    sei: Annotated[str | None, typer.Option(help="Only families of this SEI branch or industry (1.2, 1).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many nodes.")] = 200,
    central: Annotated[bool, typer.Option("--central", help="The most central nodes (degree, PageRank, "
                                          "betweenness) of --rel (default co_invent and co_apply).")] = False,
    top: Annotated[int, typer.Option(help="Rows of --central.")] = 20,
    folder: FolderOption = None,
    json_out: bool = False,
) -> None:
    """What the graph holds, a node's neighbourhood, or its central nodes. 查看图谱。"""
    t = texts(cockpit.settings)
    if central:
        options: dict[str, Any] = {"top": top, "labels": label}
        if rel:
            options["relationships"] = rel
        data = cockpit.graph_centrality(folder, **options)
        return dump(data) if json_out else _central(data, t)
    if node is None:
        data = cockpit.graph_summary(folder)
        if json_out:
            return dump(data)
        if data["stale"]:
            err.print(t("graph.stale", built=f"{(data.get('source') or {}).get('documents', 0):,}",
                        now=f"{data['store']['documents']:,}"))
        return _counts(data, t)
    data = cockpit.graph_subgraph(node, folder, depth=depth, relationships=rel, year_from=year_from,
                                  year_to=year_to, ipc=ipc, sei=sei, limit=limit)
    if json_out:
        return dump(data)
    console = table_console()
    c = data["center"]
    console.print(t("graph.subgraph_title", name=c["name"] or c["id"], id=c["id"], nodes=f"{len(data['nodes']):,}",
                    links=f"{len(data['links']):,}"))
    if data["truncated"]:
        err.print(t("graph.truncated", limit=f"{data['limit']:,}"))
    names = {n["id"]: n["name"] for n in data["nodes"]}
    table = Table(t("graph.col.source"), t("graph.col.relationship"), t("graph.col.target"), t("graph.col.weight"),
                  t("graph.col.years"))
    for link in data["links"]:
        table.add_row(names.get(link["source"], link["source"]), t(f"graph.relationship.{link['relationship']}"),
                      names.get(link["target"], link["target"]), f"{link['value']:,}",
                      _years(link["first_year"], link["last_year"]))
    console.print(table)


def _years(a: int | None, b: int | None) -> str:
    if a is None:
        return MISSING
    return str(a) if a == b else f"{a}–{b}"


def _central(data: dict[str, Any], t: Translator) -> None:
    console = table_console()
    if data.get("betweenness_cutoff"):
        err.print(t("graph.betweenness_cutoff", cutoff=data["betweenness_cutoff"], nodes=f"{data['nodes']:,}"))
    for measure, rows in data.get("by", {}).items():
        table = Table(t("graph.col.node"), t("graph.col.label"), t("graph.col.degree"), t("graph.col.strength"),
                      t("graph.col.pagerank"), t("graph.col.betweenness"),
                      title=t("graph.central_title", measure=t(f"graph.col.{measure}")))
        for r in rows:
            table.add_row(r["name"] or r["id"], t(f"graph.label.{r['label']}"), f"{r['degree']:,}",
                          f"{r['strength']:,.0f}", f"{r['pagerank']:.6f}", f"{r['betweenness']:.6f}")
        console.print(table)


@graph_app.command("communities")
@command_options(check=_check_choices)
def communities(
    cockpit: Cockpit,
    rel: RelOption = None,
    label: LabelOption = None,
    resolution: Annotated[float, typer.Option(help="Leiden's resolution (higher: smaller communities).")] = 1.0,
    top: Annotated[int, typer.Option(help="Communities listed, the largest first.")] = 20,
    folder: FolderOption = None,
    json_out: bool = False,
) -> None:
    """Leiden communities of the collaboration graph (co-invention, co-application). 社区发现。"""
    options: dict[str, Any] = {"labels": label, "resolution": resolution, "top": top}
    if rel:
        options["relationships"] = rel
    data = cockpit.graph_communities(folder, **options)
    if json_out:
        return dump(data)
    t = texts(cockpit.settings)
    console = table_console()
    console.print(t("graph.communities_title", count=f"{data['count']:,}", modularity=data["modularity"],
                    nodes=f"{data['nodes']:,}"))
    table = Table(t("graph.col.community"), t("graph.col.size"), t("graph.col.members"))
    for c in data["communities"]:
        table.add_row(str(c["id"]), f"{c['size']:,}", "; ".join(m["name"] or m["id"] for m in c["members"]))
    console.print(table)


@graph_app.command("export")
@command_options(check=_check_choices)
def export(
    cockpit: Cockpit,
    fmt: Annotated[str, typer.Argument(help="graphml (a file) or neo4j (a folder of nodes.csv, "
                                       "relationships.csv).")],
    target: Annotated[Path, typer.Argument(help="The file (graphml) or folder (neo4j) to write.")],
    rel: RelOption = None,
    label: LabelOption = None,
    folder: FolderOption = None,
    json_out: bool = False,
) -> None:
    """Export the graph as GraphML or Neo4j import CSV. 导出图谱。"""
    data = cockpit.graph_export(fmt, str(target), folder, relationships=rel, labels=label)
    if json_out:
        return dump(data)
    t = texts(cockpit.settings)
    err.print(t("graph.wrote", path=data.get("path") or data.get("folder"), nodes=f"{data['nodes']:,}",
                edges=f"{data['edges']:,}"))


@talent_app.command("mobility")
@command_options()
def mobility(
    cockpit: Cockpit,
    year_from: Annotated[int | None, typer.Option(help="Moves of this year or later.")] = None,
    year_to: Annotated[int | None, typer.Option(help="Moves of this year or earlier.")] = None,
    org: Annotated[str | None, typer.Option(help="Only moves from or to this organisation entity id.")] = None,
    limit: Annotated[int, typer.Option(help="Events listed, newest first; 0 for all.")] = 50,
    json_out: bool = False,
) -> None:
    """Inventors who changed employer: from, to, year and the evidence. 人才流动。"""
    data = cockpit.talent_mobility(year_from=year_from, year_to=year_to, org=org, limit=limit)
    if json_out:
        return dump(data)
    t = texts(cockpit.settings)
    _events(data["events"], t, t("graph.talent.mobility_title", total=f"{data['events_total']:,}",
                                 unresolved=f"{data['unresolved']:,}"))


def _events(events: list[dict[str, Any]], t: Translator, title: str) -> None:
    table = Table(t("graph.col.inventor"), t("graph.col.from"), t("graph.col.to"), t("graph.col.year"),
                  t("graph.col.evidence"), title=title)
    for e in events:
        table.add_row(e["inventor_name"], e["from_name"], e["to_name"], str(e["year"]), " → ".join(e["evidence"]))
    table_console().print(table)


@talent_app.command("flows")
@command_options()
def flows(
    cockpit: Cockpit,
    by: Annotated[str, typer.Option(help="region or industry (SEI).")] = "region",
    level: Annotated[int, typer.Option(help="Region code digits: 2 province, 4 city, 6 district.")] = 2,
    year_from: Annotated[int | None, typer.Option(help="Moves of this year or later.")] = None,
    year_to: Annotated[int | None, typer.Option(help="Moves of this year or earlier.")] = None,
    resolved_only: Annotated[bool, typer.Option(help="Only inventors with a resolved entity (i:…).")] = False,
    json_out: bool = False,
) -> None:
    """Inflow and outflow of inventors by region or industry. 人才流入流出。"""
    data = cockpit.talent_flows(by=by, level=level, year_from=year_from, year_to=year_to, resolved_only=resolved_only)
    if json_out:
        return dump(data)
    t = texts(cockpit.settings)
    table = Table(t("graph.col.key"), t("graph.col.name"), t("graph.col.inflow"), t("graph.col.outflow"),
                  t("graph.col.within"), t("graph.col.net"),
                  title=t("graph.talent.flows_title", events=f"{data['events']:,}", by=t(f"graph.talent.by_{by}")))
    for r in data["rows"]:
        table.add_row(t("answer.unknown") if r["key"] == "unknown" else r["key"], r["name"] or MISSING,
                      f"{r['inflow']:,}", f"{r['outflow']:,}", f"{r['within']:,}", f"{r['net']:+,}")
    table_console().print(table)


@talent_app.command("key")
@command_options()
def key_inventors(
    cockpit: Cockpit,
    ipc: Annotated[str | None, typer.Option(help="The field as an IPC prefix (H04N, G06F 16).")] = None,
    sei: Annotated[str | None, typer.Option(help="The field as an SEI branch or industry (1.2, 1).")] = None,
    top: Annotated[int, typer.Option(help="Inventors listed.")] = 20,
    json_out: bool = False,
) -> None:
    """Key inventors of a field: co-invention centrality and high-value share. 领域核心发明人。"""
    if not ipc and not sei:
        raise fail(texts(cockpit.settings)("graph.talent.no_field"))
    data = cockpit.talent_key_inventors(ipc=ipc, sei=sei, top=top)
    if json_out:
        return dump(data)
    t = texts(cockpit.settings)
    table = Table(t("graph.col.rank"), t("graph.col.inventor"), t("graph.col.documents"), t("graph.col.degree"),
                  t("graph.col.pagerank"), t("graph.col.betweenness"), t("graph.col.high_value"),
                  t("graph.col.share"),
                  title=t("graph.talent.key_title", field=ipc or sei, inventors=f"{data['inventors']:,}",
                          documents=f"{data['documents']:,}"))
    for r in data["rows"]:
        hv = f"{r['high_value_yes']}/{r['high_value_no']}/{r['high_value_unknown']}"
        share = MISSING if r["high_value_share"] is None else f"{r['high_value_share']:.0%}"
        table.add_row(str(r["rank"]), r["name"], f"{r['documents']:,}", f"{r['degree']:,}", f"{r['pagerank']:.6f}",
                      f"{r['betweenness']:.6f}", hv, share)
    table_console().print(table)
    err.print(t("graph.talent.high_value_note"))


@talent_app.command("team")
@command_options()
def team(
    cockpit: Cockpit,
    inventor: Annotated[str, typer.Argument(help="An inventor entity id (i:…, n:…) or name as written.")],
    limit: Annotated[int, typer.Option(help="Co-inventors listed; 0 for all.")] = 50,
    json_out: bool = False,
) -> None:
    """The team around an inventor: co-inventors and their employers. 发明人团队。"""
    data = cockpit.talent_team(inventor, limit)
    if json_out:
        return dump(data)
    t = texts(cockpit.settings)
    who = data["inventor"]
    table = Table(t("graph.col.inventor"), t("graph.col.documents"), t("graph.col.years"), t("graph.col.employer"),
                  title=t("graph.talent.team_title", name=who["name"], id=who["entity_id"],
                          total=f"{data['coinventors_total']:,}"))
    for r in data["coinventors"]:
        table.add_row(r["name"], f"{r['documents']:,}", _years(r["first_year"], r["last_year"]),
                      r["employer_name"] or MISSING)
    table_console().print(table)


@talent_app.command("employers")
@command_options()
def employers(
    cockpit: Cockpit,
    inventor: Annotated[str, typer.Argument(help="An inventor entity id (i:…, n:…) or name as written.")],
    json_out: bool = False,
) -> None:
    """An inventor's employers over time and its moves. 发明人任职经历。"""
    data = cockpit.talent_employers(inventor)
    if json_out:
        return dump(data)
    t = texts(cockpit.settings)
    who = data["inventor"]
    table = Table(t("graph.col.employer"), t("graph.col.from"), t("graph.col.to"), t("graph.col.documents"),
                  title=t("graph.talent.employers_title", name=who["name"], id=who["entity_id"]))
    for s in data["employers"]:
        table.add_row(s["org_name"], str(s["first_day"]), str(s["last_day"]), f"{s['documents']:,}")
    table_console().print(table)
    if data["events"]:
        _events(data["events"], t, t("graph.talent.moves"))


def register(app: typer.Typer) -> None:
    app.add_typer(graph_app, name="graph")
