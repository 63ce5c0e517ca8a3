"""Why a cockpit figure is missing or unknown, in any language: a catalogue key and its values.

Every reason the cockpit gives (a card's ``reason``, ``status_reason`` and ``progress_reason``, a computed
value's reason, the drill-down's reason) is a :class:`Reason`: a key of the locale catalogues
(``cockpit.reason.*``, in ``ipcockpit/locale/zh-CN.json`` and ``en.json``) and the values it is formatted
with (years, counts, codes: nothing that needs translating). The data carries three fields per reason --
``<name>`` (the English text, for JSON clients and logs), ``<name>_key`` and ``<name>_values`` -- and every
page, report and download in another language formats the key itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ipcockpit.i18n import catalogue

#: the language of the ``<name>`` text kept in the data
DATA_LANGUAGE = "en"


@dataclass(frozen=True)
class Reason:
    """A catalogue key and its values; :meth:`text` formats it."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str = DATA_LANGUAGE) -> str:
        """The reason in ``lang``; a key missing from the catalogue is an error (tests check every key)."""
        return catalogue(lang)[self.key].format(**self.values)

    def fields(self, name: str = "reason") -> dict[str, Any]:
        """``{name: English text, name_key: key, name_values: values}`` for a card or a drill-down."""
        return {name: self.text(), f"{name}_key": self.key, f"{name}_values": dict(self.values)}


def none_fields(name: str = "reason") -> dict[str, Any]:
    """The fields of no reason."""
    return {name: None, f"{name}_key": None, f"{name}_values": None}


def fields(reason: Reason | None, name: str = "reason") -> dict[str, Any]:
    return reason.fields(name) if reason is not None else none_fields(name)


def translate(data: Mapping[str, Any], name: str, t: Any) -> str | None:
    """The reason ``name`` of a card or drill-down (``data``) in the language of the translator ``t``;
    the English text where the data has no key (data made before reasons had keys)."""
    key = data.get(f"{name}_key")
    if key:
        return str(t(key, **(data.get(f"{name}_values") or {})))
    text = data.get(name)
    return str(text) if text else None
