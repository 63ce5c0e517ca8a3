"""Every route of the web app, one module per area. Each module declares its pages (``PAGES``: one
:class:`~ipcockpit.web.pages.Page` each, registered as ``/x``, ``/x.{json,csv,xlsx}`` and ``/api/x``) and
registers what is not a page (forms, uploads, log-in, writes) in ``register(app, web)``.

A new page: its data function on the Cockpit (:mod:`ipcockpit.app`), its template, one ``Page(...)`` line in
the module of its area here, and its texts in both catalogues (ipcockpit/locale/*.json).
"""

from __future__ import annotations

from fastapi import FastAPI

from ipcockpit.web.context import Web
from ipcockpit.web.pages import register_page
from ipcockpit.web.routes import (
    auth,
    cockpit,
    credit,
    data,
    fto,
    graph,
    jobs,
    marks,
    navigation,
    navigation_tree,
    overview,
    profiles,
    region,
    screen,
    search,
    signals,
    watch,
)

#: the areas, in the order their routes are matched
AREAS = (cockpit, overview, screen, search, fto, data, region, graph, navigation_tree, navigation, profiles, jobs,
         signals, marks, watch, credit, auth)


def register(app: FastAPI, web: Web) -> None:
    """Every page and every other route of every area."""
    for area in AREAS:
        for page in area.PAGES:
            register_page(app, web, page)
        register_area = getattr(area, "register", None)
        if register_area is not None:
            register_area(app, web)
