"""The ``strength`` command: enterprise strength (企业实力评价) by region, industry, field and nature.

``ipcockpit strength [--region CODE] [--industry SEI] [--field WIPO] [--nature N]`` ranks the organisations
compared (``Cockpit.strength``); ``ipcockpit strength show ORG`` explains one (``Cockpit.strength_show``), an
entity id or a name. ``--json`` prints the data function's dict; ``--csv FILE`` / ``--xlsx FILE`` write the
ranking (show: its components and documents) through ipcockpit.exports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ipcockpit.app import Cockpit
from ipcockpit.cli.options import MISSING, command_options, dump, err, fail, table_console, texts
from ipcockpit.exports import CSV_ENCODINGS, csv_bytes, csv_encoding, write_xlsx
from ipcockpit.i18n import Translator
from ipcockpit.settings import Settings

ACTIONS = ("show",)


def _usage(action: str | None = None, org: str | None = None, *, settings: Settings, nature: str | None = None,
           encoding: str = CSV_ENCODINGS[0], **_: object) -> None:
    """A wrong action, a missing ORG, an unknown nature or encoding, said before the store is opened."""
    from ipcockpit.strength.nature import NATURES

    t = texts(settings)
    if action is not None and action not in ACTIONS:
        raise fail(t("strength.unknown_action", action=action))
    if action == "show" and not org:
        raise fail(t("strength.show_needs_org"))
    if nature is not None and nature not in NATURES:
        raise fail(t("strength.unknown_nature", nature=nature, known=", ".join(NATURES)))
    try:
        csv_encoding(encoding)
    except ValueError as exc:
        raise fail(str(exc)) from exc


@command_options(check=_usage)
def strength(
    cockpit: Cockpit,
    action: Annotated[str | None, typer.Argument(help="show: explain one organisation (ORG).")] = None,
    org: Annotated[str | None, typer.Argument(help="An entity id (n:..., o:...) or a name.")] = None,
    region: Annotated[str | None, typer.Option(help="GB/T 2260 code prefix of the organisation's address on "
                                               "the document (500000 Chongqing, 500120 Bishan).")] = None,
    industry: Annotated[str | None, typer.Option(help="SEI industry or branch code (e.g. 1 or 1.2).")] = None,
    field: Annotated[int | None, typer.Option(help="WIPO technology field, 1-35 (needs the WIPO "
                                              "concordance loaded).")] = None,
    nature: Annotated[str | None, typer.Option(help="enterprise, university, institute, individual, government "
                                               "or unknown.")] = None,
    registry: Annotated[Path | None, typer.Option(help="An enterprise registry CSV (docs/entities.md).")] = None,
    weights: Annotated[Path | None, typer.Option(help="A weights YAML merged over the default.")] = None,
    limit: Annotated[int, typer.Option(help="Organisations listed; 0 for all.")] = 50,
    as_of: Annotated[str | None, typer.Option(help="As of this date (YYYY-MM-DD; default today).")] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Write the ranking as CSV to this file.")] = None,
    encoding: Annotated[str, typer.Option("--encoding", help=f"Encoding of --csv: {' or '.join(CSV_ENCODINGS)}.")
                        ] = CSV_ENCODINGS[0],
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write an Excel workbook to this file.")] = None,
    json_out: bool = False,
) -> None:
    """Enterprise strength by industry, field and nature, ranked per region. 企业实力评价。"""
    from ipcockpit.strength.ranking import flat_rows

    t = texts(cockpit.settings)
    kw: dict[str, Any] = {"region": region, "industry": industry, "field": field, "nature": nature,
                          "registry": registry, "weights": weights, "as_of": as_of}
    if action == "show":
        data = cockpit.strength_show(str(org), **kw)
        if data is None:
            raise fail(t("strength.not_found", org=org))
        sheets = {"components": [_component_row(c) for c in data.get("components", [])],
                  "documents": data.get("documents", [])}
        rows = sheets["components"]
    else:
        data = cockpit.strength(limit=limit, **kw)
        rows = flat_rows(data)
        sheets = {"ranking": rows}
    if csv_file is not None:
        csv_file.write_bytes(csv_bytes(rows, encoding, empty=["name"]))
        err.print(t("strength.wrote", path=str(csv_file)))
    if xlsx is not None:
        write_xlsx(sheets, xlsx)
        err.print(t("strength.wrote", path=str(xlsx)))
    if json_out:
        dump(data)
    elif csv_file is None and xlsx is None:
        (_show if action == "show" else _ranking)(data, t)


def _component_row(c: dict[str, Any]) -> dict[str, Any]:
    return {k: c.get(k) for k in ("name", "name_zh", "name_en", "raw", "unit", "known", "normalised", "score",
                                  "weight", "contribution", "effect", "text_zh", "text_en")}


def _num(v: Any, fmt: str = "{:.2f}") -> str:
    if v is None:
        return MISSING
    return fmt.format(v) if isinstance(v, float) else str(v)


def _ranking(data: dict[str, Any], t: Translator) -> None:
    console = table_console()
    console.print(t("strength.title", n=f"{data['organisations']:,}"))
    f = data["filters"]
    console.print(t("strength.filters", region=f["region"] or MISSING, industry=f["industry"] or MISSING,
                    field=f["field"] or MISSING, nature=f["nature"] or MISSING))
    table = Table(t("strength.rank"), t("strength.name"), t("strength.nature"), t("strength.region"),
                  t("strength.composite"), t("strength.confidence"), t("strength.component.volume"),
                  t("strength.component.high_value"), t("strength.component.value_index"),
                  t("strength.component.operations"))
    for r in data["ranking"]:
        c = r["components"]
        table.add_row(str(r["rank"]), r["name"][:40], t(f"strength.nature.{r['nature']}"), r["region"] or MISSING,
                      f"{r['composite']:.1f}", f"{r['confidence']:.0%}", _num(c["volume"]["raw"]),
                      _num(c["high_value"]["raw"]), _num(c["value_index"]["raw"], "{:.1f}"),
                      _num(c["operations"]["raw"]))
    console.print(table)


def _show(data: dict[str, Any], t: Translator) -> None:
    console = table_console()
    if not data.get("compared"):
        console.print(t("strength.not_compared", org=data["entity_id"]))
        return
    zh = t.lang == "zh-CN"
    console.print(f"{data['name']} ({data['entity_id']})")
    nat = data["nature_evidence"]
    why = nat.get("reason_zh" if zh else "reason_en")
    console.print(t("strength.nature_line", nature=t(f"strength.nature.{data['nature']}"),
                    basis=t(f"strength.basis.{nat['basis']}")) + (f" ({why})" if why else ""))
    console.print(data["explanation"]["text_zh" if zh else "text_en"])
    table = Table(t("strength.component"), t("strength.raw"), t("strength.percentile"), t("strength.weight"),
                  t("strength.contribution"), t("strength.explanation"))
    for c in data["components"]:
        table.add_row(c["name_zh" if zh else "name_en"], _num(c["raw"]),
                      MISSING if c["normalised"] is None else f"{c['normalised'] * 100:.0f}",
                      f"{c['weight']:.2f}", f"{c['contribution']:.1f}", c["text_zh" if zh else "text_en"])
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(strength)
