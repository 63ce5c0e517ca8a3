"""The data commands: ``ingest``, ``quarantine``, ``stats``, ``export`` and ``formats``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Column, Table

from ipcockpit.analytics.quality import INFORMATION
from ipcockpit.app import Cockpit
from ipcockpit.cli.handover import hands_over
from ipcockpit.cli.options import command_options, dump, err, fail, table_console, texts
from ipcockpit.cli.progress import Progress
from ipcockpit.ingest.sources import check_paths
from ipcockpit.model.flat import arrow_without_pandas
from ipcockpit.settings import Settings


def _paths_exist(paths: list[Path], json_out: bool = False, **_: object) -> None:
    check_paths(paths)  # a mistyped path is a usage error: nothing is loaded, no store is created


@hands_over  # a live server holding the store loads the files (ipcockpit.cli.handover)
@command_options(opens="write", locked="cli.locked_ingest", check=_paths_exist)
def ingest(
    cockpit: Cockpit,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (recursive); .zip/.gz/.tar.gz are read.")],
    json_out: bool = False,
) -> None:
    """Load files into the store. 导入专利数据文件。

    Exit status 0: every file loaded (records that cannot be read are quarantined; in folders and archives,
    files in no known format are skipped). 1: a file failed (named but in no known format or empty, or not
    readable: a damaged archive, a truncated .gz ...); the others loaded, and the report names each failure
    with its reason. 2: the command could not run (a path that is not there, the store in use ...)."""
    arrow_without_pandas()  # this process hands pyarrow no pandas objects: a quarter second saved
    t = texts(cockpit.settings)
    reports = cockpit.ingest(paths) if json_out else _ingest_with_progress(cockpit, paths)
    checks = cockpit.quality()  # the data-quality step after every ingest
    if json_out:
        dump([r.as_dict() for r in reports])
    else:
        table = Table(Column(t("cli.col.file"), overflow="fold"),
                      *(t(f"cli.col.{c}") for c in ("format", "read", "loaded", "quarantined", "merged")))
        for r in reports:
            table.add_row(r.file, r.format or "-", str(r.read), str(r.loaded), str(r.quarantined), str(r.merged))
        table_console().print(table)
    for r in reports:
        if r.error:
            key = "cli.ingest_skipped" if r.skipped else "cli.ingest_failed"
            err.print(t(key, error=r.error), style="yellow" if r.skipped else "red", markup=False, highlight=False)
        if r.quarantined:
            err.print(t("cli.ingest_quarantined", file=r.file, count=r.quarantined, name=Path(r.file).name),
                      style="yellow", markup=False, highlight=False)
    flagged = {name: c["count"] for name, c in checks.items() if c["count"] and name not in INFORMATION}
    if flagged:
        listed = ("，" if t.lang == "zh-CN" else ", ").join(f"{t.label('quality', k)} {v}" for k, v in flagged.items())
        err.print(t("cli.quality_flagged", checks=listed),
                  markup=False, highlight=False)
    failed = sum(1 for r in reports if r.error and not r.skipped)
    if failed:
        err.print(t("cli.ingest_failed_count", failed=failed, files=len(reports)), style="red", markup=False)
        raise typer.Exit(1)


def _ingest_with_progress(cockpit: Cockpit, paths: list[Path]) -> list[Any]:
    """Ingest with progress on stderr: a bar on a terminal, plain lines under a pipe or in a log."""
    t = texts(cockpit.settings)
    label = t("cli.progress_ingest")
    with Progress(err, t) as progress:
        files = 0

        def on_file(report: Any) -> None:
            nonlocal files
            files += 1
            progress.advance("records", label, 0, t("cli.progress_files", count=files, name=Path(report.file).name))

        return cockpit.ingest(paths, on_file=on_file, on_record=lambda n: progress.advance("records", label, n))


@command_options()
def quarantine(
    cockpit: Cockpit,
    file: Annotated[str | None, typer.Option("--file", help="Only records of files whose path contains this.")] = None,
    limit: Annotated[int, typer.Option(min=0, help="At most this many records; 0 for all.")] = 100,
    json_out: bool = False,
) -> None:
    """Records that could not be loaded, with file, position, field and reason. 隔离区记录。

    --json prints {"total", "count", "limit", "truncated", "rows"}: truncated is true when rows are not all."""
    found = cockpit.quarantine_list(file, limit)
    t = texts(cockpit.settings)
    if found["truncated"]:
        err.print(t("quarantine.cli_cut", count=f"{found['count']:,}", total=f"{found['total']:,}"), markup=False)
    if json_out:
        dump(found)
        return
    table = Table(Column(t("cli.col.file"), overflow="fold"),
                  *(t(f"cli.col.{c}") for c in ("position", "field", "reason")))
    for r in found["rows"]:
        table.add_row(r["path"], r["position"], r["field"] or "", r["reason"])
    table_console().print(table)


@command_options()
def stats(cockpit: Cockpit, json_out: bool = False) -> None:
    """Counts per table, documents by office and year, data quality. 数据统计与质量检查。"""
    data = cockpit.stats()
    if json_out:
        dump(data)
        return
    console = table_console()
    t = texts(cockpit.settings)
    table = Table(t("cli.col.table"), t("cli.col.rows"))
    for name, n in data["tables"].items():
        table.add_row(name, str(n))
    console.print(table)
    q = Table(t("cli.col.check"), t("cli.col.count"))
    for name, check in data["quality"].items():
        q.add_row(t.label("quality", name), str(check["count"]))
    console.print(q)


def _export_usage(parquet: Path | None = None, *, settings: Settings, **_: object) -> None:
    """A file where the folder of the Parquet files should be, said before the store is opened."""
    if parquet is not None and parquet.exists() and not parquet.is_dir():
        raise fail(texts(settings)("cli.export_not_folder", path=str(parquet)))


@command_options(json_output=False, check=_export_usage)
def export(
    cockpit: Cockpit,
    parquet: Annotated[Path, typer.Option("--parquet", help="Folder to write one Parquet file per table into.")],
) -> None:
    """Export every table as Parquet (for Spark or other tools). 导出为 Parquet。"""
    written = cockpit.export_parquet(parquet)
    err.print(texts(cockpit.settings)("cli.export_wrote", count=len(written), folder=str(parquet)), markup=False)


@command_options(opens=None)
def formats(settings: Settings, json_out: bool = False) -> None:
    """The input formats ipcockpit recognises. 支持的数据格式。"""
    from ipcockpit.ingest import registry

    rows = [{"name": i.name, "label": i.label, "label_zh": i.label_zh} for i in registry.ingesters(settings)]
    if json_out:
        dump(rows)
        return
    table = Table("name", "format", "格式")
    for r in rows:
        table.add_row(r["name"], r["label"], r["label_zh"])
    Console().print(table)


def register(app: typer.Typer) -> None:
    for command in (ingest, quarantine, stats, export, formats):
        app.command()(command)
