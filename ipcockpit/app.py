"""The core object. The CLI, the REST API and the web app build a Cockpit and call it; none holds SQL."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ipcockpit.analytics.quality import quality
from ipcockpit.errors import IPCockpitError, UnknownFormatError
from ipcockpit.ingest import registry
from ipcockpit.ingest.sources import check_paths, walk
from ipcockpit.limits import check_description, check_names, check_numbers, check_query
from ipcockpit.model.schema import ALL_TABLES
from ipcockpit.settings import Settings, load_settings
from ipcockpit.store import Store
from ipcockpit.store.loader import FileReport, finish_run, ingest_source, new_run

if TYPE_CHECKING:
    import ibis

    from ipcockpit.monitor import Monitor
    from ipcockpit.navigation.service import Navigation
    from ipcockpit.value.settings import ScreenSettings


def _stats() -> ModuleType:
    """The analytics module, imported when first needed (it imports ibis)."""
    from ipcockpit.analytics import stats

    return stats


def _graph_pages() -> ModuleType:
    from ipcockpit.graph import pages

    return pages


def _graph() -> ModuleType:
    """The graph's operations, imported when first needed (they import igraph)."""
    from ipcockpit.graph import service

    return service


#: the filters of a search, every one named in the search page's data (None: not set)
SEARCH_FILTERS = ("office", "date_from", "date_to", "ipc", "cpc", "industry", "in_force", "applicant")


