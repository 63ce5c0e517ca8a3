"""Region profiles: one YAML file per region with its plan's indicators, baselines and targets.

The built-in folder (``ipcockpit/cockpit/regions``) holds Bishan District (500120), the default. Any
region is added by a YAML file of the same shape in a user folder (``folders``); a user file with the
same ``admin_code`` as a built-in one replaces it. The shape follows
``../shared/reference/bishan_plan_indicators.yaml`` (docs/cockpit.md)::

    region: {admin_code: "500120", name_zh, name_en, plan, plan_document, plan_issuer, match_prefix?}
    baseline_year: 2020
    target_year: 2025
    indicators: [{id, name_zh, name_en?, unit_zh, unit_en?, baseline, target, mode?, forecast?, min?, max?,
                  cumulative?}]
    series: {population: {name_zh, unit_zh, values: [{year, value, source, note?}]}, market_entities: ...}
    official: [{measure, year, value, unit?, source, url?, quote?, note?, bound?}]
    coverage: {min_share: 0.9}
    other_goals: [...]
    leading_industries_zh: [...]

Validation names the file and the key of every problem: ids unique, numbers or null, years.

``official`` holds the official figures of the region with their source -- counts such as the valid invention
patents of a year (measure ``valid_invention_patents``) or rates such as an indicator's published value
(measure = the indicator id) -- against which :mod:`ipcockpit.cockpit.coverage` measures how much of the
district the loaded records cover; ``coverage.min_share`` is the share below which a computed value is
partial (default :data:`DEFAULT_MIN_SHARE`). ``bound: lower`` marks a figure the source gives as a floor
(超2000万元).

``cumulative: true`` marks a running total: the value of a year is the total at the end of that year, the
baseline itself a total (the plan's PCT applications, Madrid applications, pledge financing). A reported
value of such an indicator is a running total unless reported with basis ``year`` (docs/cockpit.md).
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ipcockpit.errors import IPCockpitError

BUILTIN = Path(__file__).with_name("regions")
DEFAULT_REGION = "500120"
#: the input series every profile may carry, reported like indicators
SERIES_IDS = ("population", "market_entities")
SERIES_NAMES = {
    "population": ("常住人口（年末）", "Resident population (year end)", "人", "people"),
    "market_entities": ("市场主体（年末）", "Market entities (year end)", "户", "entities"),
}
MODES = ("computed", "reported")
FORECAST_METHODS = ("linear", "cagr")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
#: a computed value resting on less than this share of the official count is partial (docs/cockpit.md)
DEFAULT_MIN_SHARE = 0.9
BOUNDS = ("lower",)
_CODE = re.compile(r"^\d{6}$")


def _name_keys(name: str) -> set[str]:
    """What a name is matched by: without case, width and spaces; also without a bracketed end."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or "")).casefold()
    short = re.sub(r"\([^()]*\)$", "", text)
    return {k for k in (text, short) if k}


class ProfileError(IPCockpitError):
    """A region profile cannot be read or does not validate; the message names the file and the key."""


@dataclass(frozen=True)
class SeriesValue:
    year: int
    value: float
    source: str
    note: str | None = None


@dataclass(frozen=True)
class Series:
    id: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    values: tuple[SeriesValue, ...] = ()


@dataclass(frozen=True)
class OfficialFigure:
    """An official figure of the region with its source: a count (``valid_invention_patents``) or an
    indicator's published value (``measure`` = the indicator id)."""

    measure: str
    year: int
    value: float
    source: str
    unit: str = ""
    url: str | None = None
    quote: str | None = None
    note: str | None = None
    bound: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"measure": self.measure, "year": self.year, "value": self.value, "unit": self.unit,
                "source": self.source, "url": self.url, "quote": self.quote, "note": self.note, "bound": self.bound}


@dataclass(frozen=True)
class Indicator:
    """One indicator of a plan. ``mode`` is None when the profile leaves it to the computation registry."""

    id: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    baseline: float | None
    target: float | None
    mode: str | None = None
    forecast: str | None = None
    min: float | None = 0.0
    max: float | None = None
    cumulative: bool = False


