"""The ``nav`` commands: the analyst's tools of patent navigation (docs/navigation.md, "Analyst tools").

``nav presets`` the preset industries and the saved definitions; ``nav define FILE.json`` save a definition;
``nav resolve INDUSTRY`` its documents per reason; ``nav sample INDUSTRY -n N`` documents to mark in or out;
``nav check INDUSTRY [--marks FILE.csv]`` recall and precision on the marks; ``nav tree INDUSTRY`` the decomposition
tree with its sizes, or one edit of it (``--add/--rename/--move/--delete/--set-parts``); ``nav mark INDUSTRY DOC
[BRANCH] [--out]`` a mark; ``nav suggest INDUSTRY`` the next documents to mark; ``nav tag INDUSTRY`` the members no
branch reaches, tagged from the marks. Each makes one call on :class:`ipcockpit.navigation.analyst.AnalystTools`;
``--json`` prints the data itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ipcockpit.app import Cockpit
from ipcockpit.cli.options import MISSING, command_options, dump, err, fail, table_console, texts, when
from ipcockpit.navigation.analyst import AnalystTools, read_marks_csv

nav_app = typer.Typer(help="Patent navigation: industry definitions, decomposition trees, marks. 专利导航分析工具。",
                      no_args_is_help=True)

IndustryArg = Annotated[str, typer.Argument(help="An industry: a preset id (nev, ngit, smart_equipment, health, "
                                            "...) or a saved definition's id.")]
AnalystOption = Annotated[str | None, typer.Option("--analyst", help="The analyst's name (kept with the edit or "
                                                   "mark).")]


def tools(cockpit: Cockpit) -> AnalystTools:
    """The analyst's tools of ``cockpit``."""
    return cockpit.navigation.analyst


def _parts(d: dict[str, Any]) -> str:
    items = [f"SEI {', '.join(d['sei_branches'])}" if d.get("sei_branches") else "",
             f"IPC {', '.join(d['ipc'])}" if d.get("ipc") else "", f"CPC {', '.join(d['cpc'])}" if d.get("cpc") else "",
             f"kw {', '.join(d['keywords'])}" if d.get("keywords") else "",
             f"query {d['query']}" if d.get("query") else "", f"seeds {len(d['seeds'])}" if d.get("seeds") else ""]
    return "; ".join(x for x in items if x) + (f" ({d['combine']})" if d.get("combine") == "all" else "")


@nav_app.command("presets")
@command_options()
def presets(cockpit: Cockpit, json_out: bool = False) -> None:
    """The preset industries and the saved definitions. 预设产业与已保存的产业界定。"""
    data = tools(cockpit).definitions()
    if json_out:
        dump(data)
        return
    t = texts(cockpit.settings)
    table = Table(t("nav.analyst.id"), t("nav.analyst.industry"), t("nav.analyst.parts"), t("nav.analyst.saved"))
    for d in data["presets"]:
        table.add_row(d["id"], f"{d['name_zh']} / {d['name_en']}", _parts(d), t("answer.yes" if d["saved"] else
                                                                                 "answer.no"))
    for d in data["saved"]:
        if d["id"] not in {p["id"] for p in data["presets"]}:
            table.add_row(d["id"], f"{d['name_zh']} / {d['name_en']}", _parts(d),
                          f"{d.get('saved_by') or MISSING} {when(cockpit.settings, d['saved_at'])}")
    table_console().print(table)


@nav_app.command("define")
@command_options()
def define(cockpit: Cockpit, path: Annotated[Path, typer.Argument(help="A definition as JSON: {id, name_zh, name_en, "
                                                                  "sei_branches, ipc, cpc, keywords, query, seeds, "
                                                                  "combine}.")],
           analyst: AnalystOption = None, json_out: bool = False) -> None:
    """Save an industry definition (checked first; a preset's id replaces the preset). 保存产业界定。"""
    saved = tools(cockpit).save_definition(path.read_text(encoding="utf-8-sig"), analyst)
    if json_out:
        dump(saved)
        return
    err.print(texts(cockpit.settings)("nav.analyst.saved_definition", id=saved["id"], name=saved["name_zh"]))


