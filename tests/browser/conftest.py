"""Fixtures for the real-browser tests of the built book (``make test-browser``).

The book's HTML (``_build/html`` by default, or ``--book-html DIR`` / ``BOOK_HTML=DIR``)
is served by a Python ``http.server`` on 127.0.0.1 at a free port, and opened in headless
Chromium from Debian's ``chromium`` package (``CHROMIUM``, default ``/usr/bin/chromium``),
driven by Playwright. Playwright's own browser download is never used.

Every request that leaves 127.0.0.1 is blocked and recorded, so a page that needs the
network fails its test instead of quietly loading something from a CDN.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import threading
from pathlib import Path

import pytest
import yaml
from browser_support import CHROMIUM_ARGS, REPO_ROOT, Visit, open_page, source_file, toc_pages


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("book", "real-browser tests of the built book")
    group.addoption("--book-html", default=os.environ.get("BOOK_HTML"),
                    help="the built HTML to test (default: _build/html of the repository)")
    group.addoption("--book-src", default=os.environ.get("BOOK_SRC"),
                    help="the book's sources: _config.yml, _toc.yml, book/ "
                         "(default: the repository)")
    group.addoption("--require-book", action="store_true",
                    default=os.environ.get("BOOK_REQUIRED") == "1",
                    help="fail, instead of skipping, the tests that need a built book and "
                         "Playwright when either is missing (`make test-browser` sets it)")


def _html_path(config: pytest.Config) -> Path:
    return Path(config.getoption("--book-html") or REPO_ROOT / "_build" / "html").resolve()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Plain ``pytest`` in a fresh clone: the tests that open the built book skip, saying
    how to run them, instead of erroring. ``make test-browser`` builds the book first and
    passes ``--require-book``, so there a missing book or Playwright fails."""
    if config.getoption("--require-book"):
        return
    html = _html_path(config)
    missing = {}  # fixture -> why the tests that use it skip
    if not (html / "index.html").is_file():
        missing["html_dir"] = (f"no built book in {html}: run `make test-browser` (it builds "
                               "the book, then runs these tests), or point --book-html / "
                               "BOOK_HTML at one")
    for fixture, module in (("browser", "playwright"), ("pdf", "pypdf")):
        if importlib.util.find_spec(module) is None:
            missing[fixture] = (f"{module} is not installed here: run `make test-browser` "
                                "(it installs requirements-browser.txt into .venv)")
    for item in items:
        needs = [fixture for fixture in missing if fixture in getattr(item, "fixturenames", ())]
        if needs:
            item.add_marker(pytest.mark.skip(reason=missing[needs[0]]))


def _src_dir(config: pytest.Config) -> Path:
    return Path(config.getoption("--book-src") or REPO_ROOT).resolve()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    src = _src_dir(metafunc.config)
    if "toc_page" in metafunc.fixturenames:
        pages = toc_pages(src)
        metafunc.parametrize("toc_page", pages, ids=pages)
    if "notebook_page" in metafunc.fixturenames:
        pages = [p for p in toc_pages(src) if source_file(src, p).suffix == ".ipynb"]
        metafunc.parametrize("notebook_page", pages, ids=pages)


@pytest.fixture(scope="session")
def book_src(pytestconfig: pytest.Config) -> Path:
    return _src_dir(pytestconfig)


@pytest.fixture(scope="session")
def book_config(book_src: Path) -> dict:
    return yaml.safe_load((book_src / "_config.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def html_dir(pytestconfig: pytest.Config) -> Path:
    html = _html_path(pytestconfig)
    if not (html / "index.html").is_file():
        pytest.fail(f"no built book in {html}: build it first (make test-book), "
                    "or point --book-html / BOOK_HTML at one", pytrace=False)
    return html


@pytest.fixture(scope="session")
def screenshot_dir(html_dir: Path) -> Path:
    """``_build/screenshots`` beside ``_build/html``: the first screen of each page."""
    out = html_dir.parent / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
        pass


@pytest.fixture(scope="session")
def base_url(html_dir: Path):
    """The book served over HTTP on 127.0.0.1 (a free port), stopped after the tests."""
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        pytest.fail(f"{chromium} not found: install Debian's chromium package "
                    "(apt-get install chromium; `make test-browser` does it), "
                    "or set CHROMIUM to a Chromium binary", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                             headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def visits(browser, base_url: str, screenshot_dir: Path):
    """``visits(page)``: the toc page opened once and kept open for the read-only checks.
    The first screen of each is saved to ``_build/screenshots/``."""
    opened: dict[str, Visit] = {}

    def visit(page_name: str) -> Visit:
        if page_name not in opened:
            opened[page_name] = open_page(browser, base_url, f"{page_name}.html")
            shot = screenshot_dir / (page_name.replace("/", "__") + ".png")
            opened[page_name].page.screenshot(path=str(shot))
        return opened[page_name]

    yield visit
    for v in opened.values():
        v.page.context.close()