@dataclass(frozen=True)
class Region:
    """A region profile as loaded from ``file``."""

    admin_code: str
    name_zh: str
    name_en: str
    baseline_year: int
    target_year: int
    indicators: tuple[Indicator, ...]
    series: dict[str, Series]
    file: str
    plan: str | None = None
    plan_en: str | None = None
    plan_document: str | None = None
    plan_issuer: str | None = None
    plan_issued: str | None = None
    plan_box: str | None = None
    match_prefix: str = ""
    forecast: str = "linear"
    other_goals: tuple[dict[str, Any], ...] = ()
    leading_industries_zh: tuple[str, ...] = ()
    official: tuple[OfficialFigure, ...] = ()
    min_share: float = DEFAULT_MIN_SHARE
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def level(self) -> str:
        """province, city or district, from the GB/T 2260 code."""
        return code_level(self.admin_code)

    def indicator(self, indicator_id: str) -> Indicator | None:
        return next((i for i in self.indicators if i.id == indicator_id), None)

    def official_figure(self, measure: str, year: int) -> OfficialFigure | None:
        """The official figure of ``measure`` for ``year``, or None."""
        return next((f for f in self.official if f.measure == measure and f.year == year), None)

    def reportable(self) -> list[str]:
        """Ids a value may be reported for: the indicators, then the input series."""
        return [i.id for i in self.indicators] + list(SERIES_IDS)

    def reportable_names(self) -> dict[str, tuple[str, str]]:
        """Chinese and English name of each id of :meth:`reportable`."""
        names = {i.id: (i.name_zh, i.name_en) for i in self.indicators}
        for sid in SERIES_IDS:
            series = self.series.get(sid)
            names[sid] = (series.name_zh, series.name_en) if series else SERIES_NAMES[sid][:2]
        return names

    def resolve(self, text: str) -> str | None:
        """The id of the indicator or input series ``text`` names: its id, its Chinese or its English name
        (case, full or half width and spaces do not matter; a name's bracketed end may be left out:
        常住人口 for 常住人口（年末））. None when it names none, or more than one."""
        found: dict[str, set[str]] = {}
        for ind_id, names in self.reportable_names().items():
            for name in (ind_id, *names):
                for key in _name_keys(name):
                    found.setdefault(key, set()).add(ind_id)
        ids = set().union(*(found.get(key, set()) for key in _name_keys(text)))
        return ids.pop() if len(ids) == 1 else None

    def plan_citation(self) -> str:
        """The plan: title and document number."""
        parts = [p for p in (self.plan, f"（{self.plan_document}）" if self.plan_document else None) if p]
        return "".join(parts) or f"地区配置文件 {Path(self.file).name}"

    def plan_source(self) -> str:
        """Where the baselines stand in the plan's text: the title in 《》, the document number, the box
        and the baseline-year column, e.g. 《…规划》（璧山府办发〔2022〕30号）专栏1 …，2020年栏."""
        title = f"《{self.plan}》" if self.plan else f"地区配置文件 {Path(self.file).name}"
        number = f"（{self.plan_document}）" if self.plan_document else ""
        where = f"{self.plan_box}，{self.baseline_year}年栏" if self.plan_box else f"{self.baseline_year}年基期值"
        return f"{title}{number}{where}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.admin_code,
            "admin_code": self.admin_code,
            "name": self.name_zh,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "level": self.level,
            "match_prefix": self.match_prefix,
            "plan": self.plan,
            "plan_en": self.plan_en,
            "plan_document": self.plan_document,
            "plan_issuer": self.plan_issuer,
            "plan_issued": self.plan_issued,
            "baseline_year": self.baseline_year,
            "target_year": self.target_year,
            "other_goals": [dict(g) for g in self.other_goals],
            "leading_industries_zh": list(self.leading_industries_zh),
            "reportable": {i: list(names) for i, names in self.reportable_names().items()},
            "official": [f.as_dict() for f in self.official],
            "coverage_min_share": self.min_share,
            "profile": Path(self.file).name,
        }


def code_level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    return "city" if code.endswith("00") else "district"


def match_prefix(code: str) -> str:
    """The ``parties.admin_code`` prefix of a region: 2 digits (province), 4 (city) or 6 (district)."""
    return {"province": code[:2], "city": code[:4], "district": code}[code_level(code)]


