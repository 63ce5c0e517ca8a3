"""The credit rules: failure categories, positive evidence, record kinds, signal kinds and tier thresholds.

The package ships ``rules.yaml`` (the categories of CNIPA's 知识产权信用管理规定, 2022, 第六条); a user's own file
(setting ``credit: {rules: PATH}``) replaces it whole. :func:`load` checks every field and names the file and the
field of a bad one; :attr:`Rules.digest` (a hash of the rules as read) is stored with each computed tier so that a
change of rules shows in the audit log.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ipcockpit.credit import CreditError

SHIPPED = Path(__file__).with_name("rules.yaml")
EFFECTS = ("failure", "positive", "neutral")


@dataclass(frozen=True)
class Category:
    id: str
    zh: str
    en: str
    years: float
    weight: float = 0.0  # failures only
    article: str = ""
    serious: bool = False
    positive: bool = False

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Kind:
    id: str
    zh: str
    en: str
    effect: str
    category: str | None = None  # the default category (required when the record gives none)

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Rules:
    source: str  # the file read
    basis: str
    categories: dict[str, Category]
    kinds: dict[str, Kind]
    signal_cases: dict[str, str]
    d_weight: float
    c_weight: float
    digest: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    def kind(self, text: str) -> Kind | None:
        """The kind an id or a Chinese/English name names (``行政处罚``, ``penalty``)."""
        key = (text or "").strip()
        for k in self.kinds.values():
            if key in (k.id, k.zh, k.en) or key.lower() in (k.id.lower(), k.en.lower()):
                return k
        return None

    def category(self, text: str) -> Category | None:
        """The category an id or a name names (``abnormal_patent``, ``恶意商标注册申请行为``)."""
        key = (text or "").strip()
        for c in self.categories.values():
            if key in (c.id, c.zh, c.en) or key.lower() in (c.id.lower(), c.en.lower()):
                return c
        return None

    def as_dict(self) -> dict[str, Any]:
        """The rules as data (the CLI's ``credit rules --json``, the API)."""
        return {"source": self.source, "basis": self.basis, "digest": self.digest,
                "categories": [vars(c) for c in self.categories.values()],
                "kinds": [vars(k) for k in self.kinds.values()], "signal_cases": dict(self.signal_cases),
                "tiers": {"d_weight": self.d_weight, "c_weight": self.c_weight}}


def _need(where: str, data: Any, name: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(name) if isinstance(data, dict) else None
    if value is None or not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        want = " or ".join(t.__name__ for t in (kind if isinstance(kind, tuple) else (kind,)))
        raise CreditError(f"{where}.{name}: missing or not a {want}; see the shipped {SHIPPED.name}")
    return value


def _category(src: str, cid: str, spec: Any, positive: bool) -> Category:
    where = f"{src}: {'positive' if positive else 'categories'}.{cid}"
    if not isinstance(spec, dict):
        raise CreditError(f"{where}: expected a mapping (zh, en, years{'' if positive else ', weight'})")
    years = float(_need(where, spec, "years", (int, float)))
    if years <= 0:
        raise CreditError(f"{where}.years: {years} — a failure or list entry counts for more than 0 years")
    weight = 0.0
    if not positive:
        weight = float(_need(where, spec, "weight", (int, float)))
        if weight < 1:
            raise CreditError(f"{where}.weight: {weight} — a failure weighs 1 or more (tier C starts at c_weight)")
    return Category(cid, str(_need(where, spec, "zh", str)), str(_need(where, spec, "en", str)), years, weight,
                    str(spec.get("article") or ""), bool(spec.get("serious", False)), positive)


def parse(data: Any, source: str) -> Rules:
    """Rules from the parsed YAML ``data`` of ``source`` (named in every error)."""
    if not isinstance(data, dict):
        raise CreditError(f"{source}: expected a mapping with categories, positive, kinds, signal_cases, tiers")
    cats: dict[str, Category] = {}
    for section, positive in (("categories", False), ("positive", True)):
        block = data.get(section) or {}
        if not isinstance(block, dict) or (not block and not positive):
            raise CreditError(f"{source}: {section}: expected a mapping of category ids")
        for cid, spec in block.items():
            if str(cid) in cats:
                raise CreditError(f"{source}: {section}.{cid}: the id is used twice")
            cats[str(cid)] = _category(source, str(cid), spec, positive)
    kinds: dict[str, Kind] = {}
    for kid, spec in (data.get("kinds") or {}).items():
        where = f"{source}: kinds.{kid}"
        if not isinstance(spec, dict):
            raise CreditError(f"{where}: expected a mapping (zh, en, effect, category)")
        effect = _need(where, spec, "effect", str)
        if effect not in EFFECTS:
            raise CreditError(f"{where}.effect: {effect!r}; use one of {', '.join(EFFECTS)}")
        cat = spec.get("category")
        if cat is not None and cat not in cats:
            raise CreditError(f"{where}.category: {cat!r} is not a category of the file")
        if cat is not None and cats[cat].positive != (effect == "positive"):
            raise CreditError(f"{where}.category: {cat!r} is {'positive' if cats[cat].positive else 'a failure'}, "
                              f"the kind's effect is {effect}")
        if effect == "positive" and cat is None:
            raise CreditError(f"{where}.category: a positive kind names its positive category")
        kinds[str(kid)] = Kind(str(kid), _need(where, spec, "zh", str), _need(where, spec, "en", str), effect,
                               cat)
    if not kinds:
        raise CreditError(f"{source}: kinds: expected a mapping of record kinds")
    signals: dict[str, str] = {}
    for sk, cat in (data.get("signal_cases") or {}).items():
        if cat not in cats or cats[cat].positive:
            raise CreditError(f"{source}: signal_cases.{sk}: {cat!r} is not a failure category of the file")
        signals[str(sk)] = str(cat)
    tiers = data.get("tiers") or {}
    d_weight = float(_need(f"{source}: tiers", tiers, "d_weight", (int, float)))
    c_weight = float(_need(f"{source}: tiers", tiers, "c_weight", (int, float)))
    if not 0 < c_weight <= d_weight:
        raise CreditError(f"{source}: tiers: c_weight {c_weight} and d_weight {d_weight}: need 0 < c_weight <= "
                          "d_weight")
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
    return Rules(source, str(data.get("basis") or ""), cats, kinds, signals, d_weight, c_weight, digest[:12], data)


def load(path: str | Path | None = None) -> Rules:
    """The rules of ``path`` (a user's file), else the shipped ones."""
    file = Path(path) if path else SHIPPED
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise CreditError(f"{file}: cannot read the credit rules ({exc.strerror or exc}); fix the setting "
                          "credit.rules or remove it to use the shipped rules") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CreditError(f"{file}: not valid YAML ({exc})") from exc
    return parse(data, str(file))
