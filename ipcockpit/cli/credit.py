"""The ``credit`` commands: credit tiers (知识产权信用分级, docs/monitoring.md "Credit tiers").

``credit rules`` prints the rules in force; ``credit compute`` recomputes every tier and keeps the snapshot (run it
daily: validity windows end with time; each change goes to the audit log); ``credit list`` lists the tiers (worst
first; ``--tier``, ``--category``, ``--q``; ``--csv``/``--xlsx`` write the list); ``credit show ORG`` explains one
organisation's tier with its evidence and audit; ``credit record`` adds one record (``--kind``, ``--category``,
``--date`` ...) or every record of a CSV/XLSX file (``--file``: all or nothing); ``credit repair KEY`` records a
repair (信用修复) with its date and basis; ``credit link USER ORG`` links an enterprise user to its organisation.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ipcockpit.app import Cockpit
from ipcockpit.cli.options import command_options, dump, err, fail, table_console, texts
from ipcockpit.credit.service import TIER_CHOICES, Credit
from ipcockpit.exports import csv_bytes, write_xlsx
from ipcockpit.settings import Settings

credit_app = typer.Typer(help="Credit tiers A–D of organisations: rules, records, repairs, audit. 知识产权信用分级。",
                         no_args_is_help=True)


def credit(cockpit: Cockpit) -> Credit:
    """The credit service of the core object (``Cockpit.monitor.credit``)."""
    return cockpit.monitor.credit


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _reason(t: Any, row: dict[str, Any], service: Credit) -> str:
    values = {k: (f"{v:g}" if isinstance(v, float) else v) for k, v in row["reason_values"].items()}
    if values.get("category") in service.rules.categories:
        values["category"] = service.rules.categories[values["category"]].name(t.lang)
    return str(t(row["reason_key"], **values))


@credit_app.command("rules")
@command_options(opens=None)
def credit_rules(settings: Settings, json_out: bool = False) -> None:
    """The credit rules in force: categories, weights, validity, record kinds, signal kinds, tiers. 信用规则。"""
    from ipcockpit.credit.rules import load

    conf = settings.credit or {}
    rules = load(conf.get("rules") or None)
    if json_out:
        dump(rules.as_dict())
        return
    t = texts(settings)
    lang = t.lang
    table = Table(t("credit.category"), t("credit.article"), t("credit.weight"), t("credit.years"),
                  title=f"{rules.basis} ({rules.source})")
    for c in rules.categories.values():
        table.add_row(f"{c.id} {c.name(lang)}", c.article, "+" if c.positive else f"{c.weight:g}"
                      + (" D" if c.serious else ""), f"{c.years:g}")
    table_console().print(table)


def _check_tier(*args: Any, settings: Settings, tier: str | None = None, **_: Any) -> None:
    if tier is not None and tier not in TIER_CHOICES:
        raise fail(texts(settings)("credit.bad_tier", tier=tier, known=", ".join(TIER_CHOICES)))


@credit_app.command("compute")
@command_options(opens="write")
def credit_compute(
    cockpit: Cockpit,
    as_of: Annotated[str | None, typer.Option(help="As of this date (YYYY-MM-DD; default today).")] = None,
    json_out: bool = False,
) -> None:
    """Recompute every tier from the records, keep it and log what changed. 重新计算信用等级。"""
    done = credit(cockpit).compute(as_of, actor=_actor())
    if json_out:
        dump(done)
        return
    t = texts(cockpit.settings)
    err.print(t("credit.computed", n=done["organisations"], changed=len(done["changed"]), as_of=done["as_of"]))
    for c in done["changed"]:
        err.print(f"  {c['entity_id']}: {c['before'] or '-'} → {c['after'] or '-'}")


@credit_app.command("list")
@command_options(check=_check_tier)
def credit_list(
    cockpit: Cockpit,
    tier: Annotated[str | None, typer.Option(help="A, B, C, D or unknown.")] = None,
    category: Annotated[str | None, typer.Option(help="A category id of the rules (credit rules).")] = None,
    q: Annotated[str | None, typer.Option(help="Part of a name or an entity id.")] = None,
    limit: Annotated[int, typer.Option(help="Organisations listed.")] = 50,
    as_of: Annotated[str | None, typer.Option(help="As of this date (YYYY-MM-DD; default today).")] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Write the list as CSV to this file.")] = None,
    xlsx_file: Annotated[Path | None, typer.Option("--xlsx", help="Write the list as Excel to this file.")] = None,
    json_out: bool = False,
) -> None:
    """The tier of each organisation, worst first, with why. 信用等级列表。"""
    service = credit(cockpit)
    data = service.listing(tier, category, q, limit, as_of)
    if csv_file is not None:
        csv_file.write_bytes(csv_bytes(data["organisations"]))
    if xlsx_file is not None:
        write_xlsx({"organisations": data["organisations"]}, xlsx_file)
    if json_out:
        dump(data)
        return
    t = texts(cockpit.settings)
    counts = "  ".join(f"{k}: {v}" for k, v in data["counts"].items())
    table = Table(t("credit.tier"), t("credit.organisation"), t("credit.weight"), t("credit.why"),
                  title=t("credit.list_title", as_of=data["as_of"]) + f"  ({counts})")
    for r in data["organisations"]:
        table.add_row(t(f"credit.tier.{r['tier']}"), f"{r['name']}\n{r['entity_id']}", f"{r['weight']:g}",
                      _reason(t, r, service))
    table_console().print(table)


@credit_app.command("show")
@command_options()
def credit_show(
    cockpit: Cockpit,
    org: Annotated[str, typer.Argument(help="An entity id (o:…) or a name as on its documents.")],
    as_of: Annotated[str | None, typer.Option(help="As of this date (YYYY-MM-DD; default today).")] = None,
    json_out: bool = False,
) -> None:
    """One organisation's tier, its evidence (rule, window, state, repair) and audit. 单个主体的信用等级与依据。"""
    service = credit(cockpit)
    data = service.show(org, as_of)
    if json_out:
        dump(data)
        return
    t = texts(cockpit.settings)
    title = f"{data['name']} {data['entity_id']}: {t('credit.tier.' + data['tier'])} — {_reason(t, data, service)}"
    table = Table(t("credit.evidence_key"), t("credit.kind"), t("credit.category"), t("credit.date"),
                  t("credit.until"), t("credit.state"), t("credit.reference"), title=title)
    for e in data["evidence"]:
        ref = " ".join(x for x in (e.get("authority"), e.get("document_no"), e.get("origin")) if x)
        if e.get("repair"):
            ref += f"\n{t('credit.repaired_on')} {e['repair']['repaired_on']}: {e['repair']['basis']}"
        table.add_row(e["key"], e["kind"], e.get("category") or "-", e["date"], e.get("until") or "-",
                      t(f"credit.state.{e['state']}"), ref)
    table_console().print(table)