# loading -----------------------------------------------------------------------------------------
def _folders(folders: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None) -> list[Path]:
    if folders is None or folders == "":
        return []
    if isinstance(folders, str | os.PathLike):
        return [Path(folders)]
    return [Path(f) for f in folders if f]


def region_files(
    folders: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
) -> list[Path]:
    """The profile files: built-in first, then each user folder (later files replace earlier codes)."""
    files = sorted(BUILTIN.glob("*.yaml"))
    for folder in _folders(folders):
        if not folder.is_dir():
            raise ProfileError(
                f"{folder}: the region profile folder does not exist; create it or fix the `regions` setting."
            )
        files += sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    return files


def list_regions(
    folders: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
) -> dict[str, Region]:
    """Every region profile by admin code; two files for one code in the same folder are an error."""
    found: dict[str, Region] = {}
    seen: dict[tuple[Path, str], Path] = {}
    for f in region_files(folders):
        region = read_profile(f)
        key = (f.parent.resolve(), region.admin_code)
        if key in seen:
            raise ProfileError(
                f"{f}: region.admin_code {region.admin_code} is also the code of {seen[key]}; "
                "keep one profile per region in a folder."
            )
        seen[key] = f
        found[region.admin_code] = region
    return found


def load_region(
    code: str | Region | None = None,
    folders: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
) -> Region:
    """The profile of region ``code`` (a GB/T 2260 code); Bishan (500120) when ``code`` is None."""
    if isinstance(code, Region):
        return code
    wanted = (str(code).strip() if code else "") or DEFAULT_REGION
    regions = list_regions(folders)
    if wanted not in regions:
        known = ", ".join(f"{c} {r.name_zh}" for c, r in sorted(regions.items()))
        raise ProfileError(
            f"region {wanted}: no profile; known: {known}. Add a YAML file for it to a region "
            "folder (docs/cockpit.md)."
        )
    return regions[wanted]


