"""The ``signals`` commands: abnormal-filing signals (非正常申请信号, docs/monitoring.md "Abnormal-filing signals").

``signals detect [KIND] [--protected FILE]`` runs the detectors and writes their cases; ``signals list`` the cases
(the office list: 主体, 信号类型, 疑似数, 处理情况, 处理结果; ``--csv``/``--xlsx`` write it); ``signals show CASE`` one
case with its evidence and status log; ``signals update CASE --status S [--result R] [--note T] --user NAME``;
``signals registry FILE`` loads an enterprise registry (CSV or XLSX). ``--json`` prints the data itself.
A signal is never a verdict: every listing says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ipcockpit.app import Cockpit
from ipcockpit.cli.options import command_options, dump, err, table_console, texts, when
from ipcockpit.exports import csv_bytes, write_xlsx
from ipcockpit.signals.common import NOTE_EN, NOTE_ZH

signals_app = typer.Typer(help="Abnormal-filing signals and their cases. 非正常申请信号与核查。", no_args_is_help=True)


def _service(cockpit: Cockpit) -> Any:
    """The signals service of the core object (``Cockpit.monitor.signals``)."""
    return cockpit.monitor.signals


def _protected(path: Path | None) -> list[Any] | None:
    """A protected-mark list: a JSON list (texts or {"text", "classes", "owner"}) or one mark text a line."""
    if path is None:
        return None
    text = path.read_text(encoding="utf-8-sig")
    if text.lstrip().startswith("["):
        return json.loads(text)
    return [line.strip() for line in text.splitlines() if line.strip()]


@signals_app.command("detect")
@command_options(opens="write")
def detect(cockpit: Cockpit,
           kind: Annotated[str | None, typer.Argument(help="One kind (burst, scattered, ...); default all.")] = None,
           protected: Annotated[Path | None, typer.Option(help="Protected marks for tm_protected_copy: a JSON list "
                                                          "or one mark text a line.")] = None,
           json_out: bool = False) -> None:
    """Run the signal detectors and write their cases. 检测非正常申请信号。"""
    data = _service(cockpit).detect(kind, _protected(protected))
    if json_out:
        dump(data)
        return
    t = texts(cockpit.settings)
    table = Table(t("signals.col.kind"), t("signals.col.checked"), t("signals.col.signals"), t("signals.col.new"),
                  t("signals.col.unknown"))
    for k in data["kinds"]:
        reasons = "; ".join(t(u["reason_key"]) for u in k["unknown"][:3]) + (" …" if len(k["unknown"]) > 3 else "")
        table.add_row(t(f"signals.kind.{k['kind']}"), str(k["checked"]), str(k["signals"]), str(k["new"]),
                      f"{len(k['unknown'])} {reasons}".strip())
    console = table_console()
    console.print(table)
    console.print(t("signals.note"))


@signals_app.command("list")
@command_options()
def list_cases(cockpit: Cockpit,
               kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
               status: Annotated[str | None, typer.Option(help="pending, checked or handled.")] = None,
               subject: Annotated[str | None, typer.Option(help="Only this subject (entity id or name).")] = None,
               limit: Annotated[int, typer.Option(help="Cases listed.")] = 100,
               csv_file: Annotated[Path | None, typer.Option("--csv", help="Write the office list as CSV.")] = None,
               xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write the office list as Excel.")] = None,
               json_out: bool = False) -> None:
    """The signal cases: 主体, 信号类型, 疑似数, 处理情况, 处理结果. 信号案件清单。"""
    service = _service(cockpit)
    t = texts(cockpit.settings)
    zh = t.lang.startswith("zh")
    if csv_file or xlsx:
        rows = service.office(kind, status, zh=zh)
        if csv_file:
            csv_file.write_bytes(csv_bytes(rows))
        if xlsx:
            write_xlsx({"signals": rows, "note": [{"note": NOTE_ZH if zh else NOTE_EN}]}, xlsx)
        err.print(t("signals.written", rows=len(rows)))
    data = service.cases(kind, status, subject, limit=limit)
    if json_out:
        dump(data)
        return
    table = Table(t("signals.col.case"), t("signals.col.subject"), t("signals.col.kind"), t("signals.col.count"),
                  t("signals.col.status"), t("signals.col.result"))
    for r in data["rows"]:
        table.add_row(r["case_id"], r["subject_name"] or r["subject"], t(f"signals.kind.{r['kind']}"),
                      str(r["suspect_count"]), t(f"signals.status.{r['status']}"),
                      " ".join(x for x in (t(f"signals.result.{r['result']}") if r["result"] else "", r["note"] or "")
                               if x) or "-")
    console = table_console()
    console.print(table)
    console.print(t("signals.total", shown=len(data["rows"]), total=data["total"]))
    console.print(t("signals.note"))


@signals_app.command("show")
@command_options()
def show(cockpit: Cockpit, case_id: Annotated[str, typer.Argument(help="A case id (burst:...).")],
         json_out: bool = False) -> None:
    """One case with its evidence and status log. 信号案件及证据。"""
    data = _service(cockpit).case(case_id)
    if json_out:
        dump(data)
        return
    t = texts(cockpit.settings)
    console = table_console()
    console.print(t("signals.case_title", kind=t(f"signals.kind.{data['kind']}"),
                    subject=data["subject_name"] or data["subject"], count=data["suspect_count"],
                    status=t(f"signals.status.{data['status']}")))
    ev = data["evidence"]
    console.print(t("signals.measure", measure=ev.get("measure"), threshold=json.dumps(
        ev.get("threshold", ev.get("thresholds")), ensure_ascii=False, default=str)))
    console.print(json.dumps(ev, ensure_ascii=False, indent=1, default=str)[:4000])
    for entry in data["log"]:
        result = t(f"signals.result.{entry['result']}") if entry["result"] else ""
        console.print(f"{when(cockpit.settings, entry['logged_at'])} {entry['user_name'] or '-'}: "
                      f"{t('signals.status.' + entry['old_status'])} → {t('signals.status.' + entry['status'])} "
                      f"{result} {entry['note'] or ''}")
    console.print(t("signals.note"))


@signals_app.command("update")
@command_options(opens="write")
def update(cockpit: Cockpit, case_id: Annotated[str, typer.Argument(help="A case id.")],
           status: Annotated[str, typer.Option(help="pending (待核查), checked (已核查) or handled (已处理).")],
           user: Annotated[str, typer.Option(help="Who checked (kept in the status log).")],
           result: Annotated[str | None, typer.Option(help="confirmed (属实) or dismissed (不属实).")] = None,
           note: Annotated[str | None, typer.Option(help="The result's words (处理结果).")] = None,
           json_out: bool = False) -> None:
    """Set a case's status and result (logged). 更新案件处理情况。"""
    data = _service(cockpit).update(case_id, status, result, note, user)
    if json_out:
        dump(data)
        return
    t = texts(cockpit.settings)
    table_console().print(t("signals.updated", case=case_id, status=t(f"signals.status.{data['status']}")))


@signals_app.command("registry")
@command_options(opens="write")
def registry(cockpit: Cockpit, path: Annotated[Path, typer.Argument(help="An enterprise registry CSV or XLSX "
                                                                     "(docs/monitoring.md \"Enterprise registry\").")],
             json_out: bool = False) -> None:
    """Load an enterprise registry (sizes for volume_vs_size). 载入企业登记信息。"""
    data = _service(cockpit).load_registry(path)
    if json_out:
        dump(data)
        return
    t = texts(cockpit.settings)
    console = table_console()
    console.print(t("signals.registry_loaded", file=data["file"], loaded=data["loaded"],
                    rejected=len(data["rejected"])))
    for r in data["rejected"]:
        console.print(f"  line {r['line']}: {r['name']}: {r['reason']}")


def register(app: typer.Typer) -> None:
    app.add_typer(signals_app, name="signals")
