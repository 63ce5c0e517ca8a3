"""The search commands: ``index`` (建立检索索引), ``search`` (专利检索) and ``fto`` (侵权风险筛查)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ipcockpit.app import Cockpit
from ipcockpit.cli.handover import hands_over
from ipcockpit.cli.options import command_options, dump, err, fail, texts, when
from ipcockpit.cli.progress import Progress
from ipcockpit.i18n import Translator

MODES = ("hybrid", "lexical", "semantic")
ENGINES = ("local", "spark")


def stage_label(stage: str, t: Translator) -> str:
    """``embed:en`` -> ``向量化 (en)``: a stage of the index build, in the command line's language."""
    name, _, space = stage.partition(":")
    key = f"cli.stage_{name}"
    label = t(key) if t.has(key) else name
    return f"{label} ({space})" if space else label


def _index_with_progress(cockpit: Cockpit, rebuild: bool, engine: str, staging: str | None) -> dict[str, Any]:
    """Build the indexes with progress on stderr: a bar on a terminal, plain lines under a pipe or in a log;
    the stages that count documents show documents/s and the time left."""
    t = texts(cockpit.settings)
    with Progress(err, t) as progress:

        def tick(stage: str, done: int, total: int) -> None:
            unit = t("cli.unit_docs") if stage.split(":")[0] in ("lexical", "embed") else ""
            progress.update(stage, stage_label(stage, t), done if total else 1, max(total, 1), unit=unit)

        return cockpit.index(progress=tick, rebuild=rebuild, engine=engine, staging=staging)


def _index_usage(engine: str = "local", settings: Any = None, **_: object) -> None:
    if engine not in ENGINES:
        raise fail(texts(settings)("cli.index_engine_unknown", engine=engine))


@hands_over  # a live server holding the store builds the indexes (ipcockpit.cli.handover)
@command_options(check=_index_usage)
def index(
    cockpit: Cockpit,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Drop the indexes and embed everything again.")] = False,
    status: Annotated[bool, typer.Option("--status", help="Only say what is indexed and embedded, what is "
                                                          "pending or stale, and an unfinished build's progress.")
                      ] = False,
    engine: Annotated[str, typer.Option("--engine", help="Where the documents are embedded: local (this "
                                                         "process) or spark (docs/search.md \"Spark\").")] = "local",
    spark_dir: Annotated[str | None, typer.Option("--spark-dir", help="Staging folder of the pending texts and "
                                                                      "vector parts (with --engine spark on a "
                                                                      "cluster: one every executor sees).")] = None,
    json_out: bool = False,
) -> None:
    """Build or update the search and FTO claim indexes (incremental; an interrupted build resumes). 建立检索索引。"""
    if status:
        data = cockpit.index_status(detail=True)
    elif json_out:
        data = cockpit.index(rebuild=rebuild, engine=engine, staging=spark_dir)
    else:
        data = _index_with_progress(cockpit, rebuild, engine, spark_dir)
    if json_out:
        dump(data)
        return
    t = texts(cockpit.settings)
    table = Table(t("cli.col.index"), t("cli.col.count"))
    if status:
        table.add_row(t("cli.index.documents"), str(data["documents"]))
        table.add_row(t("cli.index.full_text"), str(data["lexical"]))
        for space, n in data["vectors"].items():
            table.add_row(t("cli.index.vectors", space=space), str(n))
        for space, n in data["claims"].items():
            table.add_row(t("cli.index.claims", space=space), str(n))
        Console().print(table)
        _print_embedding(data, t)
        built = when(cockpit.settings, data["built_at"])
        err.print(t("cli.index_built", folder=data["folder"], built=built) if data["exists"]
                  else t("cli.index_none", folder=data["folder"]), markup=False)
        return
    docs, claims = data["documents"], data["claims"]
    table.add_row(t("cli.index.documents"), str(docs["documents"]))
    table.add_row(t("cli.index.embedded"), str(docs["embedded"]))
    if docs.get("resumed"):
        table.add_row(t("cli.index_resumed"), str(docs["resumed"]))
    table.add_row(t("cli.index.lexical_updated"), str(docs["lexical_updated"]))
    table.add_row(t("cli.index.removed"), str(docs["removed"]))
    for space, c in claims["spaces"].items():
        table.add_row(t("cli.index.claims", space=space), f"{c['claims']} (+{c['added']} -{c['removed']})")
    Console().print(table)
    err.print(t("cli.index_done", folder=data["folder"], seconds=f"{docs['seconds'] + claims['seconds']:.1f}"),
              markup=False)


