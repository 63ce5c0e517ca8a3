"""The cockpit commands: ``cockpit`` (the plan's indicators, 规划指标驾驶舱) and ``report`` (填报指标数据)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ipcockpit.app import Cockpit
from ipcockpit.cli.options import command_options, dump, err, fail

RegionOption = Annotated[str | None, typer.Option("--region", help="GB/T 2260 code of the region (default 500120).")]
YearOption = Annotated[int | None, typer.Option("--year", help="Year (default: this year, at most the target year).")]


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


@command_options()
def cockpit_cmd(cockpit: Cockpit, region: RegionOption = None, year: YearOption = None, json_out: bool = False) -> None:
    """The plan's indicators against baseline and target. 规划指标驾驶舱。"""
    data = cockpit.cockpit(region, year)
    if json_out:
        dump(data)
        return
    reg = data["region"]
    table = Table("indicator 指标", "value 当前值", "year", "source", "records", "baseline 基期", "target 目标",
                  "progress", "forecast 预测", "status 状态", title=f"{reg['name']} {reg['code']} ({data['year']})")
    for c in data["indicators"]:
        fc = c["forecast"]
        table.add_row(c["name"], "-" if c["value"] is None else f"{c['value']:g} {c['unit']}", str(c["year"]),
                      c["source"] or "-", "-" if c["records"] is None else str(c["records"]),
                      _num(c["baseline"]), _num(c["target"]),
                      "-" if c["progress"] is None else f"{c['progress']:.0%}",
                      "-" if fc is None else f"{fc['value']:g} ({fc['method']})", c["status"] or "-")
    Console().print(table)
    for c in data["indicators"]:
        if c["reason"]:
            err.print(f"{c['id']}: {c['reason']}")
        if c["progress"] is None and c["value"] is not None and c.get("progress_reason"):
            err.print(f"{c['id']}: progress unknown: {c['progress_reason']}")


def _report_usage(indicator: str | None = None, value: float | None = None, year: int | None = None,
                  source: str | None = None, by: str | None = None, csv_file: Path | None = None,
                  plan: bool = False, **_: object) -> None:
    if not (plan or csv_file is not None or (indicator and value is not None and year and source and by)):
        raise fail("give INDICATOR VALUE --year Y --source DOC --by WHO, or --csv FILE, or --plan "
                   "(see `ipcockpit report --help`)")


@command_options(opens="write", check=_report_usage)
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
    table = Table("region", "indicator", "year", "value", "source", "reported by", "reported at")
    for r in rows:
        table.add_row(r["region"], r["indicator"], str(r["year"]), f"{r['value']:g}", r["source_document"],
                      r["reported_by"], str(r["reported_at"]))
    Console().print(table)
    err.print(f"{len(rows)} value(s) reported")


def register(app: typer.Typer) -> None:
    app.command(name="cockpit")(cockpit_cmd)
    app.command()(report)
