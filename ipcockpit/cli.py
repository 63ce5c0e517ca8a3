"""The command line: each command parses its options and makes one call on the core object."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ipcockpit import cli_search
from ipcockpit.analytics.quality import INFORMATION
from ipcockpit.app import Cockpit
from ipcockpit.errors import IPCockpitError
from ipcockpit.model.flat import arrow_without_pandas
from ipcockpit.settings import load_settings

app = typer.Typer(help="ipcockpit: IP big data for regional IP offices. 知识产权大数据驾驶舱。", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)  # messages stay whole lines when piped

DbOption = Annotated[str | None, typer.Option("--db", help="DuckDB file (default: setting 'db', var/ipcockpit.duckdb).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ConfigOption = Annotated[str | None, typer.Option("--config", help="Settings file (default ipcockpit.yaml if present).")]


def _cockpit(db: str | None, config: str | None = None, read_only: bool = False) -> Cockpit:
    return Cockpit(load_settings(config, db=db), read_only=read_only)


@contextmanager
def _opened(db: str | None, config: str | None = None) -> Iterator[Cockpit]:
    """The core object for one command; an ipcockpit error becomes its message and exit status 2."""
    try:
        with _cockpit(db, config) as cockpit:
            yield cockpit
    except (IPCockpitError, FileNotFoundError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _dump(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (recursive); .zip/.gz/.tar.gz are read.")],
    db: DbOption = None,
    json_out: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Load files into the store. 导入专利数据文件。"""
    arrow_without_pandas()  # this process hands pyarrow no pandas objects: a quarter second saved
    with _opened(db, config) as cockpit:
        if err.is_terminal and not json_out:
            reports = _ingest_with_progress(cockpit, paths)
        else:
            reports = cockpit.ingest(paths)
        checks = cockpit.quality()  # the data-quality step after every ingest
    if json_out:
        _dump([r.as_dict() for r in reports])
    else:
        table = Table("file", "format", "read", "loaded", "quarantined", "merged")
        for r in reports:
            table.add_row(r.file, r.format or "-", str(r.read), str(r.loaded), str(r.quarantined), str(r.merged))
        Console().print(table)
    for r in reports:
        if r.error:
            err.print(f"[yellow]skipped:[/yellow] {r.error}")
        if r.quarantined:
            err.print(f"[yellow]{r.file}: {r.quarantined} record(s) quarantined[/yellow] "
                      f"(`ipcockpit quarantine --file {Path(r.file).name}` lists them with the reason)")
    flagged = {name: c["count"] for name, c in checks.items() if c["count"] and name not in INFORMATION}
    if flagged:
        err.print("data quality 数据质量: " + ", ".join(f"{k} {v}" for k, v in flagged.items())
                  + " (`ipcockpit stats` gives examples)")
    named = {str(p) for p in paths if p.is_file()}
    if any(r.error and r.file in named for r in reports):
        raise typer.Exit(1)  # a file named on the command line could not be read; in folders, unknown files are skipped


