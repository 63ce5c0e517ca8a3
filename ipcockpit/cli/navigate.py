"""``ipcockpit navigate INDUSTRY``: the patent navigation report (专利导航报告) of an industry preset, built on
the store, saved as its next edition, and written as HTML, PDF, Word and the data appendix (CSV, XLSX);
``--edition N`` writes a saved edition again instead (docs/navigation.md, "Reports")."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ipcockpit.app import Cockpit
from ipcockpit.cli.options import command_options, dump, err, fail, texts, when
from ipcockpit.cli.progress import Progress
from ipcockpit.navigation.report import cell
from ipcockpit.settings import Settings


def _out(flag: str, what: str) -> Any:
    return typer.Option(flag, help=f"Write the report {what} to this file.", dir_okay=False)


def _usage(industry: str = "", edition: int | None = None, *, settings: Settings, **_: object) -> None:
    db = str(settings.db)
    if db != ":memory:" and not Path(db).is_file():
        raise fail(f"no store at {db}: load data first (`ipcockpit ingest FILE --db {db}`)")
    if edition is not None and edition < 1:
        raise fail("--edition: give an edition number (1, 2 …; `ipcockpit navigate INDUSTRY --editions` lists them)")


@command_options(opens="write", check=_usage)
def navigate(
    cockpit: Cockpit,
    industry: Annotated[str, typer.Argument(help="Industry preset id: nev, ngit, smart_equipment, health, "
                                                 "smart_control, ev_intelligent, optoelectronic, animation, tcm, "
                                                 "elderly_care.")],
    region: Annotated[str | None, typer.Option("--region", help="GB/T 2260 code of the region "
                                                               "(the Chongqing and district levels).")] = None,
    html: Annotated[Path | None, _out("--html", "as HTML (stands alone, charts drawn by ECharts)")] = None,
    pdf: Annotated[Path | None, _out("--pdf", "as PDF")] = None,
    docx: Annotated[Path | None, _out("--docx", "as Word (.docx)")] = None,
    csv: Annotated[Path | None, _out("--csv", "'s data appendix as CSV")] = None,
    xlsx: Annotated[Path | None, _out("--xlsx", "'s data appendix as Excel")] = None,
    edition: Annotated[int | None, typer.Option("--edition", help="Write this saved edition instead of building "
                                                                 "a new one.")] = None,
    editions: Annotated[bool, typer.Option("--editions", help="List the saved editions and what the latest "
                                                             "changed.")] = False,
    lang: Annotated[str | None, typer.Option("--lang", help="zh-CN or en (default: the setting language).")] = None,
    json_out: bool = False,
) -> None:
    """Build a patent navigation report, save it as an edition, write it as HTML/PDF/Word/CSV/XLSX. 专利导航报告。"""
    nav = cockpit.navigation
    t = texts(cockpit.settings)
    if editions:
        listed = nav.editions(industry, region)
        changes = nav.diff(industry, region) if listed else None
        if json_out:
            dump({"editions": listed, "changes": changes})
            return
        for e in listed:
            typer.echo(f"{e['edition']}\t{when(cockpit.settings, e['created_at'])}")
        if changes and changes["from"] is None:
            typer.echo(t("nav.changes.first", edition=changes["to"], new=cell(changes["documents"]["new"])))
        elif changes:
            typer.echo(t("nav.changes.summary", edition=changes["to"], since=changes["from"],
                         added=len(changes["added"]), removed=len(changes["removed"]),
                         changed=len(changes["changed"]), unchanged=changes["unchanged"],
                         old=cell(changes["documents"]["old"]), new=cell(changes["documents"]["new"])))
        return
    outputs = [(fmt, path) for fmt, path in (("html", html), ("pdf", pdf), ("docx", docx), ("csv", csv),
                                              ("xlsx", xlsx)) if path is not None]
    with Progress(err, t, live=False if json_out else None) as progress:
        if edition is not None:
            report = nav.edition(industry, region, edition)
        else:
            progress.update("build", t("nav.cli.building"), 0, 1)
            report = nav.build(industry, region, lang)
            progress.update("build", t("nav.cli.building"), 1, 1)
        for i, (fmt, path) in enumerate(outputs):
            progress.update("write", t("nav.cli.writing"), i, len(outputs), note=path.name)
            path.write_bytes(nav.render(report, fmt, lang))
        if outputs:
            progress.update("write", t("nav.cli.writing"), len(outputs), len(outputs))
    if json_out:
        dump(report)
        return
    err.print(t("nav.cli.done", edition=report.get("edition") or "–", documents=report["industry"]["documents"],
                files=", ".join(str(p) for _, p in outputs) or "–"), markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(navigate)
