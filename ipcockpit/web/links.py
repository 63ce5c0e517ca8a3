"""Links the app writes: built from the setting ``base_url``, never from the Host header of a request.

* ``base_url`` set (``https://ip.example.org/cockpit``): every link of a page (the templates' ``url_for``)
  is that address plus the route's path, the same whatever Host a request names; the OpenAPI document
  names it as its one server.
* ``base_url`` empty (the default): links are paths on this server (``/static/app.css``, after the ASGI root
  path the server was started with), so they follow the address the user reached the page at.

Starlette's own ``url_for`` builds absolute URLs from the request (its scheme, its Host header): a request
with a forged Host would get pages whose links, stylesheets and form targets point at another site, and a
cache in front of the app could keep such a page for everyone. The other links of the app are paths already
(redirects, ``?format=`` downloads, the pager).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from ipcockpit.settings import Settings


def base(settings: Settings) -> str:
    """The setting ``base_url`` without its trailing slash ('' when not set)."""
    return str(settings.base_url or "").strip().rstrip("/")


def url(request: Request, settings: Settings, path: str) -> str:
    """The link to ``path`` (``/openapi.json``): ``base_url`` + path, else the root path + path."""
    return (base(settings) or str(request.scope.get("root_path", "")).rstrip("/")) + path


def url_for(request: Request, settings: Settings, name: str, /, **path_params: Any) -> str:
    """The link to the route ``name`` (``static`` with ``path=``), as :func:`url` builds it."""
    return url(request, settings, str(request.app.url_path_for(name, **path_params)))


def install(app: FastAPI, templates: Jinja2Templates, settings: Settings) -> None:
    """The templates' ``url_for`` builds links by :func:`url_for`; with ``base_url`` set, the OpenAPI document
    names it as its server."""

    @pass_context
    def template_url_for(context: Context, name: str, /, **path_params: Any) -> str:
        return url_for(context["request"], settings, name, **path_params)

    templates.env.globals["url_for"] = template_url_for
    if base(settings):
        app.servers = [{"url": base(settings)}]
