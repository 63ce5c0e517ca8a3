"""The award lists loaded, and what the award condition says with them (国家科学技术奖或中国专利奖).

A patent on a loaded list has the award: true, with the award, session, year and level. A patent on no
loaded list is unknown, never false: no data here can show that a patent has neither award. The China
Patent Award has been given since 1989 and a list covers the sessions it holds; the State Science and
Technology Award names projects, not patent numbers, so no list of it can rule a patent out. The reason
names the lists loaded and their years, and the awards of which no list is loaded.

The lists loaded are read from ``ref_awards`` itself: each (award, edition) present is a loaded session,
with its year and row count (rows without an edition are grouped by year). A China Patent Award session
without a single 优秀奖 (``excellence``) row is *partial*: every session of the award has given excellence
awards, so such a list holds only some winners (session 8 of the shared roster: 13 gold winners; the
25th-award sample: 5 gold and 5 silver). Sessions missing between loaded ones are named as absent.

An award counts from its year on: at ``as_of`` only sessions of that year or earlier count (a session
without a year always counts); later sessions are named as not counted.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

#: display names of the awards the CNIPA condition names, (English, Chinese), in the order reasons give them
AWARD_NAMES = {"china_patent_award": ("China Patent Award", "中国专利奖"),
               "state_sci_tech_award": ("State Science and Technology Award", "国家科学技术奖")}
LEVEL_NAMES = {"gold": ("gold", "金奖"), "silver": ("silver", "银奖"), "excellence": ("excellence award", "优秀奖"),
               "design_gold": ("design gold", "外观设计金奖"), "design_silver": ("design silver", "外观设计银奖"),
               "design_excellence": ("design excellence award", "外观设计优秀奖")}
NO_LIST = ("no award list loaded (China Patent Award, State Science and Technology Award): load the China Patent "
           "Award roster (awards/china_patent_award_roster), awards/25th-preview.jsonl or an award-csv list",
           "未载入获奖名单（中国专利奖、国家科学技术奖）：请导入中国专利奖历届获奖名单、第二十五届预获奖名单或"
           "获奖名单 CSV 文件")

_LISTS_SQL = """
SELECT award, edition, min(year) AS year, count(*) AS rows, coalesce(bool_or(level = 'excellence'), false) AS excellence
FROM ref_awards
GROUP BY award, edition, CASE WHEN edition IS NULL THEN year END
ORDER BY award, edition NULLS LAST, year NULLS LAST
"""


def loaded_lists(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """One dict per loaded session: ``award``, ``edition``, ``year``, ``rows``, ``partial``."""
    return [{"award": award, "edition": edition, "year": year, "rows": rows,
             "partial": award == "china_patent_award" and not excellence}
            for award, edition, year, rows, excellence in con.execute(_LISTS_SQL).fetchall()]


def award_name(award: str | None) -> tuple[str, str]:
    return AWARD_NAMES.get(award or "", (award or "unnamed award", award or "未命名奖项"))


def level_name(level: str | None) -> tuple[str, str]:
    return LEVEL_NAMES.get(level or "", (level or "level not given", level or "等级未注明"))


def _counts(session: dict[str, Any], as_of: date) -> bool:
    return session["year"] is None or session["year"] <= as_of.year


def _and(items: list[Any]) -> str:
    words = [str(i) for i in items]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _runs(sessions: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Sessions with an edition in runs: one absent session between two loaded ones keeps a run together."""
    runs: list[list[dict[str, Any]]] = []
    for s in sessions:
        if runs and s["edition"] - runs[-1][-1]["edition"] <= 2:
            runs[-1].append(s)
        else:
            runs.append([s])
    return runs


def _run_text(run: list[dict[str, Any]]) -> tuple[str, str]:
    first, last = run[0]["edition"], run[-1]["edition"]
    years = sorted({s["year"] for s in run if s["year"] is not None})
    span = (f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])) if years else ""
    if first == last:
        notes = [n for n in (span, "partial" if run[0]["partial"] else "") if n]
        notes_zh = [n for n in (f"{span}年" if span else "", "不全" if run[0]["partial"] else "") if n]
        return (f"{first} ({', '.join(notes)})" if notes else str(first),
                f"第{first}届（{'，'.join(notes_zh)}）" if notes_zh else f"第{first}届")
    loaded = {s["edition"] for s in run}
    absent = [e for e in range(first, last + 1) if e not in loaded]
    partial = [s["edition"] for s in run if s["partial"]]
    extra = ([f"{_and(absent)} absent"] if absent else []) + ([f"{_and(partial)} partial"] if partial else [])
    extra_zh = ([f"缺第{'、'.join(map(str, absent))}届"] if absent else []) + (
        [f"第{'、'.join(map(str, partial))}届不全"] if partial else [])
    inner = "; ".join(x for x in (span, ", ".join(extra)) if x)
    inner_zh = "；".join(x for x in (f"{span}年" if span else "", "，".join(extra_zh)) if x)
    return (f"{first}–{last} ({inner})" if inner else f"{first}–{last}",
            f"第{first}–{last}届（{inner_zh}）" if inner_zh else f"第{first}–{last}届")


