"""Inventor resolution in the manner PatentsView documents: canopies, pairwise evidence, clustering.

Rules:
- Canopies (blocks): mentions are compared only within a canopy, the first letter of the given name and the
  full surname (ipcockpit.entities.inv_names; Chinese names in pinyin, either order for pinyin names).
- Pairwise score, a sum of log-odds-like weights (``WEIGHTS``): the name (same given name, middle initials that
  agree or conflict, suffixes, a given name that is only an initial or a near spelling), shared co-inventors
  (by canopy), the same applicant (resolved by ipcockpit.entities.resolve_organisations when present, else
  folded), shared IPC subclasses, the gap in years, the same city, title words in common. A pair whose name
  agrees and that has no other evidence scores ``same_name``, so that with no features the result is the
  name-only one; a name that is common in the input (many given names beside its surname and many surnames
  beside its given name) loses ``common_name`` per unit of log-commonness and then needs evidence to link.
  Different given names (not an initial, not one typo apart, not the same letters joined) are never linked:
  nicknames ("Don" / "Donald") are not recognised.
- Clustering: pairs are taken best first; two clusters join when the mean score over all their cross pairs
  is at least ``LINK`` (average linkage, so one strong pair does not chain two people together). Two mentions of
  one document (the same ``doc_id``) are two people: clusters that hold one each never join, whatever the
  evidence (relatives who invent together share co-inventors, applicant and classes).
- Entity ids start with ``i:``; they come from the cluster's first mention (name and position) so the same
  input gives the same ids. Ids kept across re-ingests are the store's work (ipcockpit.entities.inv_store).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import Levenshtein

from ipcockpit.entities.inv_names import InventorName, fold, parse_name

WEIGHTS: dict[str, float] = {
    "same_name": 2.0,          # given name and surname agree (either order for pinyin names)
    "middle_agree": 1.0,       # both have middle initials and they agree
    "middle_conflict": -4.0,   # both have middle initials and they differ
    "middle_unknown": 3.0,     # one lacks middle initials: per unit of log(distinct middles seen with the name)
    "suffix_conflict": -4.0,   # Jr vs Sr, II vs III
    "given_initial": -0.5,     # one given name is the other's initial ("J." / "John")
    "given_near": -3.0,        # a near spelling (one edit, 5 letters or more, not pinyin)
    "coinventor": 3.0,         # one co-inventor in common
    "coinventor_more": 1.5,    # a second or further co-inventor in common
    "coinventor_none": -1.0,   # both have co-inventors, none in common
    "applicant": 2.0,          # the same (resolved) applicant
    "applicant_other": -0.5,   # both known, no applicant in common
    "ipc": 1.0,                # an IPC subclass in common
    "ipc_other": -0.5,         # both known, none in common
    "year_near": 0.3,          # within 5 years
    "year_far": -1.0,          # more than 15 years apart
    "city": 1.0,               # the same city
    "city_other": -0.3,        # both known and different
    "title": 1.0,              # title words in common (Jaccard >= 0.2)
    "common_name": 2.0,        # per unit of log(1 + expected people sharing the name)
    "external": 10.0,          # one external id (PatentsView inventor_id): one person, whatever the given names
    "external_other": -10.0,   # two external ids: two people
}
LINK = 0.0
_UNSCORED = -10.0
_WORD = re.compile(r"[a-z0-9]{4,}|[\u4e00-\u9fff]")


@dataclass
class _Mention:
    index: int
    name: InventorName
    coinv: frozenset[str] = frozenset()
    applicants: frozenset[str] = frozenset()
    ipc: frozenset[str] = frozenset()
    year: int | None = None
    city: str | None = None
    title: frozenset[str] = frozenset()
    commonness: float = 0.0
    middles: float = 0.0  # log of the distinct middle initials seen with this given name and surname
    doc: str | None = None  # the document of the mention (``doc_id``): one document's inventors are two people
    external: str | None = None  # an id an extract gave the mention (PatentsView's inventor_id)
    extra: dict[str, Any] = field(default_factory=dict)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in re.split(r"[;|\n]", value) if v.strip()]
    return [str(v) for v in value if v is not None and str(v).strip()]


def _year(value: Any) -> int | None:
    try:
        return int(str(value)[:4]) if value not in (None, "") else None
    except ValueError:
        return None  # a year that cannot be read is unknown


def _title_words(title: str | None) -> frozenset[str]:
    if not title:
        return frozenset()
    words = _WORD.findall(fold(title))
    if any("\u4e00" <= w <= "\u9fff" for w in words):  # Chinese: character bigrams
        chars = [w for w in words if len(w) == 1]
        return frozenset(a + b for a, b in zip(chars, chars[1:], strict=False))
    return frozenset(words)


def _applicant_ids(mentions: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Applicant name -> id: resolved organisations when that resolver is installed, else the folded name (for the
    mentions that do not bring their applicants' ids, ``applicant_ids``)."""
    names = sorted({a for m in mentions if m.get("applicant_ids") is None for a in _as_list(m.get("applicant"))})
    if not names:
        return {}
    try:
        from ipcockpit.entities.organisations import resolve_organisations
    except ImportError:
        resolve_organisations = None
    if resolve_organisations is not None:
        return dict(zip(names, resolve_organisations(names), strict=True))
    from ipcockpit.model.names import normalise_name

    return {n: normalise_name(n) or n for n in names}


