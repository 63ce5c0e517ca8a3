"""The navigation service (docs/navigation.md): what the command line, the API and the page call, as
``cockpit.navigation.<operation>(...)``. Built with the store and the settings (``Navigation(store, settings)``,
the core's ``navigation`` property); it hands the store's connection to the navigation modules below it.

Operations here: the presets, building a report (and saving it as the next edition), the editions and
their differences, and rendering a report in a format (html, pdf, docx, csv, xlsx, json).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ipcockpit import i18n
from ipcockpit.navigation import editions
from ipcockpit.navigation.report import LEVELS, NavigationError, build

if TYPE_CHECKING:
    from ipcockpit.navigation.analyst import AnalystTools
    from ipcockpit.settings import Settings
    from ipcockpit.store import Store

#: format → (media type, file suffix)
FORMATS: dict[str, tuple[str, str]] = {
    "html": ("text/html; charset=utf-8", "html"),
    "pdf": ("application/pdf", "pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": ("application/json", "json"),
}


def _renderer(fmt: str) -> Callable[..., Any]:
    if fmt == "html":
        from ipcockpit.navigation.render_html import render_html
        return render_html
    if fmt == "pdf":
        from ipcockpit.navigation.render_pdf import render_pdf
        return render_pdf
    if fmt == "docx":
        from ipcockpit.navigation.render_docx import render_docx
        return render_docx
    from ipcockpit.navigation.appendix import appendix_csv, appendix_xlsx
    return {"csv": lambda r, t: appendix_csv(r), "xlsx": lambda r, t: appendix_xlsx(r),
            "json": lambda r, t: json.dumps(r, ensure_ascii=False, indent=1, default=str)}[fmt]


class Navigation:
    """Patent navigation over one core object's store and settings."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self.settings = settings

    @property
    def analyst(self) -> AnalystTools:
        """The analyst's tools for definitions, trees, marks and the tagger (:mod:`ipcockpit.navigation.analyst`)."""
        from ipcockpit.navigation.analyst import AnalystTools
        from ipcockpit.settings import index_folder

        return AnalystTools(self._store, index_folder(self.settings))

    def language(self, lang: str | None = None) -> str:
        return lang or getattr(self.settings, "language", None) or i18n.DEFAULT_LANGUAGE

    def presets(self) -> list[dict[str, Any]]:
        """The industry presets: id and names, in their declared order."""
        from ipcockpit.navigation.industry import PRESETS

        return [{"id": k, "name_zh": d.name_zh, "name_en": d.name_en} for k, d in PRESETS.items()]

    def build(self, industry: Any, region: str | None = None, lang: str | None = None, save: bool = True,
              levels: tuple[str, ...] = LEVELS) -> dict[str, Any]:
        """The report of ``industry`` (a preset id or a Definition) for ``region``; saved as the next edition
        (with its ``changes`` since the last) when ``save`` and the store is writable."""
        cursor = self._store.cursor()  # the members table is temporary: a connection of its own (on the store's file)
        try:
            report = build(cursor.con, industry, region, self.language(lang), levels)
        finally:
            cursor.close()
        if save and not self._store.read_only:
            self.save(report)
        return report

    def save(self, report: dict[str, Any]) -> int:
        """Save ``report`` as the next edition of its industry and region; its number."""
        if self._store.read_only:
            raise NavigationError("the store is open read-only: a report can be built but not saved as an edition; "
                                  "open it writable (without --read-only) to save editions")
        return editions.save(self._store.con, report)

    def editions(self, industry: str | None = None, region: str | None = None) -> list[dict[str, Any]]:
        """The editions saved (of ``industry`` and ``region`` when given), newest first."""
        return editions.listing(self._store.con, industry, region)

    def edition(self, industry: str, region: str | None = None, edition: int | None = None) -> dict[str, Any]:
        """A saved edition's report (the latest when ``edition`` is None)."""
        found = editions.load(self._store.con, industry, region, edition)
        if found is None:
            which = f"edition {edition}" if edition is not None else "no edition"
            raise NavigationError(f"{which} of the navigation report {industry!r}"
                                  f"{' for region ' + region if region else ''} is not saved; build one with "
                                  f"`ipcockpit navigate {industry}`")
        return found

    def diff(self, industry: str, region: str | None = None, edition: int | None = None,
             since: int | None = None) -> dict[str, Any]:
        """What changed from edition ``since`` (default: the one before) to ``edition`` (default: the latest)."""
        new = self.edition(industry, region, edition)
        before = since if since is not None else int(new["edition"]) - 1
        old = editions.load(self._store.con, industry, region, before) if before >= 1 else None
        return editions.diff(old, new)

    def render(self, report: dict[str, Any], fmt: str, lang: str | None = None) -> bytes:
        """``report`` in ``fmt`` (html, pdf, docx, csv, xlsx, json) as bytes, texts in ``lang``."""
        if fmt not in FORMATS:
            raise NavigationError(f"no report format {fmt!r}; use one of {', '.join(FORMATS)}")
        t = i18n.Translator(self.language(lang or report.get("lang")))
        if fmt in ("html", "pdf", "docx"):  # the built-at time in the setting's zone
            from ipcockpit.localtime import zone

            out = _renderer(fmt)(report, t, tz=zone(getattr(self.settings, "timezone", "")))
        else:
            out = _renderer(fmt)(report, t)
        return out.encode("utf-8") if isinstance(out, str) else out

    @staticmethod
    def filename(report: dict[str, Any], fmt: str) -> str:
        """The download's file name: ``navigation-<industry>[-<region>]-e<edition>.<suffix>``."""
        parts = ["navigation", str(report.get("industry", {}).get("id"))]
        if report.get("region", {}).get("code"):
            parts.append(str(report["region"]["code"]))
        if report.get("edition"):
            parts.append(f"e{report['edition']}")
        return "-".join(parts) + "." + FORMATS[fmt][1]