def _print_embedding(data: dict[str, Any], t: Translator) -> None:
    """``index --status``: per space what is embedded, pending and stale, and an unfinished build."""
    embedding = data.get("embedding")
    if embedding is None:
        err.print(t("cli.index_store_held"))
    else:
        cols = ("space", "model", "documents", "embedded", "pending", "stale", "checkpointed")
        table = Table(*(t(f"cli.index_col_{c}") for c in cols))
        for space, row in embedding["spaces"].items():
            model = row["model"]
            if row["index_model"] and row["index_model"] != model:
                model = t("cli.index_model_changed", model=model, old=row["index_model"])
            table.add_row(space, model, *(f"{row[c]:,}" for c in cols[2:]))
        Console().print(table)
        if embedding["removed"]:
            err.print(t("cli.index_removed", count=f"{embedding['removed']:,}"))
    partial = data.get("partial")
    if partial is None:
        return
    if partial["embedded"] is None:
        err.print(t("cli.index_partial_unknown", engine=partial["engine"], started=partial["started"],
                    staging=partial["staging"]))
        return
    err.print(t("cli.index_partial", engine=partial["engine"], started=partial["started"],
                updated=partial["updated"] or "-", done=f"{sum(partial['embedded'].values()):,}",
                total=f"{sum(partial['to_embed'].values()):,}"))


def _search_usage(mode: str = "hybrid", **_: object) -> None:
    if mode not in MODES:
        raise fail(f"--mode {mode!r}: use one of {', '.join(MODES)}")


@command_options(check=_search_usage)
def search(
    cockpit: Cockpit,
    query: Annotated[str, typer.Argument(help="Words, a claim, or a publication number (then: that patent and "
                                              "documents like it).")],
    limit: Annotated[int, typer.Option("--limit", help="At most this many results per page.")] = 10,
    page: Annotated[int, typer.Option("--page", min=1, help="Page of results, from 1.")] = 1,
    weaker: Annotated[bool, typer.Option("--weaker", help="Also list the matches below the relevance "
                                                          "floors, after the relevant ones.")] = False,
    mode: Annotated[str, typer.Option("--mode", help="hybrid, lexical or semantic.")] = "hybrid",
    office: Annotated[list[str] | None, typer.Option("--office", help="Office code (CN, US ...); repeatable.")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="Published on or after (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Published on or before (YYYY-MM-DD).")] = None,
    ipc: Annotated[str | None, typer.Option("--ipc", help="IPC code prefix (G06F, G06F 16/).")] = None,
    cpc: Annotated[str | None, typer.Option("--cpc", help="CPC code prefix.")] = None,
    industry: Annotated[str | None, typer.Option("--industry", help="SEI 2021 industry code (1, 1.2).")] = None,
    in_force: Annotated[bool, typer.Option("--in-force", help="Only documents known to be in force.")] = False,
    applicant: Annotated[str | None, typer.Option("--applicant", help="Part of an applicant's name.")] = None,
    json_out: bool = False,
) -> None:
    """Hybrid search: full text and meaning, with passages. 专利检索（全文＋语义）。"""
    filters = {"office": office or None, "date_from": date_from, "date_to": date_to, "ipc": ipc, "cpc": cpc,
               "industry": industry, "in_force": True if in_force else None, "applicant": applicant}
    data = cockpit.search_page(query, limit=limit, mode=mode, filters=filters, page=page,
                               weaker=weaker)  # the data of /search.json
    if json_out:
        dump(data)
        return
    say = texts(cockpit.settings)  # the command line's language (setting `language`)
    number = data["number"]
    if number and not number["found"]:
        err.print(say("search.number_missing", query=number["query"]))
        return
    if number:
        doc = number["document"] or {}
        Console().print(f"{number['doc_id']}  {doc.get('title') or ''}")
    rows = data["results"]
    table = Table("#", *(say(f"cli.col.{c}") for c in ("publication", "title", "score", "lexical", "semantic",
                                                         "passage")))
    table.columns[1].no_wrap = True
    for i, r in enumerate(rows, start=data["first"]):
        title = (r.get("title") or "")[:50] + ("" if r["relevant"] else f" ({say('search.weaker_badge')})")
        table.add_row(str(i), r["publication_number"], title, f"{r['score']:.4f}",
                      _rank(r.get("lexical_rank")), _rank(r.get("semantic_rank")), (r.get("passage") or "")[:160])
    if rows:
        Console().print(table)
    if data["total"]:
        key = "search.cli_total" if data["total_exact"] else "search.cli_total_at_least"
        err.print(say(key, total=data["total"], first=data["first"], last=data["last"], page=data["page"],
                      pages=data["pages"]))
    elif data["best"]:
        best = data["best"]
        err.print(say("search.no_relevant", patent=best["doc_id"], score=f"{best['calibrated']:.2f}",
                      floor=f"{best['floor']:.2f}"))
    else:
        err.print(say("search.no_results"))
    if data["weaker"] and not weaker:
        err.print(say("search.cli_weaker", count=data["weaker"]))


