"""The catalogues ipcockpit/locale/zh-CN.json and en.json: the same keys, each with a text and the same
placeholders, so that no page or report shows a key or fails to format in one language."""

from __future__ import annotations

import json
import string

from ipcockpit import i18n


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_zh_and_en_have_the_same_keys_and_placeholders() -> None:
    zh, en = i18n.catalogue("zh-CN"), i18n.catalogue("en")
    assert sorted(set(zh) - set(en)) == [] and sorted(set(en) - set(zh)) == []
    assert [k for k in zh if _placeholders(zh[k]) != _placeholders(en[k])] == []


def test_no_empty_text_and_no_duplicate_key() -> None:
    for lang in i18n.LANGUAGES:
        path = i18n.LOCALE_DIR / f"{lang}.json"
        pairs = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=list)
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), f"{path}: a key twice"
        assert [k for k, v in pairs if not isinstance(v, str) or not v.strip()] == [], path


def test_translator_falls_back_and_formats() -> None:
    t = i18n.Translator("en")
    assert t("error.bad_request", detail="x") == "The request cannot be answered: x"
    assert t("no.such.key") == "no.such.key"
    assert i18n.choose(None, "EN-us", None) == "en" and i18n.choose("xx", None, None) == i18n.DEFAULT_LANGUAGE


def test_markup_escapes_the_text_and_plain_values_and_keeps_html() -> None:
    from markupsafe import Markup

    t = i18n.Translator("zh-CN")
    name = Markup('<span translate="no">{}</span>').format("<ana>")
    assert t.markup("auth.signed_in_as", user=name) == '当前用户：<span translate="no">&lt;ana&gt;</span>'
    assert t.markup("auth.signed_in_as", user="<b>") == "当前用户：&lt;b&gt;"
    assert isinstance(t.markup("nav.data"), Markup) and t.markup("nav.data") == t("nav.data")