@nav_app.command("resolve")
@command_options()
def resolve(cockpit: Cockpit, industry: IndustryArg, json_out: bool = False) -> None:
    """The documents of an industry, per reason, and the parts that gave none. 产业界定的文献数（按匹配原因）。"""
    data = tools(cockpit).resolve(industry)
    if json_out:
        dump(data)
        return
    t = texts(cockpit.settings)
    console = table_console()
    console.print(t("nav.analyst.resolved", name=data["name_zh"], documents=data["documents"],
                    seconds=data["seconds"]))
    if data["empty_reason"]:
        console.print(t(data["empty_reason"], **data["empty_params"]))
    table = Table(t("nav.analyst.reason"), t("nav.analyst.documents"))
    for reason, n in data["counts"].items():
        table.add_row(reason, str(n))
    for reason in data["empty_parts"]:
        table.add_row(reason, "0")
    console.print(table)
    for note in data["notes"]:
        console.print(t(note))


@nav_app.command("sample")
@command_options()
def sample(cockpit: Cockpit, industry: IndustryArg,
           n: Annotated[int, typer.Option("-n", "--n", help="How many documents.")] = 20,
           seed: Annotated[int, typer.Option(help="The same seed draws the same documents.")] = 0,
           json_out: bool = False) -> None:
    """Documents to mark in or out of the industry: half members, half near misses. 待标注样本。"""
    _documents(cockpit, tools(cockpit).sample(industry, n, seed), json_out)


def _documents(cockpit: Cockpit, rows: list[dict[str, Any]], json_out: bool) -> None:
    if json_out:
        dump(rows)
        return
    t = texts(cockpit.settings)
    table = Table(t("nav.analyst.doc"), t("nav.analyst.group"), t("nav.analyst.title"), t("nav.analyst.reason"),
                  t("nav.analyst.marked"))
    for r in rows:
        marked = ", ".join(r.get("marked_branches") or []) or (MISSING if r.get("relevant") is None else t(
            "nav.analyst.in" if r["relevant"] else "nav.analyst.out"))
        table.add_row(r["doc_id"], t(f"nav.analyst.group.{r['group']}"), r.get("title") or MISSING,
                      r.get("reasons") or MISSING, marked)
    table_console().print(table)


@nav_app.command("check")
@command_options()
def check(cockpit: Cockpit, industry: IndustryArg,
          marks: Annotated[Path | None, typer.Option("--marks", help="A CSV of doc_id,relevant (yes/no) to check "
                                                     "against (default: the marks kept in the store).")] = None,
          json_out: bool = False) -> None:
    """Recall and precision of the definition on the analyst's marks. 产业界定的查全率与查准率。"""
    given = read_marks_csv(marks.read_text(encoding="utf-8-sig")) if marks is not None else None
    data = tools(cockpit).check(industry, given)
    if json_out:
        dump(data)
        return
    t = texts(cockpit.settings)
    table = Table(t("nav.analyst.figure"), t("nav.analyst.value"))

    def share(v: float | None, ci: Any) -> str:
        return MISSING if v is None else f"{v:.1%} ({ci[0]:.1%}–{ci[1]:.1%})"

    for key in ("marked", "true_positives", "false_positives", "false_negatives", "true_negatives"):
        table.add_row(t(f"nav.analyst.{key}"), str(data[key]))
    table.add_row(t("nav.analyst.recall"), share(data["recall"], data["recall_ci95"]))
    table.add_row(t("nav.analyst.precision"), share(data["precision"], data["precision_ci95"]))
    table_console().print(table)
    for key in ("false_positive_ids", "false_negative_ids", "unknown_ids"):
        if data[key]:
            err.print(f"{t('nav.analyst.' + key)}: {' '.join(data[key])}")