def _prepare(mentions: Sequence[dict[str, Any]], canopies: Collection[str] | None = None) -> list[_Mention | None]:
    """Mentions with their evidence; with ``canopies``, the mentions of other canopies carry their name only."""
    names = [parse_name(m.get("name")) for m in mentions]
    if canopies is not None:
        wanted = [m for m, n in zip(mentions, names, strict=True) if n is not None and n.canopy in canopies]
    applicant_ids = _applicant_ids(mentions if canopies is None else wanted)
    out: list[_Mention | None] = []
    for i, (m, name) in enumerate(zip(mentions, names, strict=True)):
        if name is None:
            out.append(None)
            continue
        if canopies is not None and name.canopy not in canopies:
            out.append(_Mention(index=i, name=name, doc=m.get("doc_id"), external=m.get("external_id")))
            continue
        co = frozenset(p.canopy for p in (parse_name(c) for c in _as_list(m.get("coinventors"))) if p is not None)
        year = _year(m.get("year"))
        out.append(_Mention(
            index=i, name=name, coinv=co - {name.canopy},
            applicants=frozenset(m["applicant_ids"]) if m.get("applicant_ids") is not None else
            frozenset(applicant_ids[a] for a in _as_list(m.get("applicant"))),
            ipc=frozenset(c.replace(" ", "")[:4].upper() for c in _as_list(m.get("ipc")) if len(c.strip()) >= 4),
            year=year,
            city=fold(m["city"]).strip() or None if m.get("city") else None,
            title=_title_words(m.get("title")),
            doc=m.get("doc_id"),
            external=m.get("external_id"),
        ))
    return out


def _name_key(name: InventorName) -> tuple[str, str]:
    return (name.given_hz or name.given, name.surname_hz or name.surname)


def _commonness(prepared: list[_Mention]) -> None:
    """Expected number of people sharing each name: (surnames seen with the given name) x (given names seen with
    the surname) / (distinct names), the independence estimate; its log weighs a name's agreement down."""
    names = {_name_key(m.name) for m in prepared}
    by_given: dict[str, set[str]] = defaultdict(set)
    by_surname: dict[str, set[str]] = defaultdict(set)
    for g, s in names:
        by_given[g].add(s)
        by_surname[s].add(g)
    total = max(len(names), 1)
    middles: dict[tuple[str, str], set[tuple[str, ...]]] = defaultdict(set)
    for m in prepared:
        if m.name.middle:
            middles[(m.name.given, m.name.surname)].add(m.name.middle)
    for m in prepared:
        m.middles = math.log(max(len(middles[(m.name.given, m.name.surname)]), 1))
        given, surname = _name_key(m.name)
        expected = len(by_given[given]) * len(by_surname[surname]) / total
        m.commonness = math.log1p(expected)


