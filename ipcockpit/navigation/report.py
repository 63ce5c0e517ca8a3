"""The navigation report (专利导航报告) as one plain dict, the source of every format (docs/navigation.md,
"Reports").

:func:`build` resolves an industry definition to its documents (:func:`ipcockpit.navigation.industry.resolve`:
the temporary table ``nav_members``), runs the analyses at each level (:func:`ipcockpit.navigation.analyses.analyse`)
and :func:`assemble` adds what a report says around them: the title, a summary, the definition with its
counts per matched part, the levels with what is missing at each, and the sections in the order of GB/T 39551
(direction → position → path). Texts are catalogue keys with their parameters (``{"key", "params"}``): a
report built once reads in either language; the renderers (:mod:`~ipcockpit.navigation.render_html`,
:mod:`~ipcockpit.navigation.render_pdf`, :mod:`~ipcockpit.navigation.render_docx`,
:mod:`~ipcockpit.navigation.appendix`) translate them.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

import duckdb

from ipcockpit.errors import IPCockpitError

PARTS = ("direction", "position", "path")
LEVELS = ("world", "china", "chongqing", "district")
MEMBERS = "nav_members"


class NavigationError(IPCockpitError):
    """A navigation request that cannot be answered: an unknown industry, a missing edition."""


def definition_of(industry: Any) -> Any:
    """A Definition given as itself or by its preset id (``nev``, ``ngit`` …)."""
    if not isinstance(industry, str):
        return industry
    from ipcockpit.navigation.industry import PRESETS

    if industry not in PRESETS:
        raise NavigationError(f"no industry preset {industry!r}; use one of {', '.join(PRESETS)} "
                              "or give a definition")
    return PRESETS[industry]


def definition_dict(definition: Any) -> dict[str, Any]:
    """The definition's fields as a plain dict (a dataclass or a mapping)."""
    if dataclasses.is_dataclass(definition) and not isinstance(definition, type):
        return dataclasses.asdict(definition)
    return dict(definition)


def member_counts(con: duckdb.DuckDBPyConnection, table: str = MEMBERS) -> dict[str, Any]:
    """The documents of the members table and how many each part of the definition matched."""
    total = con.execute(f"SELECT count(DISTINCT doc_id) FROM {table}").fetchone()
    rows = con.execute(f"SELECT reason, count(DISTINCT doc_id) FROM {table} GROUP BY reason ORDER BY 2 DESC, 1"
                       ).fetchall()
    return {"documents": int(total[0] if total else 0), "by_reason": {str(r): int(n) for r, n in rows}}


def build(con: duckdb.DuckDBPyConnection, industry: Any, region: str | None = None, lang: str = "zh-CN",
          levels: Sequence[str] = LEVELS) -> dict[str, Any]:
    """The report of ``industry`` (a preset id or a Definition) for ``region`` (the district level's GB/T 2260
    code; None: the default district, Bishan 500120, named in the report so that its editions are one series)
    on the store behind ``con`` (a cursor of its own: the members table is temporary, per connection)."""
    from ipcockpit.navigation import analyses
    from ipcockpit.navigation import industry as industries

    region = region or analyses.DEFAULT_DISTRICT

    definition = definition_of(industry)
    try:
        industries.resolve(con, definition)
        extra: dict[str, Any] = {}
        if "t" in inspect.signature(analyses.analyse).parameters:  # chart titles in the report's language
            from ipcockpit.i18n import Translator

            extra["t"] = Translator(lang)
        analysis = analyses.analyse(con, MEMBERS, region, levels=tuple(levels), **extra)
    except IPCockpitError:
        raise
    except ValueError as exc:  # a region that is no division, a level unknown: their messages say what to give
        raise NavigationError(str(exc)) from exc
    report = assemble(definition, member_counts(con), analysis, region, lang)
    report["industry"]["sei_names"] = industries.sei_names(con, list(definition.sei_branches))
    return report


def _text(key: str, **params: Any) -> dict[str, Any]:
    return {"key": key, "params": params}