def _rank(value: int | None) -> str:
    return "-" if value is None else str(value)


def read_description(value: str) -> str:
    """The product description: the text itself, or the content of the file it names (UTF-8 or GB18030)."""
    try:
        path = Path(value)
        is_file = len(value) < 1024 and "\n" not in value and path.is_file()
    except OSError:  # a long text is no file name
        is_file = False
    if not is_file:
        return value
    content = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise typer.BadParameter(f"{path}: not UTF-8 or GB18030 text; save the description as UTF-8")


@command_options()
def fto(
    cockpit: Cockpit,
    text: Annotated[str, typer.Argument(help="The product description, or a file holding it (UTF-8 or GB18030).")],
    jurisdiction: Annotated[list[str] | None, typer.Option("--jurisdiction", help="Office code (CN, US ...); "
                                                           "repeatable; default all.")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Your own applicant name, left out; "
                                                      "repeatable.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many patents; 0 for all analysed.")] = 20,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the PDF report to this file.")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write the HTML report to this file.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of the report: zh-CN or en.")] = "zh-CN",
    weaker: Annotated[bool, typer.Option("--weaker", help="Also list the claims below the relevance floor "
                                                          "(the JSON and HTML report always hold them).")] = False,
    json_out: bool = False,
) -> None:
    """FTO infringement-risk screening of a product description against live claims. 侵权风险筛查。"""
    result = cockpit.fto(read_description(text), jurisdictions=jurisdiction or None,
                         exclude_applicants=[n.strip() for n in exclude or [] if n.strip()] or None, limit=limit)
    for path, fmt in ((pdf, "pdf"), (html, "html")):
        if path is not None:
            report = cockpit.fto_report(result, fmt, lang)
            if isinstance(report, bytes):
                path.write_bytes(report)
            else:
                path.write_text(report, encoding="utf-8")
            err.print(texts(cockpit.settings)("cli.fto_wrote", fmt=fmt.upper(), path=str(path)), markup=False)
    if json_out:
        dump(result)
        return
    say = Translator("en" if lang.lower().startswith("en") else "zh-CN")  # the report's language
    table = Table("#", *(say(f"cli.col.{c}") for c in ("patent", "title", "status", "claim", "elements", "risk",
                                                        "level")))
    table.columns[1].no_wrap = True
    listed = result["results"] + (result.get("weaker", []) if weaker else [])
    for i, r in enumerate(listed, start=1):
        status = r["status_label"] if lang.startswith("en") else r["status_label_zh"]
        level = say(f"fto_report.{r['risk_level']}") if r.get("relevant", True) else say("search.weaker_badge")
        table.add_row(str(i), r["publication_number"], (r.get("title") or "")[:40], status, str(r["claim_num"]),
                      f"{r['elements_matched']}/{r['elements_total']}", f"{r['risk_score']:.0f}", level)
    if listed:
        Console().print(table)
    relevance = result.get("relevance") or {}
    best = relevance.get("best")
    if not result["results"] and best:
        err.print(say("fto_report.no_relevant", patent=best["publication_number"], claim=best["claim_num"],
                      found=best["elements_matched"], total=best["elements_total"],
                      technical=f"{best['technical']:.2f}", floor=f"{relevance['floor']:.2f}"))
    if relevance.get("weaker") and not weaker:
        err.print(say("fto_report.weaker", count=relevance["weaker"], floor=f"{relevance['floor']:.2f}")
                  + " (--weaker)")
    s = result["summary"]
    disclaimer = result["disclaimer"]["en" if lang.lower().startswith("en") else "zh"]
    err.print(say("cli.fto_summary", high=s["high"], medium=s["medium"], low=s["low"], candidates=s["candidates"],
                  analysed=s["analysed"], disclaimer=disclaimer), markup=False)


def register(app: typer.Typer) -> None:
    for command in (index, search, fto):
        app.command()(command)
