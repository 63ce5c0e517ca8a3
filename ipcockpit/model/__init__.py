"""The canonical model: record types that ingesters yield and the tables they land in."""

from ipcockpit.model.records import (
    Address,
    Citation,
    Claim,
    Classification,
    Inventor,
    LegalEvent,
    Party,
    PatentRecord,
    Priority,
    ReferenceRecord,
    Rejected,
    Text,
)

__all__ = [
    "Address",
    "Citation",
    "Claim",
    "Classification",
    "Inventor",
    "LegalEvent",
    "Party",
    "PatentRecord",
    "Priority",
    "ReferenceRecord",
    "Rejected",
    "Text",
]
