"""What the browser tests share: the store, the live server and the browser (pytest fixtures), and signing in.

The store is a real DuckDB file built from the shared data: the Chinese table-export SQL dump (10 rows: 7
utility models, 3 invention applications, and the B grant of one of them = 11 documents), the USPTO weekly
excerpt ipg080101 (25 ``<us-patent-grant>`` elements: 15 B2, 3 B1, 6 S1, 1 P2, counted with a regex over the
XML), the SEI 2021 industry-IPC concordance, one PatentsView export whose only record is quarantined, and one
analyst account; its search and FTO claim indexes are built (a few seconds). The server is the app under
uvicorn in a subprocess on a free loopback port. The browser is Debian's chromium, never downloaded:
``scripts/setup_system.sh`` (run by ``make test``) installs it and a CJK font, and the ``playwright`` PyPI
package drives it through ``executable_path``. When either is missing the tests fail and say so.

A test module uses the fixtures by binding them to module names (``store, server, browser = ...``): pytest
finds fixtures among a module's attributes, and an import would be an unused name to the linter. A module
may define its own ``store`` fixture; the server then serves that one.

``SAFETY_MS`` is the one cap on every wait (the server's start included): the tests wait for the state
they check, never for a fixed time, so the cap only decides how long a broken page takes to fail. On a
loaded machine the server can take well over 15 s to answer the first search (a fresh-clone ``make test``
on a busy 2-core machine failed on a 15 s click timeout).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from shared_stores import built_once, copy_store

from ipcockpit.app import Cockpit

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture fails and says what to install
    expect = None

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
SETUP = ("install them with `bash scripts/setup_system.sh` as root (chromium, fonts-wqy-microhei; `make test` "
         "runs it) and `pip install -e '.[test]'` (playwright); never `playwright install`")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
FILES = ["cn/table_export_sample", "uspto_xml/weekly_excerpts/ipg080101.small.xml",
         "classification/cnipa_sei2021_ipc_concordance.json"]
ANALYST = ("ana", "analyst", "browser-test-password")
BROKEN_CSV = "patent_abstract,patent_date,patent_number,patent_title\nA bat.,1993-02-30,5269177,Sweet spot\n"
BROKEN_REASON = "day is out of range for month"
SERVER = """
import sys
import uvicorn
from ipcockpit.settings import Settings
from ipcockpit.web.server import create_app
app = create_app(Settings(db=sys.argv[1]), read_only=False)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""
SAFETY_MS = 300_000  # the cap on any one wait; a check passes as soon as its state is there


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    """A copy of the store :func:`build_store` makes, built once for the run (tests/shared_stores.py): the
    module's server writes to its copy (accounts, reported values, sessions)."""
    return shared_store(tmp_path_factory, shared, "browser")


def shared_store(factory: pytest.TempPathFactory, shared: Path, name: str) -> Path:
    """A copy, in a new folder named ``name``, of the store :func:`build_store` makes (its indexes with it)."""
    return copy_store(built_once("browser", factory, lambda folder: build_store(folder, shared)), factory.mktemp(name))


def build_store(folder: Path, shared: Path) -> Path:
    """The browser tests' store in ``folder``, its indexes built."""
    path = folder / "browser.duckdb"
    broken = path.parent / "broken_export.csv"  # a PatentsView export whose one record has no valid date
    broken.write_text(BROKEN_CSV, encoding="utf-8")
    with Cockpit(db=path) as c:
        reports = c.ingest([shared / f for f in FILES])
        [bad] = c.ingest([broken])
        c.add_user(*ANALYST, created_by="pytest")
        c.index()  # the search and FTO claim indexes (36 documents: a few seconds)
    assert [r.error for r in reports] == [None, None, None]
    assert (bad.read, bad.loaded, bad.quarantined) == (1, 0, 1)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app under uvicorn in a subprocess on a free loopback port; stopped when the module ends."""
    yield from serve(store, tmp_path_factory)


def serve(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run the app on ``store`` under uvicorn in a subprocess; yield its URL, stop it after."""
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "uvicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", SERVER, str(store), str(port)], cwd=REPO, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SAFETY_MS / 1000
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode} before answering:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer {url}/healthz within {SAFETY_MS // 1000} s:\n"
                            f"{log.read_text()}")
            time.sleep(0.1)  # the polling interval, not a wait for the server
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.fail(f"the Python package playwright is missing: {SETUP}", pytrace=False)
        raise AssertionError from exc  # unreachable: pytest.fail raises
    chromium = shutil.which("chromium") or (str(CHROMIUM) if CHROMIUM.exists() else None)
    if chromium is None:
        pytest.fail(f"Debian's chromium is missing (no chromium on PATH, no {CHROMIUM}): {SETUP}", pytrace=False)
    expect.set_options(timeout=SAFETY_MS)  # expect() retries until the state is there, at most this long
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS, timeout=SAFETY_MS)
        yield b
        b.close()


def login(page: Any, user: tuple[str, str, str] = ANALYST) -> None:
    """Sign in on the log-in page as ``user`` (name, role, password) and wait until the server has sent the
    browser on."""
    page.goto("/login")
    page.fill("#login-form input[name=username]", user[0])
    page.fill("#login-form input[name=password]", user[2])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login"))  # the server answered: signed in, sent on


#: the heading parts of each card heading (``.card h2`` is a flex row: its title on the left, its downloads on
#: the right); a heading whose title comes in several parts has them spread over the row
_SPLIT_HEADINGS = """() => [...document.querySelectorAll('.card h2')]
  .filter(h => getComputedStyle(h).display === 'flex')
  .map(h => {
    const parts = [];
    let text = false;
    for (const n of h.childNodes) {
      if (n.nodeType === Node.TEXT_NODE) {
        if (n.textContent.trim() && !text) { parts.push(n.textContent.trim()); text = true; }
        continue;
      }
      text = false;
      if (n.nodeType === Node.ELEMENT_NODE && !n.classList.contains('downloads')) parts.push(n.textContent.trim());
    }
    return parts;
  }).filter(parts => parts.length > 1)"""


def split_headings(page: Any) -> list[list[str]]:
    """The page's card headings whose title is not one flex item (each as its parts' texts): the parts of such
    a title are laid out apart across the heading's row (``“`` at the left, the query in the middle, ``”`` at the
    right). Empty when every card heading reads in one piece."""
    return page.evaluate(_SPLIT_HEADINGS)


_BROKEN_CODES = """() => [...document.querySelectorAll('td code, td.num')]
  .filter(c => c.tagName === 'CODE' || c.children.length === 0)  // a figure as text, not a badge
  .filter(c => c.textContent.trim().length <= 12 && c.getClientRects().length > 0)
  .filter(c => { const r = document.createRange(); r.selectNodeContents(c);
                 const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
                 return tops.size > 1; })
  .map(c => c.textContent.trim())"""


def broken_codes(page: Any) -> list[str]:
    """Short codes and figures in table cells (an IPC subclass, a region code, a count or a range, up to 12
    characters) that the page breaks over two lines (``G06`` / ``F``, ``5001`` / ``53``, ``0–`` / ``16``). Empty when
    each sits on one line."""
    return page.evaluate(_BROKEN_CODES)
