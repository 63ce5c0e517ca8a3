"""Declarative column maps for table exports: which column names carry which field.

A map is a YAML file with ``fields`` (field -> list of column names) and ``keep`` (extra key -> list of
column names of known columns that have no field). The built-in maps are the ``*.yaml`` files of this
package; a folder of further maps (the setting ``column_maps``) is read at read time, and its names are
tried before the built-in ones. Column names are compared folded (NFKC, no spaces, lower case), so
full-width and half-width brackets are the same.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from ipcockpit.errors import SettingsError


def fold(column: object) -> str:
    """The comparable form of a column name."""
    text = unicodedata.normalize("NFKC", str(column or "")).lstrip("\ufeff")
    return "".join(text.split()).lower()


@dataclass
class ColumnMap:
    """Field and keep aliases, merged from one or more YAML maps (earlier maps first)."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    keep: dict[str, list[str]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def extend(self, data: dict[str, object], origin: str) -> None:
        for section in ("fields", "keep"):
            part = data.get(section) or {}
            if not isinstance(part, dict):
                raise SettingsError(f"{origin}: '{section}' must map names to lists of column names.")
            target: dict[str, list[str]] = getattr(self, section)
            for key, names in part.items():
                if isinstance(names, str):
                    names = [names]
                if not isinstance(names, list):
                    raise SettingsError(f"{origin}: {section}.{key} must be a list of column names.")
                merged = target.setdefault(str(key), [])
                merged.extend(str(n) for n in names if str(n) not in merged)
        self.sources.append(origin)

    def match(self, header: list[object]) -> HeaderMatch:
        """Which column index carries each field, which are kept, which are unknown."""
        folded = [fold(h) for h in header]
        used: set[int] = set()
        fields: dict[str, int] = {}
        for name, aliases in self.fields.items():
            for alias in aliases:
                a = fold(alias)
                idx = next((i for i, f in enumerate(folded) if f == a and i not in used), None)
                if idx is not None:
                    fields[name] = idx
                    used.add(idx)
                    break
        keep: dict[int, str] = {}
        alias_index = {fold(a): key for key, aliases in self.keep.items() for a in aliases}
        all_field_aliases = {fold(a) for aliases in self.fields.values() for a in aliases}
        unknown: list[int] = []
        for i, f in enumerate(folded):
            if i in used or not f:
                continue
            if f in alias_index:
                keep[i] = alias_index[f]
            elif f in all_field_aliases:
                keep[i] = str(header[i]).strip()  # a second column for a field already taken
            else:
                unknown.append(i)
        return HeaderMatch([str(h or "").strip() for h in header], fields, keep, unknown)


@dataclass
class HeaderMatch:
    header: list[str]
    fields: dict[str, int]
    keep: dict[int, str]  # column index -> extra key
    unknown: list[int]

    @property
    def unknown_names(self) -> list[str]:
        return [self.header[i] for i in self.unknown]


def _load(text: str, origin: str) -> dict[str, object]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise SettingsError(f"{origin}: not valid YAML ({exc}); fix the column map or remove it.") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"{origin}: a column map is a mapping with 'fields' and 'keep'.")
    return data


@cache
def builtin_maps() -> tuple[tuple[str, str], ...]:
    """(file name, YAML text) of the maps shipped with ipcockpit."""
    pkg = resources.files("ipcockpit.ingest.column_maps")
    return tuple(sorted((p.name, p.read_text(encoding="utf-8")) for p in pkg.iterdir() if p.name.endswith(".yaml")))


def load_column_map(extra_folder: str | Path | None = None) -> ColumnMap:
    """The built-in maps, with the ``*.yaml`` maps of ``extra_folder`` tried first."""
    cmap = ColumnMap()
    if extra_folder:
        folder = Path(extra_folder)
        if not folder.is_dir():
            raise SettingsError(f"column_maps: {folder} is not a folder; set it to a folder of YAML column maps.")
        for path in sorted(folder.glob("*.y*ml")):
            cmap.extend(_load(path.read_text(encoding="utf-8"), str(path)), str(path))
    for name, text in builtin_maps():
        cmap.extend(_load(text, f"ipcockpit/ingest/column_maps/{name}"), name)
    return cmap