def describe(sessions: list[dict[str, Any]]) -> tuple[str, str]:
    """The sessions of one award as text: ``sessions 8–20 (2007–2018; 11 and 16 absent, 8 partial)``."""
    numbered = sorted((s for s in sessions if s["edition"] is not None), key=lambda s: s["edition"])
    runs = _runs(numbered)
    texts = [_run_text(r) for r in runs]
    en, zh = [], []
    if texts:
        word = "session" if len(runs) == 1 and len(runs[0]) == 1 else "sessions"
        en.append(f"{word} {_and([t[0] for t in texts])}")
        zh.append("、".join(t[1] for t in texts))
    years = sorted({s["year"] for s in sessions if s["edition"] is None and s["year"] is not None})
    if years:
        en.append(f"the list{'s' if len(years) > 1 else ''} of {_and(years)} (no session given)")
        zh.append(f"{'、'.join(map(str, years))}年名单（未注明届次）")
    if any(s["edition"] is None and s["year"] is None for s in sessions):
        en.append("a list with neither session nor year")
        zh.append("未注明届次和年份的名单")
    return " and ".join(en), "、".join(zh)


def _ordered_awards(lists: list[dict[str, Any]]) -> list[str]:
    others = sorted({s["award"] or "" for s in lists} - set(AWARD_NAMES))
    return [*AWARD_NAMES, *others]


def not_listed(lists: list[dict[str, Any]], as_of: date) -> tuple[str, str]:
    """Why a patent on none of the lists is unknown: the lists loaded (counted at ``as_of``) and those not."""
    if not lists:
        return NO_LIST
    en: list[str] = []
    zh: list[str] = []
    for award in _ordered_awards(lists):
        name, name_zh = award_name(award)
        mine = [s for s in lists if (s["award"] or "") == award]
        counted = [s for s in mine if _counts(s, as_of)]
        later = [s for s in mine if not _counts(s, as_of)]
        if counted:
            text, text_zh = describe(counted)
            en.append(f"not on the {name} lists loaded: {text}")
            zh.append(f"不在已载入的{name_zh}名单中：{text_zh}")
        else:
            en.append(f"no {name} list loaded" + (f" up to {as_of.isoformat()}" if later else ""))
            zh.append(f"未载入{name_zh}名单" if not later else f"未载入{as_of.isoformat()}以前的{name_zh}名单")
        if later:
            text, text_zh = describe(later)
            verb = "is" if len(later) == 1 else "are"
            en.append(f"{name}: {text} {verb} after {as_of.isoformat()} and not counted")
            zh.append(f"{name_zh}{text_zh}晚于评价日{as_of.isoformat()}，不计入")
    return "; ".join(en), "；".join(zh)


def listed(awards: list[dict[str, Any]]) -> tuple[str, str]:
    """The reason of a patent on a list: its first award (session, level, year), and how many more listings it
    has: ``China Patent Award session 20 (2018), gold`` / ``第20届中国专利奖金奖（2018年）``."""
    a = awards[0]
    name, name_zh = award_name(a["award"])
    level, level_zh = level_name(a["level"])
    year, year_zh = (f" ({a['year']})", f"（{a['year']}年）") if a["year"] is not None else ("", "")
    session, session_zh = (f" session {a['edition']}", f"第{a['edition']}届") if a["edition"] is not None else ("", "")
    more, more_zh = (f" (and {len(awards) - 1} more listing{'s' if len(awards) > 2 else ''})",
                     f"（另有{len(awards) - 1}项）") if len(awards) > 1 else ("", "")
    # as the award names itself: 第20届中国专利奖金奖, 第17届中国专利奖优秀奖, 第20届中国专利奖外观设计金奖
    return f"{name}{session}{year}, {level}{more}", f"{session_zh}{name_zh}{level_zh}{year_zh}{more_zh}"


def counted_lists(lists: list[dict[str, Any]], as_of: date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The loaded sessions that count at ``as_of``, and those after it."""
    return [s for s in lists if _counts(s, as_of)], [s for s in lists if not _counts(s, as_of)]
