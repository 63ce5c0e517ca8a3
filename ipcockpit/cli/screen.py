"""The ``screen`` command: high-value invention patent screening (高价值发明专利筛选)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ipcockpit.app import Cockpit
from ipcockpit.cli.options import MISSING, answer, command_options, dump, err, fail, known, table_console, texts
from ipcockpit.errors import IPCockpitError
from ipcockpit.settings import Settings


def _screen_usage(profile: str | None = None, *, settings: Settings, encoding: str | None = None,
                  **_: object) -> None:
    """An unknown --profile or --encoding, said before the store is opened (the screening would run first),
    with the profiles to choose from."""
    from ipcockpit.exports import csv_encoding
    from ipcockpit.value.index import load_profiles

    try:
        csv_encoding(encoding)
    except ValueError as exc:
        raise fail(str(exc)) from exc

    profiles = load_profiles()["profiles"]  # the set the screening's value index uses
    if profile and profile not in profiles:
        t = texts(settings)
        name = "name_en" if t.lang == "en" else "name_zh"
        choices = {k: str((v or {}).get(name) or k) for k, v in profiles.items()}
        raise fail(t("cli.unknown_profile", profile=profile, known=known(choices, t)))


@command_options(check=_screen_usage)
def screen(
    cockpit: Cockpit,
    profile: Annotated[str | None, typer.Option(help="Value-index weight profile (role x stage).")] = None,
    region: Annotated[str | None, typer.Option(help="GB/T 2260 code prefix of the applicant's address.")] = None,
    industry: Annotated[str | None, typer.Option(help="SEI code prefix, e.g. 1 or 1.2.")] = None,
    applicant: Annotated[str | None, typer.Option(help="Part of an applicant's name.")] = None,
    year_from: Annotated[int | None, typer.Option("--year-from", help="Filing year at least.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many patents; 0 for all.")] = 50,
    numbers: Annotated[Path | None, typer.Option("--numbers", help="Portfolio: a file of numbers, one a line.")] = None,
    strict_sei: Annotated[bool | None, typer.Option("--strict-sei/--no-strict-sei",
                                                    help="SEI product rules need a product word in the text "
                                                    "(default: the settings file, else no).")] = None,
    maintenance_start: Annotated[str | None, typer.Option(help="Years maintained count from 'filing' "
                                                          "or 'grant'.")] = None,
    pledge_threshold: Annotated[float | None, typer.Option(help="Pledge amount (CNY) that counts as high.")] = None,
    sei_scheme: Annotated[str | None, typer.Option(help="ref_ipc_concordance scheme of the SEI table.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Screen as of this date (YYYY-MM-DD; default today).")] = None,
    json_out: bool = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="Print CSV (one row per patent).")] = False,
    encoding: Annotated[str | None, typer.Option("--encoding", help="Write --csv for a spreadsheet: utf-8 (with "
                                                 "a BOM) or gb18030 (Excel on Chinese Windows); default UTF-8 "
                                                 "without a BOM, for pipes.")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write an Excel workbook to this file.")] = None,
) -> None:
    """High-value invention patent screening with evidence and value index. 高价值发明专利筛选。"""
    from ipcockpit.exports import write_xlsx
    from ipcockpit.portfolio import portfolio, read_numbers
    from ipcockpit.value.screen import flat_rows

    # the settings file's screen: section, then these options (one merge, in the core)
    settings = cockpit.screen_settings(
        strict_sei=strict_sei, maintenance_start=maintenance_start, pledge_threshold=pledge_threshold,
        sei_scheme=sei_scheme, as_of=as_of)
    numbers_given = None
    if numbers is not None:
        if not numbers.is_file():
            raise IPCockpitError(f"{numbers}: file not found; give a text file with one number a line "
                                 "(or a CSV whose first column holds the numbers)")
        numbers_given = portfolio([read_numbers(numbers.name, numbers.read_bytes())])
    rows = cockpit.screen(profile=profile, region=region, industry=industry, applicant=applicant,
                          year_from=year_from, limit=limit, doc_ids=numbers_given, settings=settings)
    if xlsx is not None:
        write_xlsx({"patents": flat_rows(rows)}, str(xlsx))  # the one Excel writer: text stays text
        err.print(texts(cockpit.settings)("cli.screen_wrote", count=len(rows), path=str(xlsx)), markup=False)
    if json_out:
        dump(rows)
    elif csv_out and encoding is not None:  # bytes in the encoding asked for (csv_encoding said it is offered)
        from ipcockpit.exports import csv_bytes

        sys.stdout.flush()
        sys.stdout.buffer.write(csv_bytes(flat_rows(rows), encoding, empty=["publication_number"]))
        sys.stdout.buffer.flush()
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
        t = texts(cockpit.settings)
        table = Table(*(t(f"cli.col.{c}") for c in ("publication", "title", "applicant", "high_value", "in_force",
                                                     "value_index", "confidence")))
        for r in rows:
            vi, conf = r.get("value_index"), r.get("confidence")
            table.add_row(r["publication_number"], (r.get("title") or MISSING)[:40],
                          (r.get("applicant") or MISSING)[:30], answer(r["high_value"], t), answer(r["in_force"], t),
                          MISSING if vi is None else f"{vi:.1f}",
                          MISSING if vi is None or conf is None else f"{conf:.0%}")
        table_console().print(table)


def register(app: typer.Typer) -> None:
    app.command()(screen)