def ordered(sections: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Sections in direction → position → path order, each part's sections in the order the analyses gave."""
    rank = {p: i for i, p in enumerate(PARTS)}
    return [dict(s) for s in sorted(sections, key=lambda s: rank.get(str(s.get("part")), len(PARTS)))]


def _reasoned(section: dict[str, Any]) -> dict[str, Any]:
    """A section with nothing to show (no rows, no numbers) and no reason given gets one: no format draws an
    empty chart without saying why."""
    rows = (section.get("table") or {}).get("rows")
    if not section.get("empty_reason") and not rows and not section.get("numbers"):
        section.update(empty_reason="nav.empty.no_data", empty_params={}, chart=None)
    return section


def assemble(definition: Any, counts: Mapping[str, Any], analysis: Mapping[str, Any], region: str | None,
             lang: str = "zh-CN", generated_at: datetime | None = None) -> dict[str, Any]:
    """The report dict (HELPERS contract 3) from a definition, its member counts and the analyses' result."""
    d = definition_dict(definition)
    levels = [dict(level) for level in analysis.get("levels", [])]
    sections = [_reasoned(s) for s in ordered(analysis.get("sections", []))]
    name = {"names": {"zh-CN": d.get("name_zh") or d.get("id"), "en": d.get("name_en") or d.get("name_zh")}}
    shown = sum(1 for s in sections if not s.get("empty_reason"))
    numbers = sum(len(s.get("numbers") or []) for s in sections)
    summary = [_text("nav.summary.documents", industry=name, documents=counts.get("documents", 0))]
    for level in levels:
        if level.get("missing"):
            continue
        summary.append(_text("nav.summary.level", level=_text(f"nav.report.level.{level['level']}"),
                             documents=level.get("documents") or 0))
    summary.append(_text("nav.summary.sections", shown=shown, empty=len(sections) - shown, numbers=numbers))
    missing = [{"level": lv["level"], "code": lv.get("code"), **_text(str(lv["missing"]),
                **(lv.get("missing_params") or {}))} for lv in levels if lv.get("missing")]
    if not counts.get("documents"):
        missing.insert(0, {"level": None, "code": None, **_text("nav.report.no_members")})
    return {
        "industry": {**d, "counts": dict(counts.get("by_reason", {})), "documents": int(counts.get("documents", 0))},
        "region": {"code": region},
        "lang": lang,
        "title": _text("nav.report.title", industry=name),
        "summary": summary,
        "missing": missing,
        "levels": levels,
        "sections": sections,
        "generated_at": (generated_at or datetime.now()).astimezone().isoformat(timespec="seconds"),
        "edition": None,
    }


def say(t: Any, text: Any) -> str:
    """A ``{"key", "params"}`` text in ``t``'s language (its parameters translated when they are texts too,
    ``{"names": {lang: name}}`` the name in that language); a plain value as itself."""
    if isinstance(text, Mapping) and "names" in text:  # a name in each language
        names = text["names"]
        return str(names.get(getattr(t, "lang", "zh-CN")) or next(iter(names.values()), ""))
    if isinstance(text, Mapping) and "key" in text:
        params = {k: say(t, v) for k, v in (text.get("params") or {}).items()}
        return str(t(text["key"], **params)) if params else str(t(text["key"]))
    return "" if text is None else str(text)


def empty_text(t: Any, section: Mapping[str, Any]) -> str:
    """What an empty section says in place of its chart and table."""
    return say(t, {"key": section.get("empty_reason"), "params": section.get("empty_params") or {}})


def column_label(t: Any, column: str) -> str:
    """A table column's heading: its ``nav.col.`` text when the catalogue has one, else the key."""
    key = f"nav.col.{column}"
    return str(t(key)) if getattr(t, "has", lambda _k: False)(key) else column


#: columns whose values are codes with a text in the catalogues (column → key prefix)
CODED_COLUMNS = {"nature": "nav.nature.", "status": "nav.status.", "operation": "nav.operation.",
                 "kind": "nav.white_space.", "answer": "nav.high_value.", "high_value": "nav.high_value."}
#: columns whose values are the legal-status rule's labels (:data:`ipcockpit.value.legal_status.STATUS_LABELS`)
STATUS_COLUMNS = ("legal_status",)


def cell(value: Any, column: str = "", t: Any = None) -> str:
    """A table cell as text: a coded value (:data:`CODED_COLUMNS`, :data:`STATUS_COLUMNS`) in words when ``t``
    is given and its catalogue has it, whole numbers with thousands separators (not years), fractions to 3
    significant places."""
    if value is None:
        return "–"
    prefix = CODED_COLUMNS.get(column)
    if prefix and t is not None and isinstance(value, str) and getattr(t, "has", lambda _k: False)(prefix + value):
        return str(t(prefix + value))
    if column in STATUS_COLUMNS and t is not None and isinstance(value, str):
        from ipcockpit.value.legal_status import STATUS_LABELS

        if value in STATUS_LABELS:
            return STATUS_LABELS[value][0 if str(getattr(t, "lang", "zh-CN")).startswith("zh") else 1]
    if isinstance(value, bool) or column == "year" or column.endswith("_year"):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1000 else f"{value:.3g}"
    return str(value)


def sections_by_part(report: Mapping[str, Any]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """The report's sections grouped by part, in part order."""
    return [(p, [s for s in report.get("sections", []) if s.get("part") == p]) for p in PARTS
            if any(s.get("part") == p for s in report.get("sections", []))]


#: the definition's part group of a member's reason (``sei:5``, ``kw:无人机``, ``seed:cites`` ...) and its field
REASON_FIELDS = {"sei": "sei_branches", "ipc": "ipc", "cpc": "cpc", "kw": "keywords", "query": "query",
                 "seed": "seeds"}


def reason_label(reason: str, industry: Mapping[str, Any], t: Any) -> str:
    """Why documents matched a definition, as a reader reads it: the part's name and its item
    (``战略性新兴产业分类 5 新能源汽车产业``, ``关键词 无人机``, ``种子专利 引用种子专利的文献``); an unknown reason as
    it is."""
    group, _, value = reason.partition(":")
    field = REASON_FIELDS.get(group)
    if field is None:
        return reason
    if group == "sei":
        value = f"{value} {(industry.get('sei_names') or {}).get(value, '')}".strip()
    elif group == "seed" and value:
        value = t(f"nav.def.seed_{value}")
    return f"{t('nav.def.' + field)} {value}".strip()


def reason_rows(industry: Mapping[str, Any], t: Any) -> list[dict[str, Any]]:
    """The definition's documents per reason (``reason`` in words, ``documents``), as every format tables them."""
    return [{"reason": reason_label(r, industry, t), "documents": n} for r, n in (industry.get("counts") or {}).items()]


def subtitle(report: Mapping[str, Any], t: Any, tz: tzinfo | None = None) -> str:
    """The report's line under its title: region, edition and when it was built, in ``tz`` (the setting
    ``timezone``; None: this machine's zone) with the zone named (``2026-12-06 21:49 UTC+8``), as every format
    prints it."""
    from ipcockpit import localtime

    region = report.get("region", {})
    generated = localtime.show(report.get("generated_at"), tz or localtime.system_zone(), seconds=False)
    return t("nav.report.subtitle", region=region.get("code") or t("nav.region.none"),
             edition=report.get("edition") or "–", generated=generated or "–")


def changes(report: Mapping[str, Any], t: Any, limit: int = 40) -> tuple[str, list[dict[str, Any]]] | None:
    """What changed since the edition before, as a line and the changed, added and removed numbers (at most
    ``limit`` rows); None for a report not saved or the first edition."""
    c = report.get("changes")
    if not c or c.get("from") is None:
        return None
    line = t("nav.changes.summary", edition=c.get("to"), since=c.get("from"), added=len(c["added"]),
             removed=len(c["removed"]), changed=len(c["changed"]), unchanged=c.get("unchanged", 0),
             old=cell(c["documents"].get("old")), new=cell(c["documents"].get("new")))
    rows = [{"id": x["id"], "label": x.get("label"), "old": x.get("old"), "new": x.get("new")} for x in c["changed"]]
    rows += [{"id": x["id"], "label": x.get("label"), "old": None, "new": x.get("value")} for x in c["added"]]
    rows += [{"id": x["id"], "label": x.get("label"), "old": x.get("value"), "new": None} for x in c["removed"]]
    return line, rows[:limit]
