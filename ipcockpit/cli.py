"""The command line: each command parses its options and makes one call on the core object."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ipcockpit.app import Cockpit
from ipcockpit.errors import IPCockpitError
from ipcockpit.settings import load_settings

app = typer.Typer(help="ipcockpit: IP big data for regional IP offices. 知识产权大数据驾驶舱。", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)  # messages stay whole lines when piped

DbOption = Annotated[str | None, typer.Option("--db", help="DuckDB file (default: setting 'db', var/ipcockpit.duckdb).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ConfigOption = Annotated[str | None, typer.Option("--config", help="Settings file (default ipcockpit.yaml if present).")]


def _cockpit(db: str | None, config: str | None = None, read_only: bool = False) -> Cockpit:
    return Cockpit(load_settings(config, db=db), read_only=read_only)


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
    try:
        with _cockpit(db, config) as cockpit:
            if err.is_terminal and not json_out:
                reports = _ingest_with_progress(cockpit, paths)
            else:
                reports = cockpit.ingest(paths)
    except (IPCockpitError, FileNotFoundError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
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
def serve(
    db: DbOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    config: ConfigOption = None,
) -> None:
    """Serve the web app and REST API. 启动网页应用。"""
    import uvicorn

    from ipcockpit.web.server import create_app

    settings = load_settings(config, db=db, host=host, port=port)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