def read_profile(path: str | os.PathLike[str]) -> Region:
    """One profile file, validated."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{p}: cannot read the region profile ({exc}).") from exc
    except yaml.YAMLError as exc:
        raise ProfileError(
            f"{p}: not valid YAML ({exc}); fix the file (quote values holding quotes or colons)."
        ) from exc
    return parse_profile(data, str(p))


# validation --------------------------------------------------------------------------------------
class _Check:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str, what: str) -> ProfileError:
        return ProfileError(f"{self.file}: {key}: {what}")

    def mapping(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a mapping, got {type(value).__name__}")
        return value

    def text(self, value: Any, key: str, required: bool = True) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail(key, "missing; write a text value")
            return None
        if isinstance(value, date):  # an unquoted YAML date
            return value.isoformat()
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.fail(key, f"expected text, got {type(value).__name__}")
        return str(value).strip()

    def number(self, value: Any, key: str) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail(key, f"expected a number or null, got {value!r}")
        return float(value)

    def year(self, value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2100:
            raise self.fail(key, f"expected a 4-digit year such as 2020, got {value!r}")
        return int(value)

    def choice(self, value: Any, key: str, choices: tuple[str, ...]) -> str | None:
        if value is None:
            return None
        if value not in choices:
            raise self.fail(key, f"{value!r} is not one of {', '.join(choices)}")
        return str(value)


def parse_profile(data: Any, file: str) -> Region:
    """A profile from its parsed YAML; ``file`` names it in errors."""
    ck = _Check(file)
    top = ck.mapping(data, "(top level)")
    reg = ck.mapping(top.get("region"), "region")
    code = reg.get("admin_code")
    if not isinstance(code, str) or not _CODE.match(code.strip()):
        raise ck.fail(
            "region.admin_code", f'expected a quoted 6-digit GB/T 2260 code such as "500120", got {code!r}'
        )
    code = code.strip()
    prefix = ck.text(reg.get("match_prefix"), "region.match_prefix", required=False) or match_prefix(code)
    if not prefix.isdigit() or not code.startswith(prefix):
        raise ck.fail("region.match_prefix", f"{prefix!r} must be digits that begin the admin code {code}")
    base_year = ck.year(top.get("baseline_year"), "baseline_year")
    target_year = ck.year(top.get("target_year"), "target_year")
    if target_year <= base_year:
        raise ck.fail("target_year", f"{target_year} must come after baseline_year {base_year}")
    forecast = ck.choice(top.get("forecast"), "forecast", FORECAST_METHODS) or "linear"
    raw_inds = top.get("indicators")
    if not isinstance(raw_inds, list) or not raw_inds:
        raise ck.fail("indicators", "expected a non-empty list of indicators")
    indicators: list[Indicator] = []
    for n, raw in enumerate(raw_inds):
        indicators.append(_indicator(ck, raw, f"indicators[{n}]", {i.id for i in indicators}))
    series = _series(ck, top.get("series"))
    goals = top.get("other_goals") or []
    if not isinstance(goals, list) or not all(isinstance(g, dict) for g in goals):
        raise ck.fail("other_goals", "expected a list of mappings")
    for n, g in enumerate(goals):
        ck.number(g.get("value"), f"other_goals[{n}].value")
    industries = top.get("leading_industries_zh") or []
    if not isinstance(industries, list):
        raise ck.fail("leading_industries_zh", "expected a list of names")
    known = {
        "region",
        "baseline_year",
        "target_year",
        "indicators",
        "series",
        "other_goals",
        "leading_industries_zh",
        "forecast",
        "official",
        "coverage",
    }
    return Region(
        admin_code=code,
        name_zh=ck.text(reg.get("name_zh"), "region.name_zh") or "",
        name_en=ck.text(reg.get("name_en"), "region.name_en", required=False) or code,
        baseline_year=base_year,
        target_year=target_year,
        indicators=tuple(indicators),
        series=series,
        file=file,
        plan=ck.text(reg.get("plan"), "region.plan", required=False),
        plan_en=ck.text(reg.get("plan_en"), "region.plan_en", required=False),
        plan_document=ck.text(reg.get("plan_document"), "region.plan_document", required=False),
        plan_issuer=ck.text(reg.get("plan_issuer"), "region.plan_issuer", required=False),
        plan_issued=ck.text(reg.get("plan_issued"), "region.plan_issued", required=False),
        plan_box=ck.text(reg.get("plan_box"), "region.plan_box", required=False),
        match_prefix=prefix,
        forecast=forecast,
        other_goals=tuple(goals),
        leading_industries_zh=tuple(str(i) for i in industries),
        official=_official(ck, top.get("official")),
        min_share=_min_share(ck, top.get("coverage")),
        extra={k: v for k, v in top.items() if k not in known},
    )


def _indicator(ck: _Check, raw: Any, key: str, seen: set[str]) -> Indicator:
    raw = ck.mapping(raw, key)
    ind_id = raw.get("id")
    if not isinstance(ind_id, str) or not _ID.match(ind_id):
        raise ck.fail(f"{key}.id", f"expected a lower-case id such as pct_applications, got {ind_id!r}")
    if ind_id in seen:
        raise ck.fail(f"{key}.id", f"{ind_id!r} is used twice; indicator ids must be unique")
    if ind_id in SERIES_IDS:
        raise ck.fail(f"{key}.id", f"{ind_id!r} is an input series; put it under series:, not indicators:")
    cumulative = raw.get("cumulative", False)
    if not isinstance(cumulative, bool):
        raise ck.fail(f"{key}.cumulative", f"expected true or false, got {cumulative!r}")
    for k in ("baseline", "target"):
        if k not in raw:
            raise ck.fail(f"{key}.{k}", "missing; write a number, or null where the plan gives none")
    low, high = ck.number(raw.get("min", 0), f"{key}.min"), ck.number(raw.get("max"), f"{key}.max")
    return Indicator(
        id=ind_id,
        name_zh=ck.text(raw.get("name_zh"), f"{key}.name_zh") or ind_id,
        name_en=ck.text(raw.get("name_en"), f"{key}.name_en", required=False) or ind_id.replace("_", " "),
        unit_zh=ck.text(raw.get("unit_zh"), f"{key}.unit_zh", required=False) or "",
        unit_en=ck.text(raw.get("unit_en"), f"{key}.unit_en", required=False) or "",
        baseline=ck.number(raw.get("baseline"), f"{key}.baseline"),
        target=ck.number(raw.get("target"), f"{key}.target"),
        mode=ck.choice(raw.get("mode"), f"{key}.mode", MODES),
        forecast=ck.choice(raw.get("forecast"), f"{key}.forecast", FORECAST_METHODS),
        min=low,
        max=high,
        cumulative=cumulative,
    )


def _series(ck: _Check, raw: Any) -> dict[str, Series]:
    raw = ck.mapping(raw, "series") if raw is not None else {}
    unknown = set(raw) - set(SERIES_IDS)
    if unknown:
        raise ck.fail(
            "series", f"unknown series {', '.join(sorted(unknown))}; known: {', '.join(SERIES_IDS)}"
        )
    out: dict[str, Series] = {}
    for sid in SERIES_IDS:
        s = ck.mapping(raw.get(sid) or {}, f"series.{sid}")
        zh, en, unit_zh, unit_en = SERIES_NAMES[sid]
        values: list[SeriesValue] = []
        for n, v in enumerate(s.get("values") or []):
            k = f"series.{sid}.values[{n}]"
            v = ck.mapping(v, k)
            year = ck.year(v.get("year"), f"{k}.year")
            if any(x.year == year for x in values):
                raise ck.fail(f"{k}.year", f"{year} is given twice")
            num = ck.number(v.get("value"), f"{k}.value")
            if num is None or num <= 0:
                raise ck.fail(f"{k}.value", f"expected a positive number, got {v.get('value')!r}")
            source = ck.text(v.get("source"), f"{k}.source")
            values.append(
                SeriesValue(year, num, source or "", ck.text(v.get("note"), f"{k}.note", required=False))
            )
        out[sid] = Series(
            sid,
            ck.text(s.get("name_zh"), f"series.{sid}.name_zh", required=False) or zh,
            ck.text(s.get("name_en"), f"series.{sid}.name_en", required=False) or en,
            ck.text(s.get("unit_zh"), f"series.{sid}.unit_zh", required=False) or unit_zh,
            ck.text(s.get("unit_en"), f"series.{sid}.unit_en", required=False) or unit_en,
            tuple(sorted(values, key=lambda x: x.year)),
        )
    return out


def _official(ck: _Check, raw: Any) -> tuple[OfficialFigure, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ck.fail("official", "expected a list of figures {measure, year, value, source, ...}")
    out: list[OfficialFigure] = []
    for n, v in enumerate(raw):
        k = f"official[{n}]"
        v = ck.mapping(v, k)
        measure = v.get("measure")
        if not isinstance(measure, str) or not _ID.match(measure):
            raise ck.fail(f"{k}.measure", f"expected a lower-case id such as valid_invention_patents, got {measure!r}")
        year = ck.year(v.get("year"), f"{k}.year")
        if any(f.measure == measure and f.year == year for f in out):
            raise ck.fail(f"{k}.year", f"{measure} of {year} is given twice")
        value = ck.number(v.get("value"), f"{k}.value")
        if value is None or value <= 0:
            raise ck.fail(f"{k}.value", f"expected a positive number, got {v.get('value')!r}")
        out.append(OfficialFigure(
            measure, year, value, ck.text(v.get("source"), f"{k}.source") or "",
            ck.text(v.get("unit"), f"{k}.unit", required=False) or "",
            ck.text(v.get("url"), f"{k}.url", required=False), ck.text(v.get("quote"), f"{k}.quote", required=False),
            ck.text(v.get("note"), f"{k}.note", required=False), ck.choice(v.get("bound"), f"{k}.bound", BOUNDS),
        ))
    return tuple(out)


def _min_share(ck: _Check, raw: Any) -> float:
    if raw is None:
        return DEFAULT_MIN_SHARE
    share = ck.number(ck.mapping(raw, "coverage").get("min_share", DEFAULT_MIN_SHARE), "coverage.min_share")
    if share is None or not 0 <= share <= 1:
        raise ck.fail("coverage.min_share", f"expected a share from 0 to 1 such as 0.9, got {share!r}")
    return share
