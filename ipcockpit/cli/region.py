"""The ``region`` command: the patents attributed to a GB/T 2260 division (地区专利), the same data as the
region page (``Cockpit.region``). Tables for people in the command line's language; ``--json`` prints the
page's dict; ``--csv FILE`` writes one of its tables (``--section``, default the documents with the evidence
of their attribution) in UTF-8 with a BOM or, ``--encoding gb18030``, for Excel on Chinese Windows;
``--xlsx FILE`` every table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ipcockpit.app import Cockpit
from ipcockpit.cli.options import MISSING, command_options, dump, err, fail, table_console, texts
from ipcockpit.exports import CSV_ENCODINGS, csv_bytes, csv_encoding, section_rows, sections, write_xlsx
from ipcockpit.i18n import Translator
from ipcockpit.settings import Settings

EncodingOption = Annotated[str, typer.Option("--encoding", help=f"Encoding of --csv: {' or '.join(CSV_ENCODINGS)} "
                                             "(utf-8 is written with a BOM; gb18030 for Excel on Chinese Windows).")]


def _usage(code: str, *, settings: Settings, encoding: str = CSV_ENCODINGS[0], section: str = "documents",
           **_: object) -> None:
    """An unknown code or encoding, said before the store is opened."""
    from ipcockpit.analytics.region import region_of

    t = texts(settings)
    if region_of(code) is None:
        raise fail(t("region.not_found", code=code))
    try:
        csv_encoding(encoding)
    except ValueError as exc:
        raise fail(str(exc)) from exc


@command_options(check=_usage)
def region(
    cockpit: Cockpit,
    code: Annotated[str, typer.Argument(help="GB/T 2260 code: 2 digits (province), 4 (city) or 6 (500120).")],
    limit: Annotated[int, typer.Option(help="Documents listed with their evidence; 0 for all.")] = 200,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Write one table as CSV to this file.")] = None,
    section: Annotated[str, typer.Option(help="The table --csv writes (documents, sub_regions, transfers, "
                                         "pledges, by_type_year ...).")] = "documents",
    encoding: EncodingOption = CSV_ENCODINGS[0],
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write every table to this Excel workbook.")] = None,
    json_out: bool = False,
) -> None:
    """The patents attributed to a province, city or district, with the evidence. 地区专利。"""
    data = cockpit.region(code, limit)
    t = texts(cockpit.settings)
    if data is None:  # the check said the code is a division; the table cannot lose it, but say so if it did
        raise fail(t("region.not_found", code=code))
    if csv_file is not None:
        if section not in sections(data):
            raise fail(f"--section {section}: not a table of the region page; use one of {', '.join(sections(data))}")
        csv_file.write_bytes(csv_bytes(section_rows(data, section), encoding))
        err.print(t("cli.region_wrote", path=str(csv_file)))
    if xlsx is not None:
        write_xlsx(data, xlsx)
        err.print(t("cli.region_wrote", path=str(xlsx)))
    if json_out:
        dump(data)
    elif csv_file is None and xlsx is None:
        _tables(data, t)


def _tables(data: dict[str, Any], t: Translator) -> None:
    s = data["summary"]
    console = table_console()
    level = t(f"region.level.{data['level']}")
    console.print(t("cli.region_title", name=data["full_name"], code=data["code"], level=level))
    console.print(t("region.note_loaded", as_of=data["as_of"]))
    console.print(f"{t('region.rule_title')}: {data['rule']['text_zh' if t.lang == 'zh-CN' else 'text']}")
    if data["reason_key"]:
        err.print(t(data["reason_key"], **data["reason_values"]))
    figures = Table(t("cli.region_figure"), t("cli.region_count"))
    for label, value in (
        (t("region.documents"), s["documents"]),
        (t("region.kind.invention_application"), s["invention_applications"]),
        (t("region.kind.invention_grant"), s["invention_grants"]),
        (t("region.kind.utility_model"), s["utility_models"]),
        (t("region.kind.design"), s["designs"]),
        (t("region.in_force", screened=f"{s['screened']:,}", unknown=f"{s['in_force_unknown']:,}"),
         known_range(s["in_force_inventions"], s["in_force_unknown"])),
        (t("region.high_value", screened=f"{s['screened']:,}", unknown=f"{s['high_value_unknown']:,}"),
         known_range(s["high_value_yes"], s["high_value_unknown"])),
        *((t("cli.region_transfers", direction=t(f"region.direction.{k}")), s[f"transfers_{k}"])
          for k in ("in", "out", "within", "unknown")),
        (t("region.pledges"), s["pledge_events"]),
    ):
        figures.add_row(label, value if isinstance(value, str) else f"{value:,}")
    console.print(figures)
    if data["sub_regions"]:
        subs = Table(t("region.division"), t("patent.admin_code"), t("region.documents"),
                     t("region.kind.invention_grant"), t("region.in_force_short"), title=t("region.sub_regions"))
        for r in data["sub_regions"]:
            if r["documents"] or r["own_level"]:
                name = t("region.own_level", name=r["name"]) if r["own_level"] else r["name"]
                subs.add_row(name, r["code"], f"{r['documents']:,}", f"{r['invention_grants']:,}",
                             known_range(r["in_force_inventions"], r["in_force_unknown"]))
        console.print(subs)
    if data["top_applicants"]:
        holders = Table(t("column.applicant"), t("patent.admin_code"), t("region.documents"),
                        t("region.kind.invention_grant"), title=t("region.top_applicants"))
        for r in data["top_applicants"]:
            holders.add_row(r["name"], r["admin_code"], f"{r['documents']:,}", f"{r['invention_grants']:,}")
        console.print(holders)
    docs = Table(t("column.publication_number"), t("applicant.doc_type"), t("patent.pub_date"), t("region.holder"),
                 t("patent.address"), t("patent.admin_code"),
                 title=t("region.document_list", shown=f"{len(data['documents']):,}",
                         total=f"{data['documents_total']:,}"))
    for d in data["documents"]:
        holder = f"{d['holder']} ({t.label('role', d['holder_role'])} {d['holder_seq']})"
        code = d["admin_code"] + (f" {d['admin_reason']}" if d["admin_reason"] else "")
        docs.add_row(d["doc_id"], t(f"region.kind.{d['kind']}"), str(d["pub_date"] or MISSING), holder,
                     d["address"] or MISSING, code)
    console.print(docs)


def register(app: typer.Typer) -> None:
    app.command()(region)


def known_range(known: int, unknown: int) -> str:
    """A count some of whose members the data cannot decide: from the known ones to all that may be (as the page)."""
    return f"{known:,}–{known + unknown:,}" if unknown else f"{known:,}"
