"""The cockpit commands: ``cockpit`` (the plan's indicators, 规划指标驾驶舱), ``report`` (填报指标数据) and
``publish`` (发布填报值). What they print for people is in the command line's language (setting
``language``); ``--json`` prints the data itself."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ipcockpit.app import Cockpit
from ipcockpit.cli.options import MISSING, command_options, dump, err, fail, known, texts
from ipcockpit.cockpit.coverage import coverage_short
from ipcockpit.cockpit.reasons import translate
from ipcockpit.cockpit.tables import name_of, number, unit_of
from ipcockpit.i18n import Translator
from ipcockpit.settings import Settings

RegionOption = Annotated[str | None, typer.Option("--region", help="GB/T 2260 code of the region (default 500120).")]
YearOption = Annotated[int | None, typer.Option("--year", help="Year (default: this year, at most the target year).")]


def forecast_text(forecast: dict[str, Any] | None, t: Translator) -> str:
    """``443.83（线性趋势）``: the forecast rounded as on the page, and its method in words."""
    if not forecast:
        return MISSING
    key = f"cockpit.forecast_method_{forecast['method']}"
    method = t(key) if t.has(key) else str(forecast["method"])
    return t("cli.forecast_value", value=number(forecast["value"]), method=method)


def _region_usage(region: str | None = None, *, settings: Settings, **_: object) -> None:
    """An unknown --region (the code of a region profile), said before the store is opened (``report`` and
    ``publish`` would create one), with the regions known: the built-in ones and the setting regions."""
    from ipcockpit.cockpit.profiles import DEFAULT_REGION, list_regions

    if region is None:
        return
    regions = list_regions(settings.regions or None)  # the folders the core reads (Cockpit._region_folders)
    if (region.strip() or DEFAULT_REGION) not in regions:
        t = texts(settings)
        choices = {code: r.name_en if t.lang == "en" else r.name_zh for code, r in sorted(regions.items())}
        raise fail(t("cli.unknown_region", region=region, known=known(choices, t)))


@command_options(check=_region_usage)
def cockpit_cmd(cockpit: Cockpit, region: RegionOption = None, year: YearOption = None,
                published: Annotated[bool, typer.Option("--published", help="Only published reported values: "
                                                        "the figures public visitors see.")] = False,
                json_out: bool = False) -> None:
    """The plan's indicators against baseline and target. 规划指标驾驶舱。"""
    data = cockpit.cockpit(region, year, published_only=published)
    if json_out:
        dump(data)
        return
    t = texts(cockpit.settings)
    lang, reg = t.lang, data["region"]
    name = reg["name_en"] if lang == "en" and reg.get("name_en") else reg["name"]
    table = Table(t("cockpit.indicator"), t("cockpit.value"), t("cockpit.year"), t("cli.cockpit_source"),
                  t("cockpit.records_count"), t("cockpit.baseline", year=reg["baseline_year"]),
                  t("cockpit.target", year=reg["target_year"]), t("cockpit.progress"),
                  t("cockpit.forecast", year=reg["target_year"]), t("cli.cockpit_status"), t("cockpit.coverage"),
                  title=t("cli.cockpit_title", region=name, code=reg["code"], year=data["year"]))
    for c in data["indicators"]:
        value = MISSING if c["value"] is None else f"{number(c['value'])} {unit_of(c, lang)}".strip()
        table.add_row(name_of(c, lang), value, str(c["year"] or MISSING),
                      t(f"cockpit.source_{c['source']}") if c["source"] else MISSING,
                      MISSING if c["records"] is None else f"{c['records']:,}", number(c["baseline"]),
                      number(c["target"]),
                      t("cockpit.progress_unknown") if c["progress"] is None else f"{number(100 * c['progress'], 1)}%",
                      forecast_text(c["forecast"], t), t(f"cockpit.status_{c['status'] or 'none'}"),
                      coverage_short(c.get("coverage"), t))
    Console().print(whole(table))
    for c in data["indicators"]:
        reason = translate(c, "reason", t)
        if reason:
            err.print(t("cli.cockpit_note", name=name_of(c, lang), reason=reason))
        coverage = translate(c.get("coverage") or {}, "reason", t)
        if coverage and coverage != reason:
            err.print(t("cli.cockpit_note", name=name_of(c, lang), reason=coverage))
        progress_reason = translate(c, "progress_reason", t)
        if c["progress"] is None and c["value"] is not None and progress_reason:
            err.print(t("cli.cockpit_note", name=name_of(c, lang), reason=progress_reason))


