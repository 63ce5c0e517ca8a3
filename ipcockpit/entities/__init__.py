"""Entities: organisations and inventors resolved across names, sources and re-ingests (docs/entities.md).

``resolve_organisations(names)`` gives one entity id per organisation name; ``resolve_inventors(mentions)`` one
per inventor mention. Both are the same code that ingest uses to give stored parties and inventors their ids.
The functions load on first use, so that importing ipcockpit does not load the resolution libraries.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "resolve_organisations": "ipcockpit.entities.organisations",
    "resolve_inventors": "ipcockpit.entities.inventors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ipcockpit.entities' has no attribute {name!r}")
    return getattr(import_module(module), name)
