"""schemathesis over the app's OpenAPI document: every operation, in-process against the real app over a real
store (tests/test_web_errors.py's real files, the plan's baselines and an admin, its search indexes built),
anonymous and signed in as an admin (with the CSRF token), valid and invalid inputs. It fails on any 5xx and
on a status code the document does not declare for the operation.

One test per operation and caller, :data:`EXAMPLES` generated cases each (Hypothesis, derandomised: the same
cases every run; another number of examples gives other cases). The operations are read from the document
when the module is collected, so a new route is tested without a change here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import status_code_conformance
from test_web_errors import ADMIN, build_store

from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app

pytestmark = pytest.mark.slow

#: generated cases per operation and caller (the environment variable: more for a deeper run by hand)
EXAMPLES = int(os.environ.get("IPCOCKPIT_SCHEMATHESIS_EXAMPLES", "10"))
#: the document's operations, read without a store (the app opens it on first use)
DOCUMENT = create_app(Settings(db="unused.duckdb")).openapi()
OPERATIONS = [(method.upper(), path) for path, ops in DOCUMENT["paths"].items() for method in ops]
#: no 5xx; every status the document declares for the operation
CHECKS = [not_a_server_error, status_code_conformance]
#: a signed-in caller that logs out or in again is no longer the admin of the test
NOT_AS_ADMIN = {("POST", "/logout"), ("POST", "/login")}


class Running:
    """The app as a server runs it: started once (its lifespan: the store opened, the jobs runner) and
    serving every case of the module. The lifespan messages that schemathesis's ASGI client sends per test
    (it ends the lifespan after each test: the store closed and opened again, its caches and the search models
    loaded again, ~50 ms a test and seconds for the first overview or search) are answered here, not
    passed to the app."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[Any]:
    store = build_store(tmp_path_factory.mktemp("schemathesis"), shared, index=True)
    served = create_app(Settings(db=str(store)), read_only=False)
    with TestClient(served):  # runs the app's lifespan until the module ends
        yield Running(served)


@pytest.fixture(scope="module")
def api(app: Any, admin_session: Any) -> Any:
    """The document, loaded once the admin has signed in: the anonymous cases' wrong passwords then throttle
    further log-ins from the test client's address (429), not the admin's."""
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module")
def admin_session(app: Any) -> Iterator[Any]:
    """A client signed in as the store's admin, sending the session's CSRF token with every request."""
    with asgi.get_client(app) as client:
        r = client.post("/login", json={"username": ADMIN[0], "password": ADMIN[2]})
        assert r.status_code == 200, r.text
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        yield client


def run(api: Any, method: str, path: str, session: Any | None) -> None:
    """:data:`EXAMPLES` valid and invalid cases of one operation, each checked by schemathesis: no 5xx, a
    declared status code. ``session`` None: a new client (no cookie) for every case."""
    operation = api[path][method]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        case.call_and_validate(session=session, checks=CHECKS)

    check()
    if session is not None:  # the cases ran as the admin throughout (no case ended the session)
        assert session.get("/api/me").json()["user"] == ADMIN[0]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_anonymous(api: Any, method: str, path: str) -> None:
    run(api, method, path, None)


@pytest.mark.parametrize(("method", "path"), [o for o in OPERATIONS if o not in NOT_AS_ADMIN],
                         ids=[f"{m} {p}" for m, p in OPERATIONS if (m, p) not in NOT_AS_ADMIN])
def test_admin(api: Any, admin_session: Any, method: str, path: str) -> None:
    run(api, method, path, admin_session)