def _published(cockpit: Cockpit, rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {p["id"]: p for p in cockpit.publication([r["id"] for r in rows])}


def _reported_table(rows: list[dict[str, Any]], publication: dict[int, dict[str, Any]], t: Translator) -> Table:
    """Reported values with their id (what ``publish`` takes) and publication."""
    table = Table("id", t("cockpit.region"), t("cockpit.indicator"), t("cockpit.year"), t("cockpit.value"),
                  t("cockpit.source_document"), t("cockpit.reported_by"), t("cockpit.publication"))
    for r in rows:
        pub = publication.get(r["id"]) or {}
        state = t("cockpit.published_yes" if pub.get("published") else "cockpit.published_no")
        if pub.get("published_by"):
            state = t("cockpit.published_by", state=state, who=pub["published_by"])
        table.add_row(str(r["id"]), r["region"], r["indicator"], str(r["year"]), number(r["value"]),
                      r["source_document"], r["reported_by"], state)
    return whole(table)


def whole(table: Table) -> Table:
    """Cells wrap onto more lines rather than end in '…' on a narrow terminal or a pipe (80 columns): an id
    or a figure cut short is worse than a taller table."""
    for column in table.columns:
        column.overflow = "fold"
    return table


def _report_usage(indicator: str | None = None, value: float | None = None, year: int | None = None,
                  source: str | None = None, by: str | None = None, csv_file: Path | None = None,
                  plan: bool = False, region: str | None = None, *, settings: Settings, **_: object) -> None:
    if not (plan or csv_file is not None or (indicator and value is not None and year and source and by)):
        raise fail("give INDICATOR VALUE --year Y --source DOC --by WHO, or --csv FILE, or --plan "
                   "(see `ipcockpit report --help`)")
    _region_usage(region, settings=settings)


@command_options(opens="write", check=_report_usage, locked="cli.locked_report")
def report(
    cockpit: Cockpit,
    indicator: Annotated[str | None, typer.Argument(help="Indicator id, or population / market_entities.")] = None,
    value: Annotated[float | None, typer.Argument(help="The value, in the indicator's unit.")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Year the value is for.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Source document (a bulletin and its number).")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who reports it (a person or an office).")] = None,
    note: Annotated[str | None, typer.Option("--note", help="A note kept with the value.")] = None,
    basis: Annotated[str | None, typer.Option("--basis", help="Running totals only: total (default) or year "
                                                             "(VALUE is the year's amount).")] = None,
    region: RegionOption = None,
    csv_file: Annotated[Path | None, typer.Option("--csv",
                                                  help="Import a CSV of reported values (all or nothing).")] = None,
    plan: Annotated[bool, typer.Option("--plan", help="Store the plan's baselines as reported values.")] = False,
    json_out: bool = False,
) -> None:
    """Report an indicator value with its source, import a CSV, or store the plan's baselines. 填报指标数据。"""
    if plan:
        rows = cockpit.load_plan_baselines(region)
    elif csv_file is not None:
        rows = cockpit.import_reported(csv_file, region=region, reported_by=by)
    else:  # one value, complete (_report_usage checked it)
        rows = [cockpit.report_value(indicator, year, value, source, by, region=region, note=note, basis=basis)]  # type: ignore[arg-type]
    if json_out:
        dump(rows)
        return
    t = texts(cockpit.settings)
    publication = _published(cockpit, rows)
    Console().print(_reported_table(rows, publication, t))
    err.print(t("cli.reported", count=len(rows)))
    if any(not (publication.get(r["id"]) or {}).get("published") for r in rows):
        err.print(t("cli.reported_unpublished"))


def _publish_usage(ids: list[int] | None = None, indicator: str | None = None, by: str = "",
                   region: str | None = None, *, settings: Settings, **_: object) -> None:
    if not ids and not indicator:
        raise fail("give the ids of reported values (`ipcockpit report` prints them), or --indicator ID "
                   "[--year Y] [--region CODE] for the value in force")
    if not by.strip():
        raise fail("--by: name who publishes (a person or an office)")
    _region_usage(region, settings=settings)


@command_options(opens="write", check=_publish_usage, locked="cli.locked_publish")
def publish(
    cockpit: Cockpit,
    ids: Annotated[list[int] | None, typer.Argument(help="Ids of reported values (`ipcockpit report` and the "
                                                    "reported-values page show them).")] = None,
    by: Annotated[str, typer.Option("--by", help="Who publishes (a person or an office); kept with the "
                                    "publication.")] = "",
    indicator: Annotated[str | None, typer.Option("--indicator", help="Instead of ids: the value in force of "
                                                  "this indicator (every year, or --year).")] = None,
    year: Annotated[int | None, typer.Option("--year", help="With --indicator: only this year.")] = None,
    region: RegionOption = None,
    withdraw: Annotated[bool, typer.Option("--withdraw", help="Withdraw the publication instead.")] = False,
    json_out: bool = False,
) -> None:
    """Publish reported values (or withdraw them): public visitors see published values only. 发布填报值。"""
    if not ids:
        from ipcockpit.cockpit.profiles import DEFAULT_REGION

        code = region or DEFAULT_REGION
        ids = [r["id"] for r in cockpit.reported(code, indicator, year, current_only=True)]
        if not ids:
            raise fail(f"no reported value of {indicator}{f' in {year}' if year else ''} for region {code}; "
                       "`ipcockpit report` reports one")
    publication = {p["id"]: p for p in cockpit.publish(list(ids), by.strip(), published=not withdraw)}
    if json_out:
        dump(list(publication.values()))
        return
    t = texts(cockpit.settings)
    rows = [r for r in cockpit.reported(region) if r["id"] in publication]
    Console().print(_reported_table(rows, publication, t))
    err.print(t("cli.withdrawn" if withdraw else "cli.published", count=len(publication)))


def register(app: typer.Typer) -> None:
    app.command(name="cockpit")(cockpit_cmd)
    app.command()(report)
    app.command()(publish)
