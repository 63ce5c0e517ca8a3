"""Filings scattered over nominally different applicants that share an address or an agent (拆分申请、
关联主体分散申请).

- **address**: the filers' addresses (``parties.address_raw`` of applicants and patentees) folded (NFKC, white
  space, punctuation and a leading postcode removed); an address shared by at least ``address_subjects``
  different subjects is a signal. Only precise addresses are compared: one with a house number (a digit before
  号, 室, 楼, 栋, 幢, 层 or 单元); ``美国新泽西州`` or ``重庆市璧山区`` alone are too coarse and are counted as such.
- **agent**: an agent (``parties`` role ``agent``: the agency or the agent as the source names them) on the
  applications of at least ``agent_subjects`` different subjects. Agencies serve many clients: this is the weaker
  of the two, and its threshold is higher.

The data has no contact field (telephone, e-mail): shared contacts cannot be checked and are reported unknown.
A case's subject is the shared address (``address:<folded>``) or agent (``agent:<folded name>``); its evidence
lists the subjects (organisation entity or name) and their applications.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from typing import Any

import duckdb

from ipcockpit.model.names import normalise_name
from ipcockpit.signals.common import FILERS, Found, finding, unknown

_PRECISE = re.compile(r"\d+\s*(号|室|楼|栋|幢|层|单元)|\b\d+\s+\w+\s+(street|st|road|rd|avenue|ave)\b", re.I)
_PUNCT = re.compile(r"[\s,，.。、;；:：()（）\-—#]+")
_POSTCODE = re.compile(r"^\d{6}(?=\D)")


def fold_address(raw: str | None) -> str | None:
    """The folded address, None when it is empty or too coarse to compare (no house number)."""
    if not raw:
        return None
    text = unicodedata.normalize("NFKC", raw).strip().lower()
    text = _POSTCODE.sub("", text)
    if not _PRECISE.search(text):
        return None
    return _PUNCT.sub("", text)


def _group(found: Found, groups: dict[str, dict[str, Any]], need: int, prefix: str, names: dict[str, str],
           shown: dict[str, str]) -> None:
    for key, members in sorted(groups.items()):
        found.checked += 1
        if len(members) < need:
            continue
        subjects = [{"subject": s, "subject_name": names[s], "applications": sorted(apps),
                     "documents": sorted({d for a in apps.values() for d in a})}
                    for s, apps in sorted(members.items())]
        apps = {a for m in members.values() for a in m}
        found.findings.append(finding(
            f"{prefix}:{key}", shown[key], [f"{prefix}:{key}"], len(apps),
            {"measure": len(members), "threshold": need, "shared": prefix, "shared_value": shown[key],
             "subjects": subjects, "applications": len(apps)}))


def detect_scattered(con: duckdb.DuckDBPyConnection, th: dict[str, Any]) -> Found:
    found = Found("scattered", th)
    rows = con.execute(f"WITH f AS ({FILERS}) SELECT subject, subject_name, address_raw, app_key, doc_id FROM f "
                       "ORDER BY subject, doc_id").fetchall()
    names: dict[str, str] = {}
    by_address: dict[str, dict[str, dict[str, set[str]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(set)))
    shown: dict[str, str] = {}
    no_address, coarse = 0, 0
    filers_of: dict[str, set[tuple[str, str]]] = defaultdict(set)  # doc -> (subject, app)
    for subject, name, address, app, doc in rows:
        names.setdefault(subject, name)
        filers_of[doc].add((subject, app))
        if not address:
            no_address += 1
            continue
        key = fold_address(address)
        if key is None:
            coarse += 1
            continue
        shown.setdefault(key, address)
        by_address[key][subject][app].add(doc)
    _group(found, by_address, int(th["address_subjects"]), "address", names, shown)
    by_agent: dict[str, dict[str, dict[str, set[str]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(set)))
    agents = con.execute("SELECT doc_id, name_raw FROM parties WHERE role = 'agent' AND coalesce(name_raw, '') <> ''"
                         " ORDER BY doc_id, seq").fetchall()
    for doc, agent in agents:
        key = normalise_name(agent)
        if not key:
            continue
        shown.setdefault(key, agent)
        for subject, app in filers_of.get(doc, ()):
            by_agent[key][subject][app].add(doc)
    _group(found, by_agent, int(th["agent_subjects"]), "agent", names, shown)
    if no_address or coarse:
        found.unknown.append(unknown("signals.unknown.address", f"{no_address} filer rows have no address and "
                                     f"{coarse} an address too coarse to compare (no house number)",
                                     count=no_address + coarse, no_address=no_address, coarse=coarse))
    if not agents:
        found.unknown.append(unknown("signals.unknown.no_agent", "no agent is on record in the data: shared "
                                     "agents cannot be checked"))
    found.unknown.append(unknown("signals.unknown.no_contact", "the data has no contact field (telephone, "
                                 "e-mail): shared contacts cannot be checked"))
    found.facts = {"filer_rows": len(rows), "addresses": len(by_address), "agents": len(by_agent),
                   "no_address": no_address, "coarse_address": coarse}
    return found
