"""Organisation resolution: names -> entities, and the links between entities (docs/entities.md "Organisations").

The steps, on distinct names only (mentions repeat):

1. each name is read once (:mod:`ipcockpit.entities.org_keys`): its core, legal-form family, blocking keys and the
   parent it names; names of one key (core and family) are one node;
2. candidate pairs of nodes share a blocking key (a word of the core, the first or last six letters, the initials,
   the pinyin, two Chinese characters); a blocking key held by more than ``MAX_BLOCK`` nodes is too common to
   tell anything and is skipped (the other keys of the pair still meet);
3. the pairwise scorer (:func:`score`) gives each candidate pair a likeness in [0, 1]; pairs at ``THRESHOLD`` or
   above are matches. Names a second source gave the same party of one document (``name_aliases``) are matches
   whatever their spelling (``evidence``);
4. clustering: matches join nodes, strongest first, and two groups join only when their two most frequent
   names also score at ``THRESHOLD`` (no chains of small steps: A~B, B~C, but A and C far apart), and never
   across two legal-form families (a group's national companies are linked, not merged);
5. links: a branch, subsidiary or affiliate whose parent's core is an entity is linked to it (``kind``), and so
   are two entities of one core in two legal-form families (``national``).

The entity id of a cluster is ``o:`` and the first 16 hex digits of the SHA-1 of its smallest key: the same
names give the same id in any order. The store keeps ids once given (:mod:`ipcockpit.entities.store`): a cluster
that grows keeps its id.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA, Indel

from ipcockpit.entities.org_keys import OrgName, read_name

#: the least likeness of two names for a match (measured on the NBER assignees: docs/entities.md)
THRESHOLD = 0.9
#: the least likeness of two words for one to be the other misspelt ("Northwestern", "Northeastern": 0.83)
WORD_LIKENESS = 0.85
#: names of fewer letters than this match only when their cores are equal
MIN_FUZZY = 8
#: a blocking key shared by more nodes than this is skipped
MAX_BLOCK = 200


def entity_id(key: str) -> str:
    return "o:" + hashlib.sha1(key.encode()).hexdigest()[:16]


def score(a: OrgName, b: OrgName) -> float:
    """The likeness of two names: 1 for one core, 0.99 for one core but for spaces; else the indel similarity of
    the cores, 0 when they cannot be one organisation (two legal-form families, other digits, two scripts, one a
    state's agency and the other not, a word of one the other lacks) or a spelling likeness cannot tell (a core
    under MIN_FUZZY letters, letters not Latin: Chinese, Hangul, Cyrillic ..., a person's name: "Frederic" and
    "Fredric Newberg" may be two people)."""
    if a.form and b.form and a.form != b.form:
        return 0.0
    if a.core == b.core:
        return 1.0
    if a.script != b.script or ("|" in a.core) != ("|" in b.core) or a.digits != b.digits:
        return 0.0
    ca, cb = a.core.replace(" ", ""), b.core.replace(" ", "")
    if ca == cb:
        return 0.99
    if min(len(ca), len(cb)) < MIN_FUZZY or a.script != "latin" or a.person or b.person:
        return 0.0  # a spelling likeness tells nothing in a short name, another script, or a person's name
    if "|" in a.core:  # a state's agency: the agencies compare ("navy" and "army" are one letter apart)
        sa, sb = a.core.split("|", 1)[1].strip(), b.core.split("|", 1)[1].strip()
        if min(len(sa), len(sb)) < MIN_FUZZY:
            return 0.0
        return Indel.normalized_similarity(sa, sb)
    if not (_aligned(a.core, b.core) and _aligned(b.core, a.core)):
        return 0.0
    return Indel.normalized_similarity(ca, cb)


def _aligned(core: str, other: str) -> bool:
    """Whether each word of ``core`` is in the other name: as a word, misspelt (WORD_LIKENESS), or inside its
    letters (words written together). A word the other lacks tells two organisations apart ("Iowa State
    University Research Foundation", "University of Iowa Research Foundation") however alike the rest is."""
    words = other.split()
    compact = "".join(words)
    for w in core.split():
        if w == "|" or w in words:
            continue
        if len(w) >= 4 and w in compact:
            continue
        if not any(OSA.normalized_similarity(w, x) >= WORD_LIKENESS for x in words):
            return False
    return True


@dataclass
class Resolution:
    """What resolving a list of names gave: ``ids`` one entity id per input name (None for an empty name);
    ``keys`` each entity's names' keys; ``links`` (from id, to id, kind); ``reasons`` why each matched pair of
    keys is one (score or evidence)."""

    ids: list[str | None]
    members: dict[str, list[str]] = field(default_factory=dict)
    links: list[tuple[str, str, str]] = field(default_factory=list)
    reasons: dict[tuple[str, str], str] = field(default_factory=dict)


class _Clusters:
    """Union-find over node keys that remembers each group's most frequent key and its family."""

    def __init__(self, nodes: dict[str, OrgName], weight: Counter[str], fixed: dict[str, str]) -> None:
        self.fixed = {k: fixed.get(k) for k in nodes}
        self.parent = {k: k for k in nodes}
        self.head = {k: k for k in nodes}
        self.form = {k: n.form for k, n in nodes.items()}
        self.weight = {k: weight[k] for k in nodes}
        self.count = weight
        self.nodes = nodes

    def find(self, k: str) -> str:
        root = k
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[k] != root:
            self.parent[k], k = root, self.parent[k]
        return root

    def join(self, a: str, b: str, forced: bool = False) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        fa, fb = self.form[ra], self.form[rb]
        if fa and fb and fa != fb:
            return False
        if self.fixed[ra] and self.fixed[rb] and self.fixed[ra] != self.fixed[rb]:
            return False  # two entities already given ids stay two (an analyst's merge joins them)
        if not forced and score(self.nodes[self.head[ra]], self.nodes[self.head[rb]]) < THRESHOLD:
            return False
        if self.weight[ra] < self.weight[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.form[ra] = fa or fb
        self.fixed[ra] = self.fixed[ra] or self.fixed[rb]
        self.weight[ra] += self.weight[rb]
        self.head[ra] = max(self.head[ra], self.head[rb], key=lambda k: (self.count[k], k))
        return True


def candidate_pairs(nodes: dict[str, OrgName]) -> set[tuple[str, str]]:
    """Pairs of node keys that share a blocking key held by at most MAX_BLOCK nodes."""
    blocks: dict[str, list[str]] = defaultdict(list)
    for key, name in nodes.items():
        for b in name.blocks:
            blocks[b].append(key)
    pairs: set[tuple[str, str]] = set()
    for members in blocks.values():
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        members.sort()
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                pairs.add((a, b))
    return pairs


def resolve(names: Sequence[str | None], evidence: Iterable[tuple[str, str]] = (),
            fixed: dict[str, str] | None = None, weights: Sequence[int] | None = None) -> Resolution:
    """Resolve names (module steps). ``evidence``: pairs of raw names known to be one party (name_aliases);
    ``fixed``: node keys whose entity id is already given (the store's): kept as given, and two of them never
    joined; ``weights``: how many mentions each name stands for (default 1 each)."""
    fixed = fixed or {}
    weight: Counter[str] = Counter()  # mentions repeat: each distinct name is read once
    for i, n in enumerate(names):
        if n:
            weight[n] += weights[i] if weights is not None else 1
    read = {n: read_name(n) for n in weight}
    count: Counter[str] = Counter()
    nodes: dict[str, OrgName] = {}
    for n, r in read.items():
        if r:
            count[r.key] += weight[n]
            nodes.setdefault(r.key, r)
    clusters = _Clusters(nodes, count, fixed)
    reasons: dict[tuple[str, str], str] = {}
    for a, b in evidence:
        ra, rb = read_name(a), read_name(b)
        if ra and rb and ra.key in nodes and rb.key in nodes and ra.key != rb.key:
            if clusters.join(ra.key, rb.key, forced=True):
                reasons[(ra.key, rb.key)] = "evidence"
    scored = []
    for a, b in candidate_pairs(nodes):
        s = score(nodes[a], nodes[b])
        if s >= THRESHOLD:
            scored.append((s, a, b))
    # join the node without a form to the family its core has most mentions of, before any spelling match
    by_core: dict[str, list[str]] = defaultdict(list)
    for k, n in nodes.items():
        by_core[n.core].append(k)
    for keys in by_core.values():
        formless = [k for k in keys if not nodes[k].form]
        formed = [k for k in keys if nodes[k].form]
        if formless and formed:
            best = max(formed, key=lambda k: (count[k], k))
            for k in formless:
                clusters.join(best, k, forced=True)
                reasons[(best, k)] = "core"
    for s, a, b in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
        if clusters.join(a, b):
            reasons.setdefault((a, b), f"{s:.3f}")
    groups: dict[str, list[str]] = defaultdict(list)
    for k in nodes:
        groups[clusters.find(k)].append(k)
    key_id: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    for keys in groups.values():
        given = sorted({fixed[k] for k in keys if k in fixed})
        eid = given[0] if given else entity_id(min(keys))
        members.setdefault(eid, []).extend(sorted(keys))
        for k in keys:
            key_id[k] = fixed.get(k, eid)
    links = _links(nodes, key_id)
    ids = [key_id[r.key] if n and (r := read[n]) else None for n in names]
    return Resolution(ids, members, links, reasons)


def _links(nodes: dict[str, OrgName], key_id: dict[str, str]) -> list[tuple[str, str, str]]:
    """(child id, parent id, kind): a branch, subsidiary or affiliate to the entity of its parent's core, and the
    entities of one core in two legal-form families to each other (national)."""
    by_core: dict[str, set[str]] = defaultdict(set)
    formed: dict[str, set[str]] = defaultdict(set)
    for k, n in nodes.items():
        by_core[n.core].add(key_id[k])
        if n.form:
            formed[n.core].add(key_id[k])
    out: set[tuple[str, str, str]] = set()
    for k, n in nodes.items():
        if n.parent and n.parent in by_core:
            for target in by_core[n.parent]:
                if target != key_id[k]:
                    out.add((key_id[k], target, n.link or "affiliate"))
    for ids in formed.values():
        ordered = sorted(ids)
        for other in ordered[1:]:
            out.add((other, ordered[0], "national"))
    return sorted(out)


def resolve_organisations(names: list[str]) -> list[str]:
    """One entity id (``o:...``) per organisation name, in order; an empty name gets None."""
    return resolve(names).ids  # type: ignore[return-value]