class Cockpit:
    """Settings plus the store, and every operation the interfaces offer."""

    def __init__(self, settings: Settings | None = None, *, db: str | os.PathLike[str] | None = None,
                 read_only: bool = False, create: bool = True) -> None:
        """Open the store of ``settings.db`` (or ``db``). ``create=False``: a missing file is an error
        (:class:`~ipcockpit.errors.StoreError`) instead of a new empty store, as for the CLI's read commands."""
        self.settings = settings or load_settings()
        if db is not None:
            self.settings = self.settings.with_overrides(db=str(db))
        self.store = Store(self.settings.db, read_only=read_only, create=create)

    def cursor(self) -> Cockpit:
        """A Cockpit over a new connection to the same store (:meth:`ipcockpit.store.Store.cursor`), for
        another thread: the web app gives each request its own."""
        other = object.__new__(Cockpit)
        other.settings, other.store = self.settings, self.store.cursor()
        return other

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Cockpit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ingest -----------------------------------------------------------------------------------
    def ingest(
        self,
        paths: Iterable[str | os.PathLike[str]],
        *,
        on_file: Callable[[FileReport], None] | None = None,
        on_record: Callable[[int], None] | None = None,
        strict: bool = False,
    ) -> list[FileReport]:
        """Ingest files and folders; returns one report per file (archive members count as files).
        ``on_file(report)`` after each file, ``on_record(n)``: ``n`` more records read (every thousand or so,
        and the rest at the end of each file).

        A path that is not there raises FileNotFoundError before anything is loaded. A file that cannot be
        loaded gets a report with ``error`` set, and the others load (with ``strict``, the first such error
        raises): in no known format or empty (``skipped`` when it was found in a folder or an archive rather
        than named), or unreadable (:class:`~ipcockpit.errors.UnreadableFileError`: a damaged archive, a
        truncated ``.gz`` ...). Nothing of a file that fails stays in the store. An error of the store itself
        raises.
        """
        path_list = [str(p) for p in paths]
        check_paths(path_list)
        named = {str(Path(p)) for p in path_list}
        run_id = new_run(self.store, "ingest " + " ".join(path_list))
        reports: list[FileReport] = []
        for source, ingester, error in registry.plan(walk(path_list), self.settings):
            if error is None and ingester is not None:
                try:
                    report = ingest_source(self.store, source, ingester, run_id, self.settings.batch_size, on_record)
                except IPCockpitError as exc:  # the file's own (loader.ingest_source rolled it back)
                    error = exc
            if error is not None:
                if strict:
                    raise error
                report = FileReport(source.path, ingester.name if ingester else None, error=str(error),
                                    skipped=isinstance(error, UnknownFormatError) and source.path not in named)
            reports.append(report)
            if on_file:
                on_file(report)
        finish_run(self.store, run_id)
        if any(r.loaded or r.merged for r in reports):
            self.resolve_entities()  # the new parties' organisation ids (existing ids never change)
            self.resolve_inventors()  # the new inventors' person ids (kept ids stay; docs/entities.md "Inventors")
        from ipcockpit.watch import run_after_ingest  # alerts of watch lists (nothing when none watches anything)
        run_after_ingest(self.store, self.settings, reports)
        return reports

    # statistics -------------------------------------------------------------------------------
    def ibis(self) -> ibis.BaseBackend:
        """An ibis connection over the store's DuckDB connection (shared, not a second open).

        ibis is imported here, not at start-up, so that ingest stays light."""
        import ibis

        return ibis.duckdb.from_connection(self.store.con)

    def stats(self) -> dict[str, Any]:
        con = self.ibis()
        return {
            "tables": {t: self.store.count(t) for t in ALL_TABLES},
            "by_office_year": _stats().rows(_stats().by_office_year(con.table("documents"))),
            "quality": self.quality(),
        }

    def quality(self) -> dict[str, Any]:
        """The data-quality checks (orphan rows, impossible dates, duplicates, missing titles ...)."""
        return quality(self.store)

    def top_applicants(self, limit: int = 20) -> list[dict[str, Any]]:
        return _stats().rows(_stats().top_applicants(self.ibis().table("parties"), limit))

    def top_subclasses(self, limit: int = 20) -> list[dict[str, Any]]:
        return _stats().rows(_stats().top_subclasses(self.ibis().table("classifications"), limit))

    def quarantine(self, path: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Quarantined records by path and position; ``path`` filters on the file path (part of it), ``limit``
        0 lists them all (:meth:`quarantine_list` says how many there are)."""
        return self.quarantine_list(path, limit)["rows"]

    def quarantine_list(self, path: str | None = None, limit: int = 100) -> dict[str, Any]:
        """:meth:`quarantine`'s rows with their ``total``, the ``limit`` and ``truncated`` (the rows are not all)
        (:func:`ipcockpit.analytics.ingest_status.quarantine_list`)."""
        from ipcockpit.analytics.ingest_status import quarantine_list

        return quarantine_list(self.store, path, limit)

    def ipc_titles(self, codes: Iterable[str]) -> dict[str, dict[str, str]]:
        """Titles from ref_ipc_titles for the given IPC codes: ``{code: {"zh": ..., "en": ...}}``.

        Languages are folded to their primary tag (``zh-CN`` -> ``zh``); codes with no title are absent.
        """
        wanted = sorted({c for c in codes if c})
        if not wanted:
            return {}
        t = self.ibis().table("ref_ipc_titles")
        found: dict[str, dict[str, str]] = {}
        expr = t.filter(t.code.isin(wanted)).select("code", "lang", "title").order_by(["code", "lang"])
        for row in _stats().rows(expr):
            lang = (row["lang"] or "").split("-")[0].lower()
            if lang and row["title"]:
                found.setdefault(row["code"], {}).setdefault(lang, row["title"])
        return found

    def _with_titles(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` (each with a ``subclass``), given ``title_zh`` and ``title_en`` from ref_ipc_titles."""
        titles = self.ipc_titles(r["subclass"] for r in rows)
        for r in rows:
            r["title_zh"], r["title_en"] = (titles.get(r["subclass"], {}).get(k) for k in ("zh", "en"))
        return rows

    def overview(self, limit: int = 10) -> dict[str, Any]:
        """The data overview page: counts, documents by office and year, top applicants, top IPC
        subclasses (with titles when ref_ipc_titles is loaded) and the data-quality checks. ``documents``
        counts the documents with a record of their own, ``stubs`` those a source only refers to (a search
        hit, an assignment, a family member): ``tables.documents`` is their sum."""
        data = self.stats()
        subclasses = self._with_titles(self.top_subclasses(limit))
        return {
            "documents": sum(r["documents"] for r in data["by_office_year"]),  # with a record of their own
            "stubs": _stats().rows(_stats().stubs(self.ibis().table("documents")))[0]["stubs"],  # only referred to
            "offices": sorted({r["office"] for r in data["by_office_year"] if r["office"]}),
            "by_office_year": data["by_office_year"],
            "top_applicants": self.top_applicants(limit),
            "top_subclasses": subclasses,
            "tables": data["tables"],
            "quality": data["quality"],
        }

    # data status, quarantine browser, applicant profile ------------------------------------------
    def data_status(self, show_paths: bool = False, limit: int = 200, show_internal: bool = False) -> dict[str, Any]:
        """The data and ingest status page: table counts, source files, runs, quality checks
        (:func:`ipcockpit.analytics.ingest_status.data_status`; paths only with ``show_paths``, the app's
        own tables only with ``show_internal``)."""
        from ipcockpit.analytics.ingest_status import data_status

        return data_status(self.store, show_paths, limit, show_internal)

    def quarantine_page(self, file: str | None = None, field: str | None = None, reason: str | None = None,
                        limit: int = 50, offset: int = 0, code: str | None = None) -> dict[str, Any]:
        """One page of quarantined records, filtered by file (id or part of the path), field, kind of reason
        (``code``) and reason, with the counts by kind of reason and field."""
        from ipcockpit.analytics.ingest_status import quarantine_page

        return quarantine_page(self.store, file, field, reason, limit, offset, code)

    def applicant(self, name: str, limit: int = 200) -> dict[str, Any] | None:
        """The applicant profile (申请人画像) of ``name`` (Chinese or English, as written or folded), with
        IPC titles and the high-value answer of its invention grants; None when no applicant has that name
        (:func:`ipcockpit.analytics.applicant.suggestions` lists near names)."""
        check_names(name, self.settings)
        from ipcockpit.analytics import applicant

        data = applicant.applicant_profile(self.store, name, limit)
        if data is None:
            return None
        self._with_titles(data["top_subclasses"])
        answers = applicant.high_value_answers(self.store, data["name_norm"], self.screen_settings())
        return applicant.add_high_value(data, answers)

    def applicant_suggestions(self, name: str, limit: int = 10) -> list[dict[str, Any]]:
        """Applicants whose name contains ``name`` (written or folded), the most documents first: what the
        applicant page offers when no applicant has that name."""
        check_names(name, self.settings)
        from ipcockpit.analytics.applicant import suggestions

        return suggestions(self.store, name, limit)

    # graph ---------------------------------------------------------------------------------------
    # the knowledge graph and talent (ipcockpit.graph; docs/entities.md): ``folder`` None is <db stem>.graph
    def graph_build(self, folder: str | None = None) -> dict[str, Any]:
        return _graph().build(self.store, folder)

    def graph_summary(self, folder: str | None = None) -> dict[str, Any]:
        return _graph().summary(self.store, folder)

    def graph_subgraph(self, node: str, folder: str | None = None, **filters: Any) -> dict[str, Any]:
        return _graph().subgraph(self.store, node, folder, **filters)

    def graph_communities(self, folder: str | None = None, **options: Any) -> dict[str, Any]:
        return _graph().communities(self.store, folder, **options)

    def graph_centrality(self, folder: str | None = None, **options: Any) -> dict[str, Any]:
        return _graph().centrality(self.store, folder, **options)

    def graph_export(self, fmt: str, target: str, folder: str | None = None, **options: Any) -> dict[str, Any]:
        return _graph().export_graph(self.store, fmt, target, folder, **options)

    def talent_employers(self, inventor: str) -> dict[str, Any]:
        return _graph().talent_employers(self.store, inventor)

    def talent_mobility(self, **filters: Any) -> dict[str, Any]:
        return _graph().talent_mobility(self.store, **filters)

    def talent_flows(self, **options: Any) -> dict[str, Any]:
        return _graph().talent_flows(self.store, **options)

    def talent_key_inventors(self, **field: Any) -> dict[str, Any]:
        return _graph().talent_key_inventors(self.store, settings=self.screen_settings(), **field)

    def talent_team(self, inventor: str, limit: int = 50) -> dict[str, Any]:
        return _graph().talent_team(self.store, inventor, limit)

    # the pages' data (ipcockpit.graph.pages): the explorer (知识图谱) and talent flows (人才流动)
    def graph_explorer(self, node: str | None = None, **filters: Any) -> dict[str, Any]:
        return _graph_pages().explorer(self.store, node, **filters)

    def talent_page(self, **options: Any) -> dict[str, Any]:
        return _graph_pages().talent(self.store, settings=self.screen_settings(), **options)

    def organisation_page(self, org: str, **options: Any) -> dict[str, Any] | None:
        return _graph_pages().profiles.organisation(self.store, org, settings=self.screen_settings(), **options)

    def inventor_page(self, entity_id: str, limit: int = 200) -> dict[str, Any] | None:
        return _graph_pages().profiles.inventor(self.store, entity_id, limit)

    # strength ---------------------------------------------------------------------------------------
    def strength(self, limit: int = 50, as_of: str | None = None, **filters: Any) -> dict[str, Any]:
        """Enterprise strength ranking (企业实力评价), :func:`ipcockpit.strength.ranking.ranking`; ``filters``:
        region, industry, field, nature, registry, weights."""
        from ipcockpit.strength.ranking import ranking

        return ranking(self.store.con, limit=limit, settings=self.screen_settings(as_of=as_of), **filters)

    def strength_show(self, org: str, as_of: str | None = None, **filters: Any) -> dict[str, Any] | None:
        """One organisation's strength explained, :func:`ipcockpit.strength.ranking.organisation`."""
        from ipcockpit.strength.ranking import organisation

        return organisation(self.store.con, org, settings=self.screen_settings(as_of=as_of), **filters)

    # patent navigation ---------------------------------------------------------------------------------
    @property
    def navigation(self) -> Navigation:
        """Patent navigation (docs/navigation.md): definitions, trees, analyses, reports, editions; its
        ``analyst`` the tools for definitions, marks and the tagger."""
        from ipcockpit.navigation.service import Navigation

        return Navigation(self.store, self.settings)

    @property
    def monitor(self) -> Monitor:
        """Monitoring and supervision (docs/monitoring.md): ``watch``, ``marks``, ``signals``, ``credit``."""
        from ipcockpit.monitor import Monitor

        return Monitor(self.store, self.settings)

    # entities ---------------------------------------------------------------------------------------
    def resolve_entities(self) -> dict[str, int]:
        """Give the parties' names not yet resolved their organisation entities (ipcockpit.entities.store.assign)."""
        from ipcockpit.entities import store

        return store.assign(self.store.con)

    def organisation(self, entity_id: str) -> dict[str, Any] | None:
        """An organisation entity: its names with their evidence, links, overrides (None: unknown id)."""
        from ipcockpit.entities import org_data

        return org_data.organisation(self.store, entity_id)

    def entity_lookup(self, names: list[str]) -> list[dict[str, Any]]:
        """Each name's organisation entity in this store, nothing written."""
        from ipcockpit.entities import org_data

        return org_data.lookup(self.store, names)

    def entity_merge(self, into: str, other: str, analyst: str, note: str | None = None) -> dict[str, Any]:
        """An analyst merges entity ``other`` into ``into`` (kept in org_overrides and the audit log)."""
        from ipcockpit.entities import overrides

        return overrides.merge(self.store, into, other, analyst, note)

    def entity_split(self, entity_id: str, names: list[str], analyst: str, note: str | None = None) -> dict[str, Any]:
        """An analyst moves ``names`` out of ``entity_id`` into a new entity (org_overrides and the audit log)."""
        from ipcockpit.entities import overrides

        return overrides.split(self.store, entity_id, names, analyst, note)

    def entity_overrides(self, limit: int = 200) -> list[dict[str, Any]]:
        from ipcockpit.entities import overrides

        return overrides.overrides(self.store, limit)

    def entity_extract(self, source: str, path: str | os.PathLike[str]) -> dict[str, Any]:
        """Load a registry CSV (``registry``) or a PatentsView assignee extract (``patentsview``) as evidence for
        the next resolution (ipcockpit.entities.org_extracts)."""
        from ipcockpit.entities import org_extracts

        load = org_extracts.load_registry if source == "registry" else org_extracts.load_patentsview
        return load(self.store.con, path)

    # inventors ---
    def resolve_inventors(self) -> dict[str, Any]:
        """Resolve the store's inventors into ``inventor_entities`` (ids kept across runs; ipcockpit.entities)."""
        from ipcockpit.entities.inv_store import resolve_store_inventors

        return resolve_store_inventors(self.store)

    def inventor(self, entity_id: str, limit: int = 200) -> dict[str, Any] | None:
        """An inventor's profile data (names, documents, co-inventors, employers over time); None if unknown."""
        from ipcockpit.entities.inv_store import inventor_profile

        return inventor_profile(self.store, entity_id, limit)

    def inventor_find(self, name: str, limit: int = 20) -> list[dict[str, Any]]:
        """Resolved inventors whose name contains ``name``, the most documents first."""
        from ipcockpit.entities.inv_store import inventor_find

        check_names(name, self.settings)
        return inventor_find(self.store, name, limit)

    def region(self, code: str, limit: int = 200) -> dict[str, Any] | None:
        """The region page (地区专利) of a GB/T 2260 code (2, 4 or 6 digits): the CN documents attributed to
        it with their evidence, counts by type and year, in-force and high-value invention grants (the
        screening settings), holders, IPC and SEI mix, legal events, transfers in and out, pledges and
        sub-regions (:func:`ipcockpit.analytics.region.region_page`); None when no division has that code."""
        from ipcockpit.analytics.region import region_page

        data = region_page(self.store, code, self.screen_settings(), limit)
        if data is not None:
            self._with_titles(data["ipc_mix"])
        return data

    # cockpit (驾驶舱) ------------------------------------------------------------------------------
    def _region_folders(self) -> str | None:
        return self.settings.regions or None

    def screen_settings(self, **overrides: Any) -> ScreenSettings:
        """The screening settings: defaults, then the settings file's ``screen:`` section, then
        ``overrides`` (the CLI's options, the web's fields; None = not given). Every screening, the cockpit,
        the applicant page and FTO read them here, so one store gives one answer."""
        from ipcockpit.value.settings import ScreenSettings

        return ScreenSettings.from_mapping(self.settings.screen).with_overrides(**overrides)

    def cockpit(self, region: str | None = None, year: int | None = None,
                published_only: bool = False) -> dict[str, Any]:
        """The cockpit page: the region's plan indicators against baseline and target, each computed or
        reported, with provenance, progress, trend, forecast and status (docs/cockpit.md).
        ``published_only``: the view of public visitors (reported values count once published)."""
        from ipcockpit.cockpit.cache import cached
        from ipcockpit.cockpit.indicators import cockpit

        folders = self._region_folders()
        return cached(self.store, ("cockpit", region, year, folders, repr(self.settings.screen), published_only),
                      lambda: cockpit(self.store, region, year, folders=folders, settings=self.screen_settings(),
                                      published_only=published_only))

    def cockpit_records(self, region: str | None, indicator: str, year: int | None = None) -> dict[str, Any]:
        """The records a computed indicator rests on in ``year`` (the cockpit's drill-down)."""
        from ipcockpit.cockpit.indicators import indicator_records

        return indicator_records(self.store, region, indicator, year, folders=self._region_folders(),
                                 settings=self.screen_settings())

    def cockpit_report_pdf(self, region: str | None = None, year: int | None = None, lang: str = "zh-CN",
                           published_only: bool = False) -> bytes:
        """The periodic evaluation report (定期评估报告) of the cockpit as PDF bytes: the indicators' table,
        trend charts and data provenance (:mod:`ipcockpit.reports.cockpit_pdf`; needs reportlab)."""
        from ipcockpit import localtime
        from ipcockpit.reports.cockpit_pdf import report_pdf

        return report_pdf(self.cockpit(region, year, published_only), lang, localtime.zone(self.settings.timezone))

    def regions(self) -> list[dict[str, Any]]:
        """The region profiles (built-in and the `regions` folder)."""
        from ipcockpit.cockpit.profiles import list_regions

        return [r.as_dict() for _, r in sorted(list_regions(self._region_folders()).items())]

    def report_value(self, indicator: str, year: int, value: float, source_document: str, reported_by: str,
                     region: str | None = None, reported_at: Any = None, note: str | None = None,
                     basis: str | None = None) -> dict[str, Any]:
        """Report one value with its provenance (who, when, which document); returns the stored row.
        ``basis``: for a running total, ``year`` when ``value`` is the year's amount (default: the total)."""
        from ipcockpit.cockpit.reported import report_value

        return report_value(self.store, region, indicator, year, value, source_document, reported_by, reported_at,
                            note, folders=self._region_folders(), basis=basis)

    def report_values(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Report several values (mappings with region, indicator, year, value, source, reported_by, note),
        all or nothing."""
        from ipcockpit.cockpit.reported import report_many

        return report_many(self.store, rows, folders=self._region_folders())

    def import_reported(self, path: str | os.PathLike[str], region: str | None = None,
                        reported_by: str | None = None) -> list[dict[str, Any]]:
        """Import a CSV of reported values, all or nothing (UTF-8 or GBK; docs/cockpit.md)."""
        from ipcockpit.cockpit.reported import import_csv

        return import_csv(self.store, path, region=region, reported_by=reported_by, folders=self._region_folders())

    def reported(self, region: str | None = None, indicator: str | None = None, year: int | None = None,
                 current_only: bool = False) -> list[dict[str, Any]]:
        """Reported values with provenance, newest first; ``current`` marks the value in force."""
        from ipcockpit.cockpit.reported import list_reported

        return list_reported(self.store, region, indicator, year, current_only)

    def load_plan_baselines(self, region: str | None = None) -> list[dict[str, Any]]:
        """Store the plan's baselines (and the profile's series) as reported values citing the plan; idempotent."""
        from ipcockpit.cockpit.reported import load_plan_baselines

        return load_plan_baselines(self.store, region, folders=self._region_folders())

    def health(self) -> dict[str, Any]:
        """A cheap check that the store answers: its schema version."""
        return {"status": "ok", "schema_version": self.store.schema_version()}

    def export_parquet(self, folder: str | os.PathLike[str]) -> list[str]:
        return self.store.export_parquet(Path(folder))

    def formats(self) -> list[dict[str, str]]:
        return [{"name": i.name, "label": i.label, "label_zh": i.label_zh} for i in registry.ingesters()]

    # access: users, sessions' secret, audit log, publication, portfolios (ipcockpit.auth) ---------
    def add_user(self, name: str, role: str, password: str, created_by: str | None = None) -> dict[str, Any]:
        """Create an account with an argon2 hash of ``password``; the first admin comes from ``ipcockpit user add``."""
        from ipcockpit.auth import users

        return users.add_user(self.store, name, role, password, created_by)

    def users(self) -> list[dict[str, Any]]:
        from ipcockpit.auth import users

        return users.list_users(self.store)

    def user(self, name: str) -> Any:
        """The active account ``name`` as an :class:`ipcockpit.auth.User`, or None."""
        from ipcockpit.auth import users

        return users.active_user(self.store, name)

    def authenticate(self, name: str, password: str) -> Any:
        """The :class:`ipcockpit.auth.User` whose password this is, or None (constant-time check)."""
        from ipcockpit.auth import users

        return users.authenticate(self.store, name, password)

    def session_secret(self) -> str | None:
        from ipcockpit.auth import users

        return users.session_secret(self.store)

    def set_password(self, name: str, password: str) -> None:
        """A new password for ``name``; the user's open sessions end."""
        from ipcockpit.auth import users

        users.set_password(self.store, name, password)

    def disable_user(self, name: str, disabled: bool = True) -> dict[str, Any]:
        """Disable (``disabled=False``: enable again) an account; disabling ends the user's open sessions."""
        from ipcockpit.auth import users

        return users.set_disabled(self.store, name, disabled)

    def end_sessions(self, name: str) -> int:
        """End every open session of ``name`` (every browser is logged out); returns how many there were."""
        from ipcockpit.auth import sessions, users

        if users.get_user(self.store, name) is None:
            raise users.AccessError(f"user {name!r}: no such user; `ipcockpit user list` lists them")
        return sessions.end_user(self.store, name)

    def audit(self, user: str | None, role: str, action: str, target: str | None, outcome: str,
              status: int | None = None, detail: Any = None, remote: str | None = None) -> bool:
        """Append an audit entry (who, what, target, outcome), in the store's sidecar when the store is
        read-only; False when it cannot be kept."""
        from ipcockpit.auth import audit

        return audit.record(self.store, user, role, action, target, outcome, status, detail, remote)

    def audit_log(self, user: str | None = None, action: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Audit entries newest first, of the store and of its sidecar (read-only servers); ``kept_in`` says which."""
        from ipcockpit.auth import audit

        return audit.entries(self.store, user, action, limit)

    def publish(self, ids: list[int], by: str, published: bool = True) -> list[dict[str, Any]]:
        """Publish (or withdraw) reported values by id; public users see published values only."""
        from ipcockpit.auth import access

        return access.publish(self.store, ids, by, published)

    def publication(self, ids: list[int] | None = None) -> list[dict[str, Any]]:
        from ipcockpit.auth import access

        return access.publication(self.store, ids)

    def save_portfolio(self, owner: str, name: str, numbers: list[str], result: Any = None) -> dict[str, Any]:
        from ipcockpit.auth import access

        check_numbers(numbers, self.settings)
        return access.save_portfolio(self.store, owner, name, numbers, result)

    def portfolios(self, owner: str) -> list[dict[str, Any]]:
        """The portfolios of ``owner`` (never another user's)."""
        from ipcockpit.auth import access

        return access.portfolios(self.store, owner)

    def portfolio(self, owner: str, portfolio_id: int) -> dict[str, Any] | None:
        from ipcockpit.auth import access

        return access.portfolio(self.store, owner, portfolio_id)

    # screening ----------------------------------------------------------------------------------
    def screen(self, profile: str | None = None, region: str | None = None, industry: str | None = None,
               applicant: str | None = None, year_from: int | None = None, limit: int = 50,
               doc_ids: Iterable[str] | None = None,
               settings: ScreenSettings | None = None) -> list[dict[str, Any]]:
        """High-value invention patent screening: ranked rows with the CNIPA conditions, the value index
        and an explanation (see :func:`ipcockpit.value.screen.screen`). ``settings``: default
        :meth:`screen_settings` (the settings file's ``screen:`` section). ``doc_ids`` and ``applicant`` are
        held to the settings ``max_numbers`` and ``max_name_chars`` (:mod:`ipcockpit.limits`)."""
        from ipcockpit.value.screen import screen

        doc_ids = list(doc_ids) if doc_ids is not None else None
        check_numbers(doc_ids, self.settings)
        check_names(applicant, self.settings)
        if settings is None:
            settings = self.screen_settings()
        return screen(self.store.con, profile=profile, region=region, industry=industry, applicant=applicant,
                      year_from=year_from, limit=limit, doc_ids=doc_ids, settings=settings)

    def screen_page(self, profile: str | None = None, region: str | None = None, industry: str | None = None,
                    applicant: str | None = None, year_from: int | None = None, limit: int = 50,
                    doc_ids: Iterable[str] | None = None,
                    settings: ScreenSettings | None = None) -> dict[str, Any]:
        """The screening page: the filters, the profiles and SEI industries to choose from, counts over
        every matching patent (``summary``), the first ``limit`` ranked rows (``patents``, as
        :meth:`screen` returns them; 0 = all) and, for a portfolio, the numbers not in the store."""
        from ipcockpit.analytics.screening import screen_summary, sei_industries
        from ipcockpit.value.index import load_profiles
        from ipcockpit.value.screen import DEFAULT_PROFILE
        settings = settings or self.screen_settings()
        numbers = list(doc_ids) if doc_ids is not None else None
        rows = self.screen(profile=profile, region=region, industry=industry, applicant=applicant,
                           year_from=year_from, limit=0, doc_ids=numbers, settings=settings)
        shown = rows if not limit or limit <= 0 else rows[:limit]
        profiles = load_profiles()["profiles"]
        return {
            "filters": {"profile": profile or DEFAULT_PROFILE, "region": region, "industry": industry,
                        "applicant": applicant, "year_from": year_from, "limit": limit, "numbers": numbers},
            "settings": settings.as_dict(),
            "profiles": [{"name": k, "name_zh": v.get("name_zh"), "name_en": v.get("name_en")}
                         for k, v in profiles.items()],
            "industries": sei_industries(self.store, settings.sei_scheme),
            "total": len(rows),
            "count": len(shown),
            "summary": screen_summary(rows),
            "patents": shown,
            "not_found": [r["publication_number"] for r in rows if r.get("found") is False],
        }

    def patent(self, number: str, profile: str | None = None,
               settings: ScreenSettings | None = None) -> dict[str, Any] | None:
        """The patent page: a document named by a number in any written form with its parties,
        inventors, classes (with IPC titles when loaded), texts, claims, legal events, citations both
        ways, family members and its screening row; None when no stored document has that number.

        ``screening`` is the row of :meth:`screen` for the document, or for the granted invention
        patent of its application (``screened_as`` says which), or the row saying why it is not screened.
        ``legal_status`` is the in-force rule's answer for the document itself
        (:func:`ipcockpit.value.legal_status.statuses`, as of the same date; None for a stub).
        """
        from ipcockpit.analytics.patent import patent_record
        from ipcockpit.value.attribution import document_attribution
        from ipcockpit.value.legal_status import statuses
        from ipcockpit.value.screen import find_document

        doc_id = find_document(self.store.con, number)
        record = patent_record(self.store, doc_id) if doc_id else None
        if record is None:
            return None
        codes = [c["code"] for c in record["classifications"] if c["scheme"] in ("IPC", "CPC")]
        titles = self.ipc_titles([*codes, *(c[:4] for c in codes)])
        for c in record["classifications"]:
            if c["scheme"] not in ("IPC", "CPC"):
                c["title_zh"] = c["title_en"] = c["subclass_title_zh"] = c["subclass_title_en"] = None
                continue
            exact, subclass = titles.get(c["code"], {}), titles.get(c["code"][:4], {})
            c["title_zh"], c["title_en"] = exact.get("zh"), exact.get("en")
            c["subclass_title_zh"], c["subclass_title_en"] = subclass.get("zh"), subclass.get("en")
        from ipcockpit.value.index import load_profiles
        from ipcockpit.value.screen import DEFAULT_PROFILE

        settings = settings or self.screen_settings()
        rows = self.screen(profile=profile, doc_ids=[doc_id], limit=0, settings=settings)
        record["legal_status"] = statuses(self.store.con, [doc_id], settings).get(doc_id)
        chosen = profile or DEFAULT_PROFILE
        names = load_profiles()["profiles"].get(chosen) or {}
        record["profile"] = {"name": chosen, "name_zh": names.get("name_zh"), "name_en": names.get("name_en")}
        record["query"] = number
        record["attribution"] = document_attribution(self.store.con, record["document"])
        record["screening"] = rows[0] if rows else None
        record["screened_as"] = rows[0]["publication_number"] if rows else None
        return record

    # search and FTO (ipcockpit.search) ------------------------------------------------------------
    def index_folder(self) -> Path:
        """The folder of the search indexes (setting ``index_dir``; default ``<db without suffix>.index``)."""
        from ipcockpit.settings import index_folder

        return index_folder(self.settings)

    def index(self, progress: Callable[[str, int, int], None] | None = None,
              rebuild: bool = False, engine: str = "local", staging: str | None = None) -> dict[str, Any]:
        """Build or update the search indexes (full text and vectors of the documents) and the claim index
        of FTO screening; incremental unless ``rebuild``; an interrupted build resumes from the batches it
        embedded. ``progress(stage, done, total)``: stages ``scan``, ``lexical``, ``embed:<space>``,
        ``save`` then ``claims:<space>``. ``engine``: where the documents are embedded, ``local`` or
        ``spark`` (``staging``: a folder every executor sees; docs/search.md "Spark"). Returns
        ``{"folder", "documents": build_index's counts, "claims": build_claim_index's counts}``."""
        from ipcockpit.search.claim_index import build_claim_index
        from ipcockpit.search.index import build_index

        folder = self.index_folder()
        documents = build_index(self.store.con, folder, progress=progress, rebuild=rebuild, engine=engine,
                                staging=staging)
        claims = build_claim_index(self.store.con, folder, progress, settings=self.screen_settings(),
                                   rebuild=rebuild)
        return {"folder": str(folder), "documents": documents, "claims": claims}

    def index_status(self, detail: bool = False) -> dict[str, Any]:
        """What the index folder holds (:func:`ipcockpit.search.index.index_status`) plus ``claims``:
        independent claims indexed per vector space. ``detail``: also ``partial`` (an unfinished build's
        progress, :func:`~ipcockpit.search.index.partial_status`) and ``embedding`` (per space: embedded,
        pending, stale against the store, :func:`~ipcockpit.search.index.embed_status`; None with
        ``embedding_unknown`` when the store cannot be read here)."""
        from ipcockpit.search.claim_index import claim_counts
        from ipcockpit.search.index import embed_status, index_status, partial_status

        folder = self.index_folder()
        status = index_status(folder)
        status["claims"] = claim_counts(folder)
        if detail:
            status["partial"] = partial_status(folder)
            store = getattr(self, "store", None)  # None: a running server holds it (cli.handover)
            status["embedding"] = embed_status(store.con, folder) if store is not None else None
            if store is None:
                status["embedding_unknown"] = "the store is held by the running server"
        return status

    def search(self, query: str, limit: int = 10, filters: dict[str, Any] | None = None,
               mode: str = "hybrid", offset: int = 0, weaker: bool = False) -> list[dict[str, Any]]:
        """Hybrid (or ``lexical`` / ``semantic``) search for words, a claim or a publication number ("more
        like this"); ``filters``: office, date_from, date_to, in_force, ipc, cpc, industry, applicant
        (:func:`ipcockpit.search.hybrid.search`). Only documents above the relevance floors, unless
        ``weaker``. A store without an index raises ``SearchError`` saying to run ``ipcockpit index``. The
        query and the applicant filter are held to the settings ``max_query_chars`` and ``max_name_chars``."""
        from ipcockpit.search.hybrid import search

        check_query(query, self.settings)
        check_names((filters or {}).get("applicant"), self.settings)
        return search(self.store.con, self.index_folder(), query, limit=limit, offset=offset,
                      filters=_date_filters(filters), mode=mode, weaker=weaker)

    def search_page(self, query: str, limit: int = 20, mode: str = "hybrid",
                    filters: dict[str, Any] | None = None, page: int = 1, weaker: bool = False) -> dict[str, Any]:
        """The search page (/search, /api/search, ``ipcockpit search --json``): one page of results with the
        total, the looked-up patent of a number query, the relevance floors, the results counted by office
        and year, example queries from this store and what the index holds
        (:func:`ipcockpit.search.page.search_page`). An empty query gives no results (the page's form); a
        query on a store without an index raises :class:`~ipcockpit.search.hybrid.IndexMissingError`. The
        query and the applicant filter are held to the settings ``max_query_chars`` and ``max_name_chars``."""
        from ipcockpit.search.page import search_page

        check_query(query, self.settings)
        check_names((filters or {}).get("applicant"), self.settings)
        given = {k: v for k, v in (filters or {}).items() if v is not None}
        return search_page(self.store.con, self.index_folder(), self.index_status(), query, limit=limit,
                           mode=mode, filters=_date_filters(given),
                           shown_filters={k: given.get(k) for k in SEARCH_FILTERS}, page=page,
                           weaker=weaker)

    def fto(self, text: str, jurisdictions: list[str] | None = None, exclude_applicants: list[str] | None = None,
            limit: int = 20) -> dict[str, Any]:
        """FTO / infringement-risk screening of a product description against the live independent claims
        (:func:`ipcockpit.search.fto.fto`; the legal status as of the ``screen`` settings' ``as_of``). The
        description and each excluded applicant are held to the settings ``max_description_chars`` and
        ``max_name_chars``."""
        from ipcockpit.search.fto import fto

        check_description(text, self.settings)
        check_names(exclude_applicants, self.settings)
        return fto(self.store.con, self.index_folder(), text, jurisdictions=jurisdictions,
                   exclude_applicants=exclude_applicants, limit=limit, settings=self.screen_settings())

    def fto_report(self, result: dict[str, Any], fmt: str = "pdf", lang: str = "zh-CN") -> bytes | str:
        """The report of one :meth:`fto` result: PDF bytes (``fmt="pdf"``) or a standalone HTML page."""
        from ipcockpit.reports.fto import fto_html, fto_pdf
        from ipcockpit.search.fto import FtoError

        if fmt == "pdf":
            return fto_pdf(result, lang)
        if fmt == "html":
            return fto_html(result, lang)
        raise FtoError(f"FTO report format {fmt!r}: use pdf or html")


def _date_filters(filters: dict[str, Any] | None) -> dict[str, Any] | None:
    """``date_from`` / ``date_to`` checked (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) and a year or a month
    taken whole: ``date_to="2010"`` means up to 2010-12-31."""
    import re

    from ipcockpit.search.hybrid import SearchError

    if not filters:
        return filters
    out = dict(filters)
    for name, pad in (("date_from", ["01", "01"]), ("date_to", ["12", "31"])):
        value = str(out.get(name) or "").strip()
        if not value:
            continue
        if not re.fullmatch(r"\d{4}(-\d{1,2}(-\d{1,2})?)?", value):
            raise SearchError(f"filter {name}={value!r}: write a date as YYYY-MM-DD (or YYYY, YYYY-MM)")
        parts = value.split("-")
        parts += pad[len(parts) - 1:]
        out[name] = f"{parts[0]}-{int(parts[1]):02d}-{int(parts[2]):02d}"
    return out