@credit_app.command("record")
@command_options(opens="write")
def credit_record(
    cockpit: Cockpit,
    file: Annotated[Path | None, typer.Option("--file", help="A CSV or XLSX file of records (docs/formats.md "
                                              "\"Credit records\"): all of it or nothing.")] = None,
    org: Annotated[str | None, typer.Option("--org", help="The organisation: an entity id (o:…) or a name.")] = None,
    kind: Annotated[str | None, typer.Option(help="penalty, judgment, dishonesty_list, commitment, inspection, "
                                             "demonstration, advantage (or the Chinese name).")] = None,
    category: Annotated[str | None, typer.Option(help="The failure category (credit rules).")] = None,
    date_: Annotated[str | None, typer.Option("--date", help="Date of the decision (YYYY-MM-DD).")] = None,
    authority: Annotated[str | None, typer.Option(help="认定机关: who decided.")] = None,
    document: Annotated[str | None, typer.Option(help="文书编号: the decision's number.")] = None,
    summary: Annotated[str | None, typer.Option(help="摘要: what it says.")] = None,
    json_out: bool = False,
) -> None:
    """Add a record (a penalty, judgment, list entry …) or load a file of them. 录入信用记录。"""
    service = credit(cockpit)
    if file is not None:
        done = service.load(file, _actor())
    else:
        fields = {"entity_id" if (org or "").startswith("o:") else "organisation": org, "kind": kind,
                  "category": category, "decided_on": date_, "authority": authority, "document_no": document,
                  "summary": summary}
        done = service.record(fields, _actor())
    if json_out:
        dump(done)
        return
    t = texts(cockpit.settings)
    if file is not None:
        err.print(t("credit.loaded", file=str(file), added=done["added"], already=done["already"]))
    else:
        err.print(t("credit.recorded", evidence=f"record:{done['record_id']}", added=t("answer.yes" if done["added"]
                                                                                  else "answer.no")))
    for c in done["changed"]:
        err.print(f"  {c['entity_id']}: {c['before'] or '-'} → {c['after'] or '-'}")


@credit_app.command("repair")
@command_options(opens="write")
def credit_repair(
    cockpit: Cockpit,
    key: Annotated[str, typer.Argument(help="The evidence: record:<id> or case:<case_id> (credit show ORG).")],
    date_: Annotated[str, typer.Option("--date", help="Date of the repair (YYYY-MM-DD).")],
    basis: Annotated[str, typer.Option(help="What the repair rests on (the decision, its number).")],
    json_out: bool = False,
) -> None:
    """Record a repair (信用修复): the failure stops counting from its date. 信用修复。"""
    done = credit(cockpit).repair(key, date_, basis, _actor())
    if json_out:
        dump(done)
        return
    err.print(texts(cockpit.settings)("credit.repaired", evidence=done["evidence_key"], date=done["repaired_on"]))


@credit_app.command("link")
@command_options(opens="write")
def credit_link(
    cockpit: Cockpit,
    user: Annotated[str, typer.Argument(help="An enterprise user's name.")],
    org: Annotated[str | None, typer.Argument(help="Its organisation: an entity id (o:…) or a name; leave out "
                                              "with --remove.")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Unlink the user.")] = False,
    json_out: bool = False,
) -> None:
    """Link an enterprise user to its organisation (it sees that organisation's tier only). 关联企业用户。"""
    if not remove and not org:
        raise fail(texts(cockpit.settings)("credit.link_needs_org"))
    done = credit(cockpit).link(user, None if remove else org, _actor())
    if json_out:
        dump(done)
        return
    err.print(f"{done['user']}: {done['before'] or '-'} → {done['entity_id'] or '-'}")


def register(app: typer.Typer) -> None:
    app.add_typer(credit_app, name="credit")