@app.command()
def quarantine(
    file: Annotated[str | None, typer.Option("--file", help="Only records of files whose path contains this.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many records.")] = 100,
    db: DbOption = None,
    json_out: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Records that could not be loaded, with file, position, field and reason. 隔离区记录。"""
    with _cockpit(db, config) as cockpit:
        rows = cockpit.quarantine(file, limit)
    if json_out:
        _dump(rows)
        return
    table = Table("file", "position", "field", "reason")
    for r in rows:
        table.add_row(r["path"], r["position"], r["field"] or "", r["reason"])
    Console().print(table)


def _ingest_with_progress(cockpit: Cockpit, paths: list[Path]) -> list[Any]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err) as progress:
        records = progress.add_task("records 记录", total=None)
        files = progress.add_task("files 文件", total=None)

        def on_file(report: Any) -> None:
            progress.advance(files)
            progress.update(records, description=f"records 记录 ({Path(report.file).name})")

        return cockpit.ingest(paths, on_file=on_file, on_record=lambda n: progress.advance(records, n))


@app.command()
def stats(db: DbOption = None, json_out: JsonOption = False, config: ConfigOption = None) -> None:
    """Counts per table, documents by office and year, data quality. 数据统计与质量检查。"""
    with _cockpit(db, config) as cockpit:
        data = cockpit.stats()
    if json_out:
        _dump(data)
        return
    console = Console()
    table = Table("table", "rows")
    for name, n in data["tables"].items():
        table.add_row(name, str(n))
    console.print(table)
    q = Table("check", "count")
    for name, check in data["quality"].items():
        q.add_row(name, str(check["count"]))
    console.print(q)


@app.command()
def export(
    parquet: Annotated[Path, typer.Option("--parquet", help="Folder to write one Parquet file per table into.")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Export every table as Parquet (for Spark or other tools). 导出为 Parquet。"""
    with _cockpit(db, config) as cockpit:
        written = cockpit.export_parquet(parquet)
    err.print(f"wrote {len(written)} files to {parquet}")


@app.command()
def formats(json_out: JsonOption = False) -> None:
    """The input formats ipcockpit recognises. 支持的数据格式。"""
    from ipcockpit.ingest import registry

    rows = [{"name": i.name, "label": i.label, "label_zh": i.label_zh} for i in registry.ingesters()]
    if json_out:
        _dump(rows)
        return
    table = Table("name", "format", "格式")
    for r in rows:
        table.add_row(r["name"], r["label"], r["label_zh"])
    Console().print(table)


@app.command()
def screen(
    db: DbOption = None,
    profile: Annotated[str | None, typer.Option(help="Value-index weight profile (role x stage).")] = None,
    region: Annotated[str | None, typer.Option(help="GB/T 2260 code prefix of the applicant's address.")] = None,
    industry: Annotated[str | None, typer.Option(help="SEI code prefix, e.g. 1 or 1.2.")] = None,
    applicant: Annotated[str | None, typer.Option(help="Part of an applicant's name.")] = None,
    year_from: Annotated[int | None, typer.Option("--year-from", help="Filing year at least.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many patents; 0 for all.")] = 50,
    numbers: Annotated[Path | None, typer.Option("--numbers", help="Portfolio: a file of numbers, one a line.")] = None,
    strict_sei: Annotated[bool, typer.Option("--strict-sei", help="SEI needs IPC and a rule keyword in the text.")] = False,
    maintenance_start: Annotated[str | None, typer.Option(help="Years maintained count from 'filing' or 'grant'.")] = None,
    pledge_threshold: Annotated[float | None, typer.Option(help="Pledge amount (CNY) that counts as high.")] = None,
    sei_scheme: Annotated[str | None, typer.Option(help="ref_ipc_concordance scheme of the SEI table.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Screen as of this date (YYYY-MM-DD; default today).")] = None,
    json_out: JsonOption = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="Print CSV (one row per patent).")] = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write an Excel workbook to this file.")] = None,
    config: ConfigOption = None,
) -> None:
    """High-value invention patent screening with evidence and value index. 高价值发明专利筛选。"""
    from ipcockpit.errors import SettingsError
    from ipcockpit.value.screen import flat_rows, write_xlsx
    from ipcockpit.value.settings import ScreenSettings

    try:
        settings = ScreenSettings().with_overrides(
            strict_sei=strict_sei or None, maintenance_start=maintenance_start, pledge_threshold=pledge_threshold,
            sei_scheme=sei_scheme, as_of=as_of)
    except (SettingsError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    portfolio = None
    if numbers is not None:
        if not numbers.exists():
            err.print(f"[red]error:[/red] {numbers}: file not found; give a text file with one number a line")
            raise typer.Exit(2)
        portfolio = [ln.strip().split(",")[0] for ln in numbers.read_text(encoding="utf-8-sig").splitlines()]
    with _cockpit(db, config) as cockpit:
        rows = cockpit.screen(profile=profile, region=region, industry=industry, applicant=applicant,
                              year_from=year_from, limit=limit, doc_ids=portfolio, settings=settings)
    if xlsx is not None:
        write_xlsx(rows, str(xlsx))
        err.print(f"wrote {len(rows)} patents to {xlsx}")
    if json_out:
        _dump(rows)
    elif csv_out:
        import csv

        flat = flat_rows(rows)
        columns: list[str] = []
        for r in flat:
            columns += [c for c in r if c not in columns]
        writer = csv.DictWriter(sys.stdout, fieldnames=columns or ["publication_number"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(flat)
    elif xlsx is None:
        table = Table("publication", "title", "applicant", "high value", "in force", "index")
        for r in rows:
            vi = r.get("value_index")
            table.add_row(r["publication_number"], (r.get("title") or "")[:40], (r.get("applicant") or "")[:30],
                          str(r["high_value"]), str(r["in_force"]), "-" if vi is None else f"{vi:.1f}")
        Console().print(table)


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    writable: Annotated[bool, typer.Option("--writable", help="Open the store for writing, so that signed-in "
                                           "analysts can report values and writes are audited (no other "
                                           "process may write the file meanwhile).")] = False,
    config: ConfigOption = None,
) -> None:
    """Serve the web app and REST API. 启动网页应用。"""
    import uvicorn

    from ipcockpit.web.server import create_app

    settings = load_settings(config, db=db, host=host, port=port)
    app_ = create_app(settings, read_only=not writable)
    uvicorn.run(app_, host=settings.host, port=settings.port, log_level="info")


RegionOption = Annotated[str | None, typer.Option("--region", help="GB/T 2260 code of the region (default 500120).")]
YearOption = Annotated[int | None, typer.Option("--year", help="Year (default: this year, at most the target year).")]


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


@app.command(name="cockpit")
def cockpit_cmd(
    region: RegionOption = None,
    year: YearOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """The plan's indicators against baseline and target. 规划指标驾驶舱。"""
    with _opened(db, config) as cockpit:
        data = cockpit.cockpit(region, year)
    if json_out:
        _dump(data)
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


@app.command()
def report(
    indicator: Annotated[str | None, typer.Argument(help="Indicator id, or population / market_entities.")] = None,
    value: Annotated[float | None, typer.Argument(help="The value, in the indicator's unit.")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Year the value is for.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Source document (a bulletin and its number).")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who reports it (a person or an office).")] = None,
    note: Annotated[str | None, typer.Option("--note", help="A note kept with the value.")] = None,
    region: RegionOption = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Import a CSV of reported values (all or nothing).")] = None,
    plan: Annotated[bool, typer.Option("--plan", help="Store the plan's baselines as reported values.")] = False,
    db: DbOption = None,
    json_out: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Report an indicator value with its source, import a CSV, or store the plan's baselines. 填报指标数据。"""
    with _opened(db, config) as cockpit:
        if plan:
            rows = cockpit.load_plan_baselines(region)
        elif csv_file is not None:
            rows = cockpit.import_reported(csv_file, region=region, reported_by=by)
        elif indicator and value is not None and year and source and by:
            rows = [cockpit.report_value(indicator, year, value, source, by, region=region, note=note)]
        else:
            err.print("[red]error:[/red] give INDICATOR VALUE --year Y --source DOC --by WHO, or --csv FILE, "
                      "or --plan (see `ipcockpit report --help`)")
            raise typer.Exit(2)
    if json_out:
        _dump(rows)
        return
    table = Table("region", "indicator", "year", "value", "source", "reported by", "reported at")
    for r in rows:
        table.add_row(r["region"], r["indicator"], str(r["year"]), f"{r['value']:g}", r["source_document"],
                      r["reported_by"], str(r["reported_at"]))
    Console().print(table)
    err.print(f"{len(rows)} value(s) reported")


user_app = typer.Typer(help="Users and roles of the web app (admin, analyst, enterprise). 用户与角色。",
                       no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, Chinese characters, _ . @ -).")],
    role: Annotated[str, typer.Option("--role", help="admin, analyst or enterprise.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first "
                                                 "line of standard input instead of prompting.")] = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Add a user; the first admin of a new store is made this way. 添加用户。"""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password 密码", hide_input=True, confirmation_prompt=True)
    with _opened(db, config) as cockpit:
        row = cockpit.add_user(name, role, password, created_by="cli")
        cockpit.audit(None, "admin", "cli user add", f"user:{row['name']}", "ok", detail={"role": row["role"]})
    err.print(f"user {row['name']} added with role {row['role']}")


@user_app.command("list")
def user_list(db: DbOption = None, json_out: JsonOption = False, config: ConfigOption = None) -> None:
    """List users and their roles (never their passwords). 列出用户。"""
    with _opened(db, config) as cockpit:
        rows = cockpit.users()
    if json_out:
        _dump(rows)
        return
    table = Table("name", "role", "created at", "created by", "disabled")
    for r in rows:
        table.add_row(r["name"], r["role"], str(r["created_at"]), r["created_by"] or "-", "yes" if r["disabled"] else "")
    Console().print(table)


cli_search.register(app)  # index, search, fto


def main() -> None:
    app()


if __name__ == "__main__":
    main()