def _spelled_apart(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Middle names both spelled out and different ("Frank" / "Fred")."""
    return any(len(x) > 1 and len(y) > 1 and x != y for x, y in zip(a, b, strict=False))


def _given_level(a: InventorName, b: InventorName) -> float | None:
    """The given name and surname part of a pair's score; None when they cannot be one person's."""
    w = WEIGHTS
    if a.given_hz and b.given_hz:  # both in characters: the characters decide
        same = a.given_hz == b.given_hz and a.surname_hz == b.surname_hz
        return w["same_name"] if same else None
    swapped = a.pinyin and b.pinyin and a.given == b.surname and a.surname == b.given
    if a.surname != b.surname and not swapped:
        return None
    if a.given == b.given or swapped or a.joined == b.joined:
        return w["same_name"]
    if len(a.given) == 1 or len(b.given) == 1:
        return w["same_name"] + w["given_initial"]
    if not (a.pinyin and b.pinyin) and min(len(a.given), len(b.given)) >= 5 and \
            Levenshtein.distance(a.given, b.given) <= 1:
        return w["same_name"] + w["given_near"]  # a typo; a different pinyin syllable is another name
    return None


def _given_score(a: InventorName, b: InventorName, middles: float = 0.0) -> float | None:
    """The name part of a pair's score; None when the names cannot be one person's (never compared further)."""
    w = WEIGHTS
    score = _given_level(a, b)
    if score is None:
        return None
    joined = a.joined == b.joined and a.given != b.given
    if joined:
        pass  # "Chi Gon" read a middle initial g that "Chi-Gon" has inside its given name
    elif a.middle and b.middle:
        if a.middle != b.middle or _spelled_apart(a.middle_names, b.middle_names):
            score += w["middle_conflict"]
        elif a.middle_names != b.middle_names:  # "Frank" and "F.": agree only as far as an initial tells
            score -= w["middle_unknown"] * middles
        else:
            score += w["middle_agree"]
    elif a.middle or b.middle:
        score -= w["middle_unknown"] * middles
    if a.suffix and b.suffix and a.suffix != b.suffix:
        score += w["suffix_conflict"]
    return score


def pair_score(a: _Mention, b: _Mention) -> float | None:
    w = WEIGHTS
    both = a.external is not None and b.external is not None
    if both and a.external == b.external:
        return w["external"]
    name = _given_score(a.name, b.name, min(a.middles, b.middles))
    if name is None:
        return None
    if both:
        name += w["external_other"]
    score = name - w["common_name"] * max(a.commonness, b.commonness)
    shared = len(a.coinv & b.coinv)
    if shared:
        score += w["coinventor"] + w["coinventor_more"] * (shared - 1)
    elif a.coinv and b.coinv:
        score += w["coinventor_none"]
    if a.applicants and b.applicants:
        score += w["applicant"] if a.applicants & b.applicants else w["applicant_other"]
    if a.ipc and b.ipc:
        score += w["ipc"] if a.ipc & b.ipc else w["ipc_other"]
    if a.year is not None and b.year is not None:
        gap = abs(a.year - b.year)
        score += w["year_near"] if gap <= 5 else w["year_far"] if gap > 15 else 0.0
    if a.city and b.city:
        score += w["city"] if a.city == b.city else w["city_other"]
    if a.title and b.title and len(a.title & b.title) / len(a.title | b.title) >= 0.2:
        score += w["title"]
    return score


def _cluster(members: list[_Mention]) -> list[list[_Mention]]:
    """Average-linkage clustering of one canopy's mentions (see the module rules). A pair that is not scored
    (given names that cannot agree) counts as ``_UNSCORED`` in a cluster mean."""
    n = len(members)
    if n == 1:
        return [members]
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, m in enumerate(members):
        nm = m.name
        groups[(nm.given, nm.joined, nm.surname, str(nm.pinyin), nm.given_hz, nm.surname_hz)].append(i)
    keys = list(groups)
    scores: list[tuple[float, int, int]] = []
    for gi, ka in enumerate(keys):
        for kb in keys[gi:]:
            a_idx, b_idx = groups[ka], groups[kb]
            if ka != kb and _given_level(members[a_idx[0]].name, members[b_idx[0]].name) is None and not (
                    {members[i].external for i in a_idx} & {members[j].external for j in b_idx} - {None}):
                continue
            for x, i in enumerate(a_idx):
                for j in (a_idx[x + 1:] if ka == kb else b_idx):
                    s = pair_score(members[i], members[j])
                    if s is not None:
                        scores.append((s, i, j) if i < j else (s, j, i))
    scores.sort(key=lambda t: -t[0])
    cluster_of = list(range(n))
    clusters: dict[int, list[int]] = {i: [i] for i in range(n)}
    docs: dict[int, set[str]] = {i: {m.doc} if m.doc is not None else set() for i, m in enumerate(members)}
    # between clusters: (sum of scored pairs, number of scored pairs)
    links: dict[int, dict[int, list[float]]] = defaultdict(dict)
    for s, i, j in scores:
        links[i][j] = [s, 1.0]
        links[j][i] = links[i][j]
    for s, i, j in scores:
        if s < LINK:
            break
        ci, cj = cluster_of[i], cluster_of[j]
        if ci == cj or not docs[ci].isdisjoint(docs[cj]):  # one document's inventors: two people
            continue
        total, count = links[ci][cj]
        pairs = len(clusters[ci]) * len(clusters[cj])
        if (total + _UNSCORED * (pairs - count)) / pairs < LINK:
            continue
        if len(clusters[ci]) < len(clusters[cj]):
            ci, cj = cj, ci
        moved = clusters.pop(cj)
        clusters[ci].extend(moved)
        docs[ci] |= docs.pop(cj)
        for y in moved:
            cluster_of[y] = ci
        row_i, row_j = links[ci], links.pop(cj)
        del row_i[cj]
        for k, (t, c) in row_j.items():
            if k == ci:
                continue
            del links[k][cj]
            if k in row_i:
                row_i[k][0] += t
                row_i[k][1] += c
            else:
                row_i[k] = [t, c]
                links[k][ci] = row_i[k]
    return [[members[i] for i in c] for c in clusters.values()]


def _entity_id(cluster: list[_Mention], canopy: str, mentions: Sequence[dict[str, Any]]) -> str:
    keys = [str(mentions[m.index]["key"]) for m in cluster if mentions[m.index].get("key") is not None]
    if keys:
        seed = "key|" + min(keys)
    else:
        first = min(cluster, key=lambda m: m.index)
        seed = f"{canopy}|{first.name.full}|{first.index}"
    return "i:" + hashlib.sha1(seed.encode()).hexdigest()[:16]


def cluster_labels(mentions: Sequence[dict[str, Any]], touched: Collection[int] | None = None) -> list[int]:
    """A cluster number per mention (mentions of one person share it; -1 for a mention without a usable name,
    which is a person of its own). With ``touched`` (mention indexes), only the canopies holding one of them are
    clustered and the other mentions get -2; name commonness is still counted over all mentions, so a canopy
    clusters the same either way."""
    wanted = None
    if touched is not None:
        wanted = {n.canopy for n in (parse_name(mentions[i].get("name")) for i in touched) if n is not None}
    prepared = _prepare(mentions, wanted)
    valid = [m for m in prepared if m is not None]
    _commonness(valid)
    canopies: dict[str, list[_Mention]] = defaultdict(list)
    for m in valid:
        canopies[m.name.canopy].append(m)
    labels = [-1] * len(mentions)
    if wanted is not None:
        for canopy in set(canopies) - wanted:
            for m in canopies.pop(canopy):
                labels[m.index] = -2
    label = 0
    for canopy in sorted(canopies):
        for cluster in _cluster(canopies[canopy]):
            for m in cluster:
                labels[m.index] = label
            label += 1
    return labels


def resolve_inventors(mentions: list[dict[str, Any]]) -> list[str]:
    """One inventor entity id (``i:...``) per mention; mentions of one person share an id.

    A mention is a dict with ``name`` and optional ``coinventors`` (names), ``applicant`` (a name or names),
    ``ipc`` (codes), ``year``, ``city`` and ``title``; ``applicant_ids`` instead of ``applicant`` where the
    applicants are resolved already (their organisation ids: the store's); an optional ``doc_id`` (mentions of
    one document are never one person); an optional ``key`` (e.g. "doc_id#seq") makes the ids
    independent of the order of the input: a person's id then comes from the smallest key among its mentions,
    else from its first mention's name and position. A mention without a usable name gets an id of its own.
    """
    labels = cluster_labels(mentions)
    groups: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        if label >= 0:
            groups[label].append(i)
    ids = [""] * len(mentions)
    for members in groups.values():
        cluster = [_Mention(index=i, name=parse_name(mentions[i].get("name"))) for i in members]  # type: ignore[arg-type]
        entity = _entity_id(cluster, cluster[0].name.canopy, mentions)
        for i in members:
            ids[i] = entity
    for i, label in enumerate(labels):
        if label < 0:
            key = mentions[i].get("key")
            seed = f"key|{key}" if key is not None else f"unnamed|{i}|{mentions[i].get('name')}"
            ids[i] = "i:" + hashlib.sha1(seed.encode()).hexdigest()[:16]
    return ids
