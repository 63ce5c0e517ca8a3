"""The languages of what people read (web pages, reports): catalogues in ipcockpit/locale/<lang>.json.

Every string a person reads in the web app and in the PDF and HTML reports comes from a catalogue; both
catalogues hold the same keys, each with a text and the same ``{placeholders}``. The web app chooses the
language by ?lang=, then the cookie, then the setting ``language``. Terms follow the project glossary.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markupsafe import Markup

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES: tuple[str, ...] = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
COOKIE = "lang"

_ALIASES = {"zh": "zh-CN", "zh-cn": "zh-CN", "zh-hans": "zh-CN", "cn": "zh-CN", "en": "en", "en-us": "en",
            "en-gb": "en"}


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The catalogue of one language (``zh-CN`` or ``en``)."""
    path = LOCALE_DIR / f"{lang}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{path}: locale catalogue missing; reinstall ipcockpit") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON at line {exc.lineno} ({exc.msg}); fix the catalogue") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected one JSON object of key -> text")
    return {str(k): str(v) for k, v in data.items()}


def normalise(lang: str | None) -> str | None:
    """``zh``, ``zh-cn``, ``EN-us`` ... to a supported language, or None."""
    if not lang:
        return None
    return _ALIASES.get(lang.strip().lower())


def choose(query: str | None, cookie: str | None, default: str | None) -> str:
    """The language of a request: the ?lang= parameter, then the cookie, then the setting."""
    for candidate in (query, cookie, default):
        lang = normalise(candidate)
        if lang:
            return lang
    return DEFAULT_LANGUAGE


class Translator:
    """``t("overview.title")`` in one language; a missing key falls back to Chinese, then to the key."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._texts: Mapping[str, str] = catalogue(lang)
        self._fallback: Mapping[str, str] = catalogue(DEFAULT_LANGUAGE)

    def __call__(self, key: str, **values: object) -> str:
        text = self._texts.get(key) or self._fallback.get(key) or key
        return text.format(**values) if values else text

    def markup(self, key: str, **values: object) -> Markup:
        """``key``'s text as HTML for a template: the text and plain values escaped, values that are already
        HTML (``Markup``, e.g. a name in an element marked ``translate="no"``) kept as they are."""
        from markupsafe import Markup, escape

        text = self._texts.get(key) or self._fallback.get(key) or key
        return Markup(escape(text)).format(**values) if values else Markup(escape(text))

    def has(self, key: str) -> bool:
        return key in self._texts

    def label(self, prefix: str, name: str) -> str:
        """The label of an identifier (a table, a check), or the identifier itself when none is declared."""
        key = f"{prefix}.{name}"
        return self(key) if key in self._texts else name