@nav_app.command("tree")
@command_options()
def tree(cockpit: Cockpit, industry: IndustryArg,
         add: Annotated[str | None, typer.Option("--add", help="Add a branch of this id (with --parent, --name).")
                        ] = None,
         rename: Annotated[str | None, typer.Option("--rename", help="Rename this branch (with --name).")] = None,
         move: Annotated[str | None, typer.Option("--move", help="Move this branch (with --parent).")] = None,
         delete: Annotated[str | None, typer.Option("--delete", help="Delete this branch and all under it.")] = None,
         set_parts: Annotated[str | None, typer.Option("--set-parts", help="Set this branch's parts (with --parts)."
                                                       )] = None,
         parent: Annotated[str | None, typer.Option("--parent", help="The parent branch.")] = None,
         name: Annotated[str | None, typer.Option("--name", help="The Chinese name.")] = None,
         name_en: Annotated[str | None, typer.Option("--name-en", help="The English name.")] = None,
         parts: Annotated[str | None, typer.Option("--parts", help="JSON: {\"ipc\": [\"H01M10*\"], \"keywords\": "
                                                   "[...], \"sei\": [...], \"cpc\": [...]}.")] = None,
         sizes: Annotated[bool, typer.Option("--sizes/--no-sizes", help="Count the documents of each branch.")
                          ] = True,
         analyst: AnalystOption = None, json_out: bool = False) -> None:
    """The decomposition tree with its branch sizes, or one edit of it (audited). 技术分解表：查看与编辑。"""
    t = texts(cockpit.settings)
    chosen = [(a, b) for a, b in (("add", add), ("rename", rename), ("move", move), ("delete", delete),
                                  ("parts", set_parts)) if b]
    if len(chosen) > 1:
        raise fail(t("nav.analyst.one_edit"))
    tl = tools(cockpit)
    if chosen:
        action, branch = chosen[0]
        done = tl.edit(industry, action, analyst, branch=branch, parent=parent, name_zh=name, name_en=name_en,
                       parts=parts)
        if json_out:
            dump(done)
            return
        err.print(t("nav.analyst.edited", action=t(f"nav.analyst.action.{action}"), branch=branch))
        return
    data = tl.tree(industry, sizes=sizes)
    if json_out:
        dump(data)
        return
    table = Table(t("nav.analyst.branch"), t("nav.analyst.id"), t("nav.analyst.total"), t("nav.analyst.own"),
                  t("nav.analyst.marks"), t("nav.analyst.parts"))
    for b in data["branches"]:
        parts_text = "; ".join(f"{k} {', '.join(v[:4])}{'…' if len(v) > 4 else ''}" for k, v in b["parts"].items())
        table.add_row("  " * b["depth"] + b["name_zh"], b["id"], MISSING if b["total"] is None else str(b["total"]),
                      MISSING if b["documents"] is None else str(b["documents"]), str(b["marks"]), parts_text)
    console = table_console()
    console.print(table)
    if data["members"] is not None:
        console.print(t("nav.analyst.tree_members", members=data["members"], unassigned=data["unassigned"]))


@nav_app.command("mark")
@command_options()
def mark(cockpit: Cockpit, industry: IndustryArg, doc: Annotated[str, typer.Argument(help="A document's doc_id.")],
         branch: Annotated[str | None, typer.Argument(help="The branch it belongs to (leave out with --in/--out).")
                           ] = None,
         relevant: Annotated[bool | None, typer.Option("--in/--out", help="In or out of the industry (no branch).")
                             ] = None,
         remove: Annotated[bool, typer.Option("--remove", help="Take the mark back.")] = False,
         analyst: AnalystOption = None, json_out: bool = False) -> None:
    """Mark a document: in a branch (a tagger example), or in/out of the industry (the check). 标注文献。"""
    tl = tools(cockpit)
    t = texts(cockpit.settings)
    if remove:
        done = tl.unmark(industry, doc, branch)
    else:
        done = tl.mark(industry, doc, branch, relevant, analyst)
    if json_out:
        dump(done)
        return
    key = "nav.analyst.unmarked" if remove else "nav.analyst.marked_branch" if branch else (
        "nav.analyst.marked_in" if relevant else "nav.analyst.marked_out")
    err.print(t(key, doc=doc, branch=branch or "", industry=industry))


@nav_app.command("suggest")
@command_options()
def suggest(cockpit: Cockpit, industry: IndustryArg,
            n: Annotated[int, typer.Option("-n", "--n", help="How many documents.")] = 10,
            json_out: bool = False) -> None:
    """The next documents to mark (the tagger's queue when this build has it, else a sample). 下一批待标注文献。"""
    data = tools(cockpit).suggest(industry, n)
    if json_out:
        dump(data)
        return
    if data["note"]:
        err.print(texts(cockpit.settings)(data["note"]))
    _documents(cockpit, data["documents"], False)


@nav_app.command("tag")
@command_options()
def tag(cockpit: Cockpit, industry: IndustryArg,
        multi_label: Annotated[bool, typer.Option("--multi-label", help="Several branches per document.")] = False,
        json_out: bool = False) -> None:
    """Tag the members no branch reaches, learning from the marks. 用标注样本为未归类文献分配分支。"""
    data = tools(cockpit).tag_members(industry, multi_label)
    if json_out:
        dump(data)
        return
    t = texts(cockpit.settings)
    err.print(t("nav.analyst.tagged", tagged=data["tagged"], untagged=data["untagged"], examples=data["examples"]))
    table = Table(t("nav.analyst.branch"), t("nav.analyst.documents"))
    for b, k in data["per_branch"].items():
        table.add_row(b, str(k))
    table_console().print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(nav_app, name="nav")
