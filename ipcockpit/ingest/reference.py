"""Reference tables (classification titles, technology fields, concordances): the formats, gathered here.

Each reader lives in a module named for what it reads:
:mod:`ipcockpit.ingest.ref_ipc` (IPC titles, English and Chinese),
:mod:`ipcockpit.ingest.ref_fields` (WIPO 35 technology fields, NBER categories),
:mod:`ipcockpit.ingest.ref_concordance` (CNIPA SEI / green / digital catalogs, pre-examination
scopes, the official SEI table as CSV). docs/reference_tables.md describes the tables.
"""

from __future__ import annotations

from ipcockpit.ingest.ref_concordance import CnipaCatalogJson, PrefilingScopeJson, SeiTableCsv
from ipcockpit.ingest.ref_fields import NberFields, WipoTechFields
from ipcockpit.ingest.ref_ipc import IpcTitlesEn, IpcTreeZh

INGESTERS = [IpcTitlesEn, IpcTreeZh, WipoTechFields, NberFields, CnipaCatalogJson, PrefilingScopeJson, SeiTableCsv]
