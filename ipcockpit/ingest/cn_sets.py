"""Chinese patent data sets published for classification research (CSV).

- ``cn-ipc-titles`` (lxingy3/chinese-patent-ipc-classifier, ``oof_predictions.csv``): one row per
  publication: publication_numbers, patent_title and the true IPC subclasses (true_subclasses_all,
  ``|``-separated), loaded as IPC classifications at subclass level ("G06F"). The columns
  predicted_subclasses (a model's output) and true_subclasses_benchmark (the benchmark's subset) are not
  classifications of the document: the prediction is left out, and the benchmark subset, fold and row
  are kept in ``extra`` under ``dataset_*`` keys.
- ``cn-cpc-abstracts`` (liaoleyuan/chinese-patent-cpc-multilabel-classification, ``sample_train.csv``
  and ``sample_val.csv``): publication_number, text (title, keywords and abstract, written either as
  "Title: ...\\nKeywords: ...\\nAbstract: ..." or as "title [SEP] keywords [SEP] abstract") and labels (a
  JSON list of CPC subgroups, loaded as "G06F 16/3329"). The keywords are English words chosen by the
  data set's author; they are kept as a keywords text in English. ``selected_labels.json`` beside the CSV
  (the 500 labels of the data set) is read when present: a label outside it is named in ``extra``.
  Blank padding rows (the files end with tens of thousands of ",,," lines) are not records and are skipped.

Both sets only hold publication numbers: no application number, date or party.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.cn_table import class_codes
from ipcockpit.ingest.csvutil import dict_rows, header
from ipcockpit.model.numbers import parse_publication
from ipcockpit.model.records import Classification, PatentRecord, Record, Rejected, Text

_KIND_TYPES = {"A": ("invention", "application"), "B": ("invention", "grant"), "C": ("invention", "grant"),
               "U": ("utility_model", "grant"), "Y": ("utility_model", "grant"), "S": ("design", "grant")}
_LABELLED = re.compile(r"^\s*Title:\s*(.*?)\s*(?:\n\s*Keywords:\s*(.*?))?\s*(?:\n\s*Abstract:\s*(.*))?$", re.S)


def _base(source: Source, position: str, raw: str, column: str) -> PatentRecord | Rejected:
    parts = parse_publication(raw.strip(), "CN") if raw.strip() else None
    if not parts:
        return Rejected(position, f"{source.path}, {position}: {raw!r} in column {column!r} is not a "
                        "publication number (expected e.g. CN114081026A)", raw[:300], column)
    office, number, kind = parts
    doc_type, stage = _KIND_TYPES.get((kind or " ")[0], (None, None))
    return PatentRecord(doc_id=f"{office}{number}{kind or ''}", office=office, number=number, kind=kind,
                        doc_type=doc_type, stage=stage, lang="zh", position=position)


class ChineseIpcTitles(Ingester):
    name = "cn-ipc-titles"
    label = "Chinese titles with true IPC subclasses (lxingy3 chinese-patent-ipc-classifier CSV)"
    label_zh = "中文专利标题与 IPC 小类数据集（CSV）"
    priority = 30
    _COLUMNS = {"publication_numbers", "patent_title", "true_subclasses_all"}

    def sniff(self, source: Source) -> bool:
        return source.suffix == ".csv" and self._COLUMNS <= set(header(source))

    def read(self, source: Source) -> Iterator[Record]:
        for line, row in dict_rows(source):
            if isinstance(row, Rejected):  # a record csv cannot read (csvutil)
                yield row
                continue
            if not any((v or "").strip() for v in row.values()):
                continue
            position = f"line {line}"
            raws = [n for n in (row.get("publication_numbers") or "").split("|") if n.strip()] or [""]
            for raw in raws:
                rec = _base(source, position, raw, "publication_numbers")
                if isinstance(rec, PatentRecord):
                    title = (row.get("patent_title") or "").strip() or None
                    rec.title = title
                    if title:
                        rec.texts.append(Text("title", title, "zh"))
                    codes = class_codes((row.get("true_subclasses_all") or "").replace("|", ";"))
                    rec.classifications = [Classification("IPC", c, False, i + 1) for i, c in enumerate(codes)]
                    rec.extra = {"dataset": "lxingy3/chinese-patent-ipc-classifier"}
                    for key, column in (("dataset_row", "dataset_row"), ("dataset_fold", "fold"),
                                        ("dataset_subclasses_benchmark", "true_subclasses_benchmark")):
                        if row.get(column):
                            rec.extra[key] = row[column]
                yield rec


class ChineseCpcAbstracts(Ingester):
    name = "cn-cpc-abstracts"
    label = "Chinese title, keywords and abstract with CPC subgroup labels (liaoleyuan data set CSV)"
    label_zh = "中文专利标题、关键词、摘要与 CPC 标签数据集（CSV）"
    priority = 30
    _COLUMNS = {"publication_number", "text", "labels", "n_labels"}

    def sniff(self, source: Source) -> bool:
        return source.suffix == ".csv" and self._COLUMNS <= set(header(source))

    def read(self, source: Source) -> Iterator[Record]:
        selected = _selected_labels(source)
        for line, row in dict_rows(source):
            if isinstance(row, Rejected):  # a record csv cannot read (csvutil)
                yield row
                continue
            if not any((v or "").strip() for v in row.values()):
                continue
            position = f"line {line}"
            rec = _base(source, position, row.get("publication_number") or "", "publication_number")
            if isinstance(rec, Rejected):
                yield rec
                continue
            try:
                labels = json.loads(row.get("labels") or "[]")
            except json.JSONDecodeError as exc:
                yield Rejected(position, f"{source.path}, {position}, column 'labels': not a JSON list ({exc})",
                               (row.get("labels") or "")[:300], "labels")
                continue
            title, keywords, abstract = split_text(row.get("text") or "")
            rec.title = title
            for kind, text, lang in (("title", title, "zh"), ("keywords", keywords, "en"),
                                     ("abstract", abstract, "zh")):
                if text:
                    rec.texts.append(Text(kind, text, lang))
            codes = class_codes(";".join(str(label) for label in labels))
            rec.classifications = [Classification("CPC", c, False, i + 1) for i, c in enumerate(codes)]
            rec.extra = {"dataset": "liaoleyuan/chinese-patent-cpc-multilabel-classification",
                         "dataset_split": Path(source.name).stem}
            if selected is not None:
                outside = [str(label) for label in labels if str(label) not in selected]
                if outside:
                    rec.extra["labels_outside_selected"] = outside
            yield rec


def split_text(text: str) -> tuple[str | None, str | None, str | None]:
    """(title, keywords, abstract) of the data set's text column, in either of its two layouts."""
    if "[SEP]" in text:
        parts = [p.strip() or None for p in text.split("[SEP]")]
        parts += [None] * (3 - len(parts))
        return parts[0], parts[1], " [SEP] ".join(p for p in parts[2:] if p) or None
    m = _LABELLED.match(text)
    if m:
        return tuple((g.strip() or None) if g else None for g in m.groups())  # type: ignore[return-value]
    return None, None, text.strip() or None


def _selected_labels(source: Source) -> set[str] | None:
    path = Path(source.path)
    candidate = path.parent / "selected_labels.json"
    if "!" in source.path or not candidate.is_file():
        return None
    try:
        data = json.loads(candidate.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return {str(x) for x in data} if isinstance(data, list) else None


INGESTERS = [ChineseIpcTitles, ChineseCpcAbstracts]
